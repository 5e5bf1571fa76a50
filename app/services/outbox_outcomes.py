"""What the end of one try means for an outbox item, recorded in the store and said through
the outbox's signals: delivered (it leaves), returned to the caller's drafts, held for the
agent, or not sent for now (tried again after its backoff).

A note that may have reached DeepCall without an answer saying so is never resent blindly:
it is held until the agent confirms or discards it; so is a note DeepCall refused. A save
cannot be held that way: it is checked against DeepCall (getInfo) before every try, and a
refusal or a conflict sends its edits back to the caller's drafts with the reason.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Final

from app.api.errors import DeepCallApiError
from app.services.errors import UnexpectedError
from app.services.logs import log_event, ms_since
from app.services.outbox_delivery import (
    Delivered,
    MayHaveArrived,
    NoCallYet,
    Refused,
    Returned,
    Save,
)
from app.services.outbox_kinds import NOTE, SAVE_KINDS, SENDABLE_KINDS, note_text
from app.services.outbox_retry import RetryTimer
from app.services.outbox_signals import OutboxSignals
from app.services.outbox_unrecorded import Record, UnrecordedWrites
from app.services.store import FieldDraft, LocalStore, OutboxItem

log = logging.getLogger(__name__)

# "DeepCall lists no call with this number" this many times (about half an hour): the agent
# decides, instead of a note waiting for weeks.
NO_CALL_TRIES: Final = 12
NO_CALL: Final = ("DeepCall lists no call with this number to attach this note to (tried {n} "
                  "times). Send it again once the call shows in DeepCall, or discard it.")
BEHIND: Final = ("Not saved yet (kept): it goes to DeepCall once this caller's earlier save "
                 "has reached it.")


class Outcomes:
    """Records each try's outcome (again later, when the store refuses now) and says it."""

    def __init__(self, signals: OutboxSignals, store: LocalStore, retry_timer: RetryTimer,
                 unrecorded: UnrecordedWrites, clock: Callable[[], float]) -> None:
        self._signals = signals
        self._store = store
        self._retry_timer = retry_timer
        self._unrecorded = unrecorded
        self._clock = clock  # wall time: only for the next attempt stored for the next start

    def done(self, item: OutboxItem, outcome: Delivered | Returned | None,
             started: float) -> bool:
        """DeepCall took the write (``outcome`` None: a note) or returned a save to the
        caller's drafts. True when it took it: DeepCall takes writes again, so what waits goes
        too, once this burst of sends is over (one look at the outbox, not one per item)."""
        self.forget(item.id)
        if isinstance(outcome, Returned):
            drafts, later = self._with_later_saves(item, outcome.drafts)
            returned = [item.id, *later]
            if self._unrecorded.record(item.id, Record(lambda: self._store.outbox_returned(
                    item.id, item.number, drafts, outcome.form_error, also=later),
                    resend=False, what="the returned save")):
                log_event(log, "save_returned", item_id=item.id, ms=ms_since(started))
                for item_id in returned:
                    self._signals.saveReturned.emit(item_id, item.number, outcome.form_error)
            return False
        # DeepCall has it: said at once, whether or not the store can record it yet (until
        # it can, the item is neither sent again nor forgotten).
        self._unrecorded.record(item.id, Record(lambda: self._store.outbox_delivered(item.id),
                                                resend=False, what="the delivery"))
        log_event(log, f"{item.kind}_sent", item_id=item.id, ms=ms_since(started))
        if outcome is None:
            self._signals.noteSent.emit(item.id, item.number, note_text(item))
        else:
            self._signals.saveDelivered.emit(item.id, item.number, outcome.saved, item.kind)
        return True

    def _with_later_saves(self, item: OutboxItem,
                          drafts: list[FieldDraft]) -> tuple[list[FieldDraft], list[int]]:
        """A save coming back takes the caller's later saves with it: they were typed on top
        of its values (their base), which DeepCall does not have. Their edits join the
        drafts, newest value last, with the base the first save started from."""
        merged = {(d.group, d.label): d for d in drafts}
        later: list[int] = []
        for other in self._store.outbox_items(number=item.number):
            save = Save.of(other) if other.kind in SAVE_KINDS and other.id > item.id else None
            if save is None:
                continue
            later.append(other.id)
            for draft in save.drafts(list(save.contactinfo)):
                first = merged.get((draft.group, draft.label))
                merged[(draft.group, draft.label)] = draft if first is None else \
                    dataclasses.replace(first, value=draft.value)
        return list(merged.values()), later

    def not_sure(self, item: OutboxItem, exc: MayHaveArrived | Refused,
                 started: float) -> None:
        if item.kind != NOTE:  # a save is checked with getInfo before its next try
            self.failed(item, exc, started)
            return
        reason = exc.user_message if isinstance(exc, MayHaveArrived) else \
            f"DeepCall refused this note: {exc.user_message}"
        self.hold(item, reason, started, error=type(exc).__name__)

    def hold(self, item: OutboxItem, reason: str, started: float, *,
             error: str = "") -> None:
        """Keep the item for the agent. Said at once; written again later if the store
        refuses now (meanwhile its ``sending`` mark, or this memory, keeps it from going)."""
        self.forget(item.id)
        self._unrecorded.record(item.id, Record(lambda: self._store.outbox_hold(item.id, reason),
                                                resend=False, what="the hold"))
        log_event(log, f"{item.kind}_held", logging.WARNING, item_id=item.id,
                  error=error or reason[:40], ms=ms_since(started))
        if item.kind == NOTE:
            self.say_held(item, reason)
        else:
            self._signals.saveWaiting.emit(item.id, item.number, f"Not saved: {reason}")

    def waits_behind(self, item: OutboxItem) -> None:
        """A save behind the caller's earlier one: the agent who pressed Save hears that it
        waits, not silence."""
        self._signals.saveWaiting.emit(item.id, item.number, BEHIND)

    def say_held(self, item: OutboxItem, reason: str) -> None:
        self._signals.noteHeld.emit(item.id, item.number, reason)
        self._signals.noteFailed.emit(item.id, item.number, f"Note held for you: {reason}")

    def failed(self, item: OutboxItem, exc: Exception, started: float) -> None:
        if isinstance(exc, DeepCallApiError):
            error: DeepCallApiError = exc
        else:
            log.error("sending an outbox item failed unexpectedly", exc_info=exc)
            error = UnexpectedError(exc, "sending the note" if item.kind == NOTE
                                    else "saving the contact")
        attempts = item.attempts + 1
        if isinstance(exc, NoCallYet) and attempts >= NO_CALL_TRIES:
            self.hold(item, NO_CALL.format(n=attempts), started, error=type(exc).__name__)
            return
        wait = self._retry_timer.back_off(item.id, attempts)
        self._unrecorded.record(item.id, Record(lambda: self._store.outbox_failed(
            item.id, error.user_message, self._clock() + wait),
            resend=True, what="the failed attempt"))
        log_event(log, f"{item.kind}_failed", logging.WARNING, item_id=item.id,
                  error=type(error).__name__, ms=ms_since(started))
        if item.kind == NOTE:
            self._signals.noteFailed.emit(
                item.id, item.number, f"Note not sent yet (kept, will retry): {error.user_message}")
        else:
            self._signals.saveWaiting.emit(
                item.id, item.number, f"Not saved yet (kept, will retry): {error.user_message}")

    def forget(self, item_id: int) -> None:
        """The item's memory of this run goes (it left, or is held): nothing to wait for."""
        self._retry_timer.forget(item_id)
        self._unrecorded.forget(item_id)

    def say_counts(self) -> None:
        try:
            waiting, held = self._store.outbox_counts(SENDABLE_KINDS)
        except Exception:
            log.exception("could not count the outbox")
            return
        self._signals.countsChanged.emit(waiting, held)
