"""The outbox: every write for DeepCall is kept locally first and leaves only once delivered.

Kinds: notes (notesAdd) and Directory saves (``update``/``create``): ``outbox_kinds``, delivered
per kind by ``outbox_delivery``. An item is stored (durably) before it is sent, sent at most
once at a time, one after another per caller (``outbox_sending``), and deleted in the same
transaction that records DeepCall's yes: delivered once. What was not sent (refused
connection, TLS, HTTP 5xx, a timeout before sending, an expired token, no account) waits and
is tried again with backoff (``outbox_retry``), and at once when DeepCall answers again
(``deepcall_answered``) or the account changes to a working one. What a try ends in
(delivered, returned to the drafts, held for the agent, not sent for now) is recorded and said
by ``outbox_outcomes``; one the store cannot record yet is kept in ``outbox_unrecorded``.
Only the kinds this version knows are ever sent: a row of an unknown kind (written by a
newer version) stays untouched and uncounted; one of a known kind that can never be sent (an
empty note, a payload it cannot read) is held with the reason, for the agent to discard.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Final

from PySide6.QtCore import QObject

from app.services.account import Account
from app.services.logs import log_event
from app.services.outbox_delivery import Save
from app.services.outbox_kinds import (
    CREATE,
    NOTE,
    SAVE_KINDS,
    SENDABLE_KINDS,
    UPDATE,
    NoteTarget,
    behind_older_saves,
    note_text,
    sendable,
)
from app.services.outbox_outcomes import Outcomes
from app.services.outbox_retry import MAX_WAIT_SECONDS, RetryTimer, backoff_seconds
from app.services.outbox_sending import ANOTHER_ACCOUNT, INTERRUPTED, ItemSender
from app.services.outbox_signals import OutboxSignals
from app.services.outbox_unrecorded import UnrecordedWrites
from app.services.store import LocalStore, OutboxItem
from app.services.tasks import OwnedTasks

__all__ = ["ANOTHER_ACCOUNT", "CREATE", "INTERRUPTED", "MAX_WAIT_SECONDS", "NOTE", "SAVE_KINDS",
           "SENDABLE_KINDS", "UNSENDABLE", "UPDATE", "NoteTarget", "Outbox", "backoff_seconds",
           "note_text"]

log = logging.getLogger(__name__)

UNSENDABLE: Final = ("This cannot be sent: it is empty, or this computer's database could not "
                     "read it back. Discard it.")


class Outbox(OutboxSignals):
    """The queue of writes for DeepCall: what the agent and the app ask of it, and sending
    each item in turn (its outcome: ``Outcomes``; when to try again: ``RetryTimer``)."""

    def __init__(self, store: LocalStore, account: Account, parent: QObject | None = None, *,
                 backoff: Callable[[int], float] = backoff_seconds,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(parent)
        self._store = store
        self._account = account
        self._tasks = OwnedTasks(log, "an outbox task")
        self._in_flight: dict[int, asyncio.Future[None]] = {}  # item id -> its send
        self._retry_timer = RetryTimer(self, backoff, clock)
        self._retry_timer.timeout.connect(self._send_due)
        self._unrecorded = UnrecordedWrites(self._retry_timer)
        self._outcomes = Outcomes(self, store, self._retry_timer, self._unrecorded, clock)
        self._sender = ItemSender(store, account, self._retry_timer, self._unrecorded,
                                  self._outcomes)
        self._closed = False
        self._wake_after_burst = False  # an item was delivered while others were in flight
        try:
            # Notes the app was sending when it stopped may be in DeepCall: the agent decides.
            store.outbox_interrupted([NOTE], INTERRUPTED)
            self._hold_unsendable(store.outbox_unheld(SENDABLE_KINDS))
        except Exception:  # each try holds such a note anyway (its ``sending`` mark)
            log.exception("could not check the outbox for writes interrupted by a stop")
        account.changed.connect(self._on_account_changed)

    # --- what waits --------------------------------------------------------------------
    def holds_note(self, number: str, text: str) -> bool:
        """This caller's note with exactly these words waits here (sending or kept)."""
        content = text.strip()
        return any(note_text(item) == content
                   for item in self._store.outbox_items(NOTE, number))

    @property
    def busy(self) -> bool:
        return self._tasks.busy

    def counts(self) -> tuple[int, int]:
        """(waiting, held): for the status bar, the tray and ``screenpop state``."""
        return self._store.outbox_counts(SENDABLE_KINDS)

    def waiting_saves(self, number: str) -> list[tuple[str, dict[str, str]]]:
        """(kind, values: directory key -> value) of ``number``'s saves not yet delivered,
        oldest first, in one read: what the form shows as saved meanwhile."""
        return [(item.kind, save.contactinfo) for item in self._store.outbox_items(number=number)
                if item.kind in SAVE_KINDS and (save := Save.of(item)) is not None]

    def holds_writes_for(self, number: str) -> bool:
        """A save or note of ``number`` is still here: queued, being sent, or held."""
        return any(item.kind in SENDABLE_KINDS for item in self._store.outbox_items(number=number))

    def held_items(self) -> list[OutboxItem]:
        return [item for item in self._store.outbox_items() if item.held]

    # --- what the agent and the app ask for -------------------------------------------------
    def add_save(self, number: str, kind: str, contactinfo: dict[str, str],
                 base: dict[str, str], fields: dict[str, tuple[str, str]], *,
                 drafts_done: tuple[tuple[str, str], ...] = ()) -> int:
        """Queue a Directory ``update``/``create`` and send it; its outbox id.

        ``contactinfo``: directory key -> the value to write; ``base``: directory key -> the
        value the form showed when the agent edited it (the conflict check compares DeepCall's
        current value with it); ``fields``: directory key -> (group, label) of the form field,
        so a refusal or conflict can go back to the right draft. ``drafts_done``: the field
        keys whose drafts leave in the same transaction.
        """
        if kind not in SAVE_KINDS:
            raise ValueError(f"not a save: {kind!r}")
        payload = {"contactinfo": contactinfo, "base": base,
                   "fields": {key: list(field) for key, field in fields.items()}}
        item_id = self._store.enqueue(kind, number, payload, drafts_done=drafts_done,
                                      account=self._account_key())
        self._outcomes.say_counts()
        if not self._closed:
            self._start(item_id)
        return item_id

    def add_note(self, target: NoteTarget, text: str, *, again: int | None = None) -> int | None:
        """Keep the note, then send it; its outbox id (None for an empty note).

        ``again``: the id ``noteFailed`` gave for this note (the agent pressed "Retry sending
        note"): when it still waits with these words for this caller, it is sent again
        rather than added twice; held, it stays held (sending it again is the agent's
        decision, ``confirm_held``). Otherwise the note is a new one, even with the same
        words as another (the same words on another call are another note). Store failures
        (a full disk) propagate: the caller keeps the text and says so.
        """
        content = text.strip()
        if not content or self._closed:
            return None
        kept = self._store.outbox_item(again) if again is not None else None
        if kept is not None and kept.kind == NOTE and kept.number == target.number \
                and note_text(kept) == content:
            if kept.held:
                self._outcomes.say_held(kept, kept.held)
            else:
                self._start(kept.id)
            return kept.id
        item_id = self._store.enqueue(NOTE, target.number, {"content": content},
                                      target.call_id, clear_note_draft=True,
                                      account=self._account_key())
        self._outcomes.say_counts()
        self._start(item_id)
        return item_id

    def retry_all(self) -> list[int]:
        """Send everything waiting now (oldest first), except what is being sent or held."""
        if self._closed:
            return []
        waiting = [item.id for item in self._waiting()]
        for item_id in waiting:
            self._start(item_id)
        return waiting

    def deepcall_answered(self) -> None:
        """DeepCall just answered a request successfully (a lookup, recent calls, the
        counters): send what waits, now.

        Not while an item of the outbox is being sent: its own questions (getInfo before a
        save, recentCalls before a note) answer too, and, with a write that keeps failing
        (503 on notesAdd alone), two items would wake each other for ever instead of
        backing off. Those sends are the retry already; a delivered item wakes the rest.
        """
        if not self._in_flight:
            self.retry_all()

    def confirm_held(self, item_id: int) -> None:
        """The agent checked: send the held item again."""
        item = self._store.outbox_item(item_id)
        if item is None or not item.held or self._closed or not sendable(item):
            return  # an item that can never be sent stays held: Discard is the way out
        self._store.outbox_release(item_id)
        self._outcomes.say_counts()
        self._start(item_id)

    def discard_held(self, item_id: int) -> None:
        """The agent checked: DeepCall has it (or it is not wanted); it leaves the outbox."""
        item = self._store.outbox_item(item_id)
        if item is None or not item.held:
            return
        self._store.outbox_delivered(item_id)
        self._outcomes.forget(item_id)
        log_event(log, "outbox_discarded", item_id=item_id, kind=item.kind)
        self._outcomes.say_counts()

    def _account_key(self) -> str:
        client = self._account.client
        return client.account_key if client is not None else ""

    def _on_account_changed(self) -> None:
        client = self._account.client
        if client is None:
            return
        try:  # back on the account they were queued under: they go again by themselves
            if self._store.outbox_release_held(ANOTHER_ACCOUNT, client.account_key):
                self._outcomes.say_counts()
        except Exception:
            log.exception("could not release the items queued under this account")
        self.retry_all()  # what an earlier run, or the old account, could not send

    def _hold_unsendable(self, unheld: list[OutboxItem]) -> None:
        """An item of a kind this version sends that it can never send (an empty note, a
        save it cannot read back) is held with the reason: counted as waiting for ever, it
        would tell the agent to wait for nothing; held, they see it and can discard it.
        ``unheld``: the items not held, as just read (no second read of the outbox)."""
        stuck = [item for item in unheld if not sendable(item)]
        try:
            for item in stuck:
                self._store.outbox_hold(item.id, UNSENDABLE)
                log_event(log, "outbox_unsendable_held", logging.WARNING, item_id=item.id,
                          kind=item.kind)
        except Exception:  # never sent meanwhile (not sendable): held at a later read
            log.exception("could not hold an outbox item that cannot be sent")
        if stuck:
            self._outcomes.say_counts()

    # --- sending -----------------------------------------------------------------------
    def _waiting(self) -> list[OutboxItem]:
        """What may be sent now, oldest first: not held, not in flight, and of a caller's
        saves only the oldest (an update typed after a create waits for it)."""
        unheld = self._store.outbox_unheld(SENDABLE_KINDS)
        self._hold_unsendable(unheld)
        behind = behind_older_saves(unheld)
        return [item for item in unheld if sendable(item) and item.id not in behind
                and item.id not in self._in_flight]

    def _start(self, item_id: int) -> None:
        # One send per item at a time: a second retry while it is in flight would add it twice.
        if item_id in self._in_flight:
            return
        task = self._tasks.spawn(self._send(item_id))
        self._in_flight[item_id] = task
        # Also when it is cancelled before it ran (its own ``finally`` never runs then).
        task.add_done_callback(lambda done: self._ended(item_id, done))

    def _ended(self, item_id: int, send: asyncio.Future[None] | None) -> None:
        """``send`` of ``item_id`` is over: once per send (from its own end, else its
        done-callback), never for a newer send of the same item."""
        if send is None or self._in_flight.get(item_id) is not send:
            return
        del self._in_flight[item_id]
        if self._in_flight:
            return  # after a burst, one look at the outbox, not one per item
        if self._wake_after_burst:
            self._wake_after_burst = False
            # That one look sends what waits; only when nothing does is there no timer to
            # plan (what started plans it when it ends).
            try:
                if not self.retry_all():
                    self._retry_timer.stop()
            except Exception:  # a closed or broken store: the next change or start tries again
                log.exception("could not read the outbox to send what waits")
            return
        self._arm()

    async def _send(self, item_id: int) -> None:
        try:
            if await self._sender.send_in_turn(item_id):
                # DeepCall takes writes again: what waits goes too, once this burst of sends
                # is over (one look at the outbox, not one per delivered item).
                self._wake_after_burst = True
        finally:
            # Before the task counts as done, not in a callback a moment later: meanwhile a
            # retry (DeepCall answering, the agent) would find the item "in flight" and skip
            # it, and ``deepcall_answered`` would think a send still runs.
            self._ended(item_id, asyncio.current_task())

    # --- the retry timer ------------------------------------------------------------------
    def _arm(self) -> None:
        """Wake up when the next waiting item is due (none without an account: a working
        account, when it comes, sends everything anyway)."""
        self._retry_timer.stop()
        if self._closed or self._account.client is None:
            return
        try:
            waiting = self._waiting()
        except Exception:  # a closed or broken store: the next change or start tries again
            log.exception("could not read the outbox to plan the next try")
            return
        self._retry_timer.plan(waiting)

    def _send_due(self) -> None:
        try:
            due = self._retry_timer.due(self._waiting())
        except Exception:
            log.exception("could not read the outbox to send what is due")
            return
        for item_id in due:
            self._start(item_id)
        if not due:
            self._arm()

    async def shutdown(self) -> None:
        """Stop sending; whatever is unsent stays in the outbox for the next start."""
        self._closed = True
        self._retry_timer.stop()
        await self._tasks.cancel_and_wait()
