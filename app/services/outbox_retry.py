"""When the outbox tries an item again: the backoff, and the one timer that wakes it then.

What was not sent waits and is tried again with backoff (5 s, 10 s, 20 s … 5 min, ±20 %).
The waits are measured on the monotonic clock; one stored for the next start is only a hint
(a clock set back never puts an item to sleep for longer than the longest wait).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable
from typing import Final

from PySide6.QtCore import QObject, QTimer

from app.services.store import OutboxItem

FIRST_RETRY_SECONDS: Final = 5.0
LAST_RETRY_SECONDS: Final = 300.0
JITTER: Final = 0.2
MAX_WAIT_SECONDS: Final = LAST_RETRY_SECONDS * (1 + JITTER)  # no wait is ever longer
_MAX_DOUBLINGS: Final = 16  # 5 s * 2**16 is far past the cap; more would overflow a float


def backoff_seconds(attempts: int, rng: Callable[[], float] = random.random) -> float:
    """The wait after the ``attempts``-th failed try: 5 s doubling to 5 min, ±20 % so that
    many agents' apps do not all knock at once when DeepCall comes back."""
    doublings = min(max(attempts - 1, 0), _MAX_DOUBLINGS)
    base = min(FIRST_RETRY_SECONDS * 2.0 ** doublings, LAST_RETRY_SECONDS)
    return base * (1 - JITTER + 2 * JITTER * rng())


class RetryTimer(QTimer):
    """The outbox's one retry timer, and when each item may be tried again in this run.

    A Qt timer, not a sleeping task: waiting for the next try is not work in progress
    (``busy``, and whatever waits for the app's tasks to end, must not wait for it).
    """

    def __init__(self, parent: QObject, backoff: Callable[[int], float],
                 clock: Callable[[], float]) -> None:
        super().__init__(parent)
        self.setSingleShot(True)
        self._backoff = backoff
        self._clock = clock  # wall time: only to read the next attempt stored for the next start
        # item id -> time.monotonic() before which the timer does not try it (its backoff
        # in this run; the stored ``next_attempt`` is a wall-clock hint for the next start).
        self._not_before: dict[int, float] = {}

    def not_at_once(self, item_id: int) -> None:
        """Whatever the try now starting ends in, the timer never tries the item again at
        once."""
        self._not_before[item_id] = time.monotonic() + FIRST_RETRY_SECONDS

    def back_off(self, item_id: int, attempts: int, *, keep_later: bool = False) -> float:
        """The item waits the backoff after its ``attempts``-th failure (``keep_later``: or
        longer, when it already waits longer); that backoff, in seconds."""
        wait = min(max(self._backoff(attempts), 0.0), MAX_WAIT_SECONDS)
        not_before = time.monotonic() + wait
        if keep_later:
            not_before = max(self._not_before.get(item_id, 0.0), not_before)
        self._not_before[item_id] = not_before
        return wait

    def forget(self, item_id: int) -> None:
        self._not_before.pop(item_id, None)

    def due(self, waiting: Iterable[OutboxItem]) -> list[int]:
        """The ids of the ``waiting`` items whose wait is over."""
        now, monotonic_now = self._clock(), time.monotonic()
        return [item.id for item in waiting if self._wait_for(item, now, monotonic_now) <= 0]

    def plan(self, waiting: list[OutboxItem]) -> None:
        """Fire when the first of the ``waiting`` items is due (not at all for none)."""
        if waiting:
            now, monotonic_now = self._clock(), time.monotonic()
            wait = min(self._wait_for(item, now, monotonic_now) for item in waiting)
            self.start(math.ceil(wait * 1000))

    def _wait_for(self, item: OutboxItem, now: float, monotonic_now: float) -> float:
        """Seconds until ``item`` is due: never more than the longest backoff, so a next
        attempt stored further ahead (by a clock since set back) is due now."""
        if item.id in self._not_before:
            wait = self._not_before[item.id] - monotonic_now
        else:
            wait = item.next_attempt - now
            if wait > MAX_WAIT_SECONDS:
                wait = 0.0
        return min(max(wait, 0.0), MAX_WAIT_SECONDS)
