"""The outbox's memory of outcomes the store could not record yet.

When the store cannot record what happened to an item (a full disk, a file locked by another
program), the outbox remembers the write, does it again first at the item's next try (with
backoff) and never treats the item as unsent meanwhile.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass

from app.services.outbox_retry import RetryTimer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Record:
    """A store write that records what happened to an item; kept to be done again while
    the store refuses it (the item is then neither sent again nor forgotten)."""

    write: Callable[[], None]
    resend: bool  # the request did not leave: once recorded, the item may be sent again
    what: str  # for the log
    failures: int = 0


class UnrecordedWrites:
    """The writes the store refused, by item id, each done again at its item's next try."""

    def __init__(self, retry_timer: RetryTimer) -> None:
        self._retry_timer = retry_timer
        self._writes: dict[int, Record] = {}

    def record(self, item_id: int, record: Record) -> bool:
        """Do ``record``'s write; when the store refuses (a full disk, a file locked by
        another program), keep it to be done first at the item's next try, with backoff."""
        try:
            record.write()
        except Exception:
            failures = record.failures + 1
            log.exception("could not record %s of outbox item %d (%d time(s)); trying "
                          "again later", record.what, item_id, failures)
            self._writes[item_id] = dataclasses.replace(record, failures=failures)
            self._retry_timer.back_off(item_id, failures, keep_later=True)
            return False
        return True

    def take(self, item_id: int) -> Record | None:
        """The item's write still to be done, now no longer kept here."""
        return self._writes.pop(item_id, None)

    def forget(self, item_id: int) -> None:
        self._writes.pop(item_id, None)
