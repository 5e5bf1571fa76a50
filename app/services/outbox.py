"""The outbox: every write for DeepCall is kept locally first and leaves only once delivered.

Kinds: notes (notesAdd) and Directory saves (``update``/``create``; delivery per kind in
``outbox_delivery``). An item is stored (durably) before it is sent, sent at most once at a
time, one after another per caller (a create before the update typed after it), and deleted
in the same transaction that records DeepCall's yes: delivered once. What was not sent
(refused connection, TLS, HTTP 5xx, a timeout before sending, an expired token, no account)
waits and is tried again with backoff (5 s, 10 s, 20 s … 5 min, ±20 %), and at once when
DeepCall answers again (``deepcall_answered``) or the account changes to a working one.
The waits are measured on the monotonic clock; one stored for the next start is only a hint
(a clock set back never puts an item to sleep for longer than the longest wait).

A note that may have reached DeepCall without an answer saying so (the connection dropped,
a timeout after sending, an unreadable answer, or the app died mid-send) is never resent
blindly: it is held until the agent confirms or discards it; so is a note DeepCall refused.
The ``sending`` mark on the disk is the authority at every try, not only at start-up: a note
that carries it is held, never sent again. When the store cannot record an outcome (a full
disk, a file locked by another program), the outbox remembers it, writes it again later and
never treats the item as unsent meanwhile.
An item belongs to the DeepCall account it was queued under: another account never sends
it (it is held until the agent switches back or discards it).
A save cannot be held that way: it is checked against DeepCall (getInfo) before every try,
and a refusal or a conflict sends its edits back to the caller's drafts with the reason.
Only the kinds this version knows are ever sent: a row of an unknown kind (written by a
newer version) stays untouched and uncounted; one of a known kind that can never be sent (an
empty note, a payload it cannot read) is held with the reason, for the agent to discard.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from PySide6.QtCore import QObject, QTimer, Signal

from app.api.client import DeepCallClient
from app.api.errors import DeepCallApiError
from app.services.account import Account
from app.services.errors import NotConfigured, UnexpectedError
from app.services.logs import log_event, ms_since
from app.services.outbox_delivery import (
    Delivered,
    MayHaveArrived,
    NoCallYet,
    Refused,
    Returned,
    Save,
    deliver_create,
    deliver_note,
    deliver_update,
)
from app.services.store import FieldDraft, LocalStore, OutboxItem
from app.services.tasks import OwnedTasks

log = logging.getLogger(__name__)

NOTE: Final = "note"
UPDATE: Final = "update"  # Directory update of a known caller (payload: see ``add_save``)
CREATE: Final = "create"  # Directory create of a new caller
SENDABLE_KINDS: Final = frozenset({NOTE, UPDATE, CREATE})
SAVE_KINDS: Final = frozenset({UPDATE, CREATE})
FIRST_RETRY_SECONDS: Final = 5.0
LAST_RETRY_SECONDS: Final = 300.0
JITTER: Final = 0.2
MAX_WAIT_SECONDS: Final = LAST_RETRY_SECONDS * (1 + JITTER)  # no wait is ever longer
_MAX_DOUBLINGS: Final = 16  # 5 s * 2**16 is far past the cap; more would overflow a float
# "DeepCall lists no call with this number" this many times (about half an hour): the agent
# decides, instead of a note waiting for weeks.
NO_CALL_TRIES: Final = 12
INTERRUPTED: Final = ("This note may already be in DeepCall: the app stopped while sending it. "
                      "Check the call's notes in DeepCall, then send it again or discard it.")
UNSENDABLE: Final = ("This cannot be sent: it is empty, or this computer's database could not "
                     "read it back. Discard it.")
ANOTHER_ACCOUNT: Final = ("Queued under another DeepCall account: switch back to send it, or "
                          "discard it.")
BEHIND: Final = ("Not saved yet (kept): it goes to DeepCall once this caller's earlier save "
                 "has reached it.")
NO_CALL: Final = ("DeepCall lists no call with this number to attach this note to (tried {n} "
                  "times). Send it again once the call shows in DeepCall, or discard it.")


def backoff_seconds(attempts: int, rng: Callable[[], float] = random.random) -> float:
    """The wait after the ``attempts``-th failed try: 5 s doubling to 5 min, ±20 % so that
    many agents' apps do not all knock at once when DeepCall comes back."""
    doublings = min(max(attempts - 1, 0), _MAX_DOUBLINGS)
    base = min(FIRST_RETRY_SECONDS * 2.0 ** doublings, LAST_RETRY_SECONDS)
    return base * (1 - JITTER + 2 * JITTER * rng())


@dataclass(frozen=True)
class NoteTarget:
    """Whose call a note belongs to. No ``call_id``: DeepCall's latest call with the number
    that began before the note was written, asked for when the note is sent."""

    number: str  # E.164
    call_id: str | None = None


def note_text(item: OutboxItem) -> str:
    content = item.payload.get("content")
    return content if isinstance(content, str) else ""


def _sendable(item: OutboxItem) -> bool:
    if item.kind == NOTE:
        return bool(note_text(item).strip())
    return item.kind in SAVE_KINDS and Save.of(item) is not None


@dataclass(frozen=True)
class _Record:
    """A store write that records what happened to an item; kept to be done again while
    the store refuses it (the item is then neither sent again nor forgotten)."""

    write: Callable[[], None]
    resend: bool  # the request did not leave: once recorded, the item may be sent again
    what: str  # for the log
    failures: int = 0


class Outbox(QObject):
    noteSent = Signal(int, str, str)  # outbox id, caller number, the note's text
    # outbox id, caller number, plain message: not sent, kept (also for a held note, so a
    # note box waiting for its note's fate never stays on "Sending…")
    noteFailed = Signal(int, str, str)
    # A note that may already be in DeepCall (the connection broke after it was sent), or that
    # DeepCall refused: kept, not resent, until the agent confirms or discards it.
    noteHeld = Signal(int, str, str)  # outbox id, caller number, plain message
    # DeepCall accepted a save: id, number, {directory key: value} as saved, kind (update|create)
    saveDelivered = Signal(int, str, object, str)
    saveWaiting = Signal(int, str, str)  # id, number, plain message: not sent yet, kept, retried
    # A save refused or in conflict with a newer change there: its edits are back among the
    # caller's drafts with the reason (ContactEdits has them). id, number, the form-level
    # message ("" when every reason sits next to a field).
    saveReturned = Signal(int, str, str)
    countsChanged = Signal(int, int)  # waiting (sending or to be retried), held for the agent

    def __init__(self, store: LocalStore, account: Account, parent: QObject | None = None, *,
                 backoff: Callable[[int], float] = backoff_seconds,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(parent)
        self._store = store
        self._account = account
        self._backoff = backoff
        self._clock = clock  # wall time: only for the next attempt stored for the next start
        self._tasks = OwnedTasks(log, "an outbox task")
        self._in_flight: dict[int, asyncio.Future[None]] = {}  # item id -> its send
        self._per_caller: dict[str, tuple[asyncio.Lock, int]] = {}  # lock, tasks using it
        # item id -> time.monotonic() before which the timer does not try it (its backoff
        # in this run; the stored ``next_attempt`` is a wall-clock hint for the next start).
        self._not_before: dict[int, float] = {}
        self._unrecorded: dict[int, _Record] = {}  # item id -> the write the store refused
        # A Qt timer, not a sleeping task: waiting for the next try is not work in progress
        # (``busy``, and whatever waits for the app's tasks to end, must not wait for it).
        self._retry_timer = QTimer(self)
        self._retry_timer.setSingleShot(True)
        self._retry_timer.timeout.connect(self._send_due)
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

    def waiting_saves(self, kind: str, number: str) -> list[dict[str, str]]:
        """The values (directory key -> value) of ``number``'s saves of ``kind`` not yet
        delivered, oldest first: what the form shows as saved meanwhile."""
        saves = (Save.of(item) for item in self._store.outbox_items(kind, number))
        return [save.contactinfo for save in saves if save is not None]

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
        self._counts_changed()
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
                self._say_held(kept, kept.held)
            else:
                self._start(kept.id)
            return kept.id
        item_id = self._store.enqueue(NOTE, target.number, {"content": content},
                                      target.call_id, clear_note_draft=True,
                                      account=self._account_key())
        self._counts_changed()
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
        if item is None or not item.held or self._closed or not _sendable(item):
            return  # an item that can never be sent stays held: Discard is the way out
        self._store.outbox_release(item_id)
        self._counts_changed()
        self._start(item_id)

    def discard_held(self, item_id: int) -> None:
        """The agent checked: DeepCall has it (or it is not wanted); it leaves the outbox."""
        item = self._store.outbox_item(item_id)
        if item is None or not item.held:
            return
        self._store.outbox_delivered(item_id)
        self._forget(item_id)
        log_event(log, "outbox_discarded", item_id=item_id, kind=item.kind)
        self._counts_changed()

    def _account_key(self) -> str:
        client = self._account.client
        return client.account_key if client is not None else ""

    def _on_account_changed(self) -> None:
        client = self._account.client
        if client is None:
            return
        try:  # back on the account they were queued under: they go again by themselves
            if self._store.outbox_release_held(ANOTHER_ACCOUNT, client.account_key):
                self._counts_changed()
        except Exception:
            log.exception("could not release the items queued under this account")
        self.retry_all()  # what an earlier run, or the old account, could not send

    def _hold_unsendable(self, unheld: list[OutboxItem]) -> None:
        """An item of a kind this version sends that it can never send (an empty note, a
        save it cannot read back) is held with the reason: counted as waiting for ever, it
        would tell the agent to wait for nothing; held, they see it and can discard it.
        ``unheld``: the items not held, as just read (no second read of the outbox)."""
        stuck = [item for item in unheld if not _sendable(item)]
        try:
            for item in stuck:
                self._store.outbox_hold(item.id, UNSENDABLE)
                log_event(log, "outbox_unsendable_held", logging.WARNING, item_id=item.id,
                          kind=item.kind)
        except Exception:  # never sent meanwhile (not sendable): held at a later read
            log.exception("could not hold an outbox item that cannot be sent")
        if stuck:
            self._counts_changed()

    # --- sending -----------------------------------------------------------------------
    def _waiting(self) -> list[OutboxItem]:
        """What may be sent now, oldest first: not held, not in flight, and of a caller's
        saves only the oldest (an update typed after a create waits for it)."""
        waiting: list[OutboxItem] = []
        first_saves: set[str] = set()
        unheld = self._store.outbox_unheld(SENDABLE_KINDS)
        self._hold_unsendable(unheld)
        for item in unheld:
            if not _sendable(item):
                continue
            if item.kind in SAVE_KINDS:
                if item.number in first_saves:
                    continue
                first_saves.add(item.number)
            if item.id not in self._in_flight:
                waiting.append(item)
        return waiting

    def _behind_older_save(self, item: OutboxItem) -> bool:
        return item.kind in SAVE_KINDS and any(
            other.id < item.id and other.kind in SAVE_KINDS and not other.held
            and _sendable(other) for other in self._store.outbox_items(number=item.number))

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
            await self._send_in_turn(item_id)
        finally:
            # Before the task counts as done, not in a callback a moment later: meanwhile a
            # retry (DeepCall answering, the agent) would find the item "in flight" and skip
            # it, and ``deepcall_answered`` would think a send still runs.
            self._ended(item_id, asyncio.current_task())

    async def _send_in_turn(self, item_id: int) -> None:
        item = self._store.outbox_item(item_id)
        if item is None:
            return
        lock, users = self._per_caller.get(item.number, (asyncio.Lock(), 0))
        self._per_caller[item.number] = (lock, users + 1)
        try:
            async with lock:  # FIFO: a caller's items leave in the order they were queued
                await self._send_now(item_id)
        finally:
            lock, users = self._per_caller[item.number]
            if users > 1:
                self._per_caller[item.number] = (lock, users - 1)
            else:
                del self._per_caller[item.number]

    async def _send_now(self, item_id: int) -> None:
        pending = self._unrecorded.pop(item_id, None)
        if pending is not None and (not self._record(item_id, pending) or not pending.resend):
            self._counts_changed()
            return
        item = self._store.outbox_item(item_id)
        if item is None or item.held or not _sendable(item):
            self._forget(item_id)
            return  # already delivered by an earlier try, held, or not ours to send
        if self._behind_older_save(item):
            # The older save first; this one is due once it has left (``_waiting``). The
            # agent who pressed Save hears that it waits, not silence.
            self.saveWaiting.emit(item.id, item.number, BEHIND)
            return
        # Whatever happens below, the timer never tries it again at once.
        self._not_before[item_id] = time.monotonic() + FIRST_RETRY_SECONDS
        started = time.perf_counter()
        if item.kind == NOTE and item.sending:
            # Its request may have left (in this run, when recording the outcome failed, or
            # in one that was killed): never sent again blindly.
            self._hold(item, INTERRUPTED, started)
            return
        try:
            await self._account.wait_loaded()
            client = self._account.client
            if client is None:
                raise NotConfigured(self._account.not_configured_message())
            if not self._belongs_to(item, client):
                self._hold(item, ANOTHER_ACCOUNT, started)
                return
            if item.kind == NOTE:
                await deliver_note(client, self._store, item)
                outcome: Delivered | Returned | None = None
            else:
                save = Save.of(item)
                assert save is not None
                deliver = deliver_create if item.kind == CREATE else deliver_update
                outcome = await deliver(client, self._store, item, save)
        except asyncio.CancelledError:
            raise
        except (MayHaveArrived, Refused) as exc:
            self._not_sure(item, exc, started)
        except Exception as exc:
            self._failed(item, exc, started)
        else:
            self._done(item, outcome, started)
        self._counts_changed()

    def _belongs_to(self, item: OutboxItem, client: DeepCallClient) -> bool:
        if not item.account:  # queued without an account (or by an older version): claimed
            self._store.outbox_claim(item.id, client.account_key)
            return True
        return item.account == client.account_key

    def _done(self, item: OutboxItem, outcome: Delivered | Returned | None,
              started: float) -> None:
        self._forget(item.id)
        if isinstance(outcome, Returned):
            drafts, later = self._with_later_saves(item, outcome.drafts)
            returned = [item.id, *later]
            if self._record(item.id, _Record(lambda: self._store.outbox_returned(
                    item.id, item.number, drafts, outcome.form_error, also=later),
                    resend=False, what="the returned save")):
                log_event(log, "save_returned", item_id=item.id, ms=ms_since(started))
                for item_id in returned:
                    self.saveReturned.emit(item_id, item.number, outcome.form_error)
            return
        # DeepCall has it: said at once, whether or not the store can record it yet (until
        # it can, the item is neither sent again nor forgotten).
        self._record(item.id, _Record(lambda: self._store.outbox_delivered(item.id),
                                      resend=False, what="the delivery"))
        log_event(log, f"{item.kind}_sent", item_id=item.id, ms=ms_since(started))
        if outcome is None:
            self.noteSent.emit(item.id, item.number, note_text(item))
        else:
            self.saveDelivered.emit(item.id, item.number, outcome.saved, item.kind)
        # DeepCall takes writes again: what waits goes too, once this burst of sends is over
        # (one look at the outbox, not one per delivered item).
        self._wake_after_burst = True

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

    def _not_sure(self, item: OutboxItem, exc: MayHaveArrived | Refused,
                  started: float) -> None:
        if item.kind != NOTE:  # a save is checked with getInfo before its next try
            self._failed(item, exc, started)
            return
        reason = exc.user_message if isinstance(exc, MayHaveArrived) else \
            f"DeepCall refused this note: {exc.user_message}"
        self._hold(item, reason, started, error=type(exc).__name__)

    def _hold(self, item: OutboxItem, reason: str, started: float, *,
              error: str = "") -> None:
        """Keep the item for the agent. Said at once; written again later if the store
        refuses now (meanwhile its ``sending`` mark, or this memory, keeps it from going)."""
        self._forget(item.id)
        self._record(item.id, _Record(lambda: self._store.outbox_hold(item.id, reason),
                                      resend=False, what="the hold"))
        log_event(log, f"{item.kind}_held", logging.WARNING, item_id=item.id,
                  error=error or reason[:40], ms=ms_since(started))
        if item.kind == NOTE:
            self._say_held(item, reason)
        else:
            self.saveWaiting.emit(item.id, item.number, f"Not saved: {reason}")
        self._counts_changed()

    def _say_held(self, item: OutboxItem, reason: str) -> None:
        self.noteHeld.emit(item.id, item.number, reason)
        self.noteFailed.emit(item.id, item.number, f"Note held for you: {reason}")

    def _failed(self, item: OutboxItem, exc: Exception, started: float) -> None:
        if isinstance(exc, DeepCallApiError):
            error: DeepCallApiError = exc
        else:
            log.error("sending an outbox item failed unexpectedly", exc_info=exc)
            error = UnexpectedError(exc, "sending the note" if item.kind == NOTE
                                    else "saving the contact")
        attempts = item.attempts + 1
        if isinstance(exc, NoCallYet) and attempts >= NO_CALL_TRIES:
            self._hold(item, NO_CALL.format(n=attempts), started, error=type(exc).__name__)
            return
        wait = min(max(self._backoff(attempts), 0.0), MAX_WAIT_SECONDS)
        self._not_before[item.id] = time.monotonic() + wait
        self._record(item.id, _Record(lambda: self._store.outbox_failed(
            item.id, error.user_message, self._clock() + wait),
            resend=True, what="the failed attempt"))
        log_event(log, f"{item.kind}_failed", logging.WARNING, item_id=item.id,
                  error=type(error).__name__, ms=ms_since(started))
        if item.kind == NOTE:
            self.noteFailed.emit(item.id, item.number,
                                 f"Note not sent yet (kept, will retry): {error.user_message}")
        else:
            self.saveWaiting.emit(item.id, item.number,
                                  f"Not saved yet (kept, will retry): {error.user_message}")

    def _record(self, item_id: int, record: _Record) -> bool:
        """Do ``record``'s write; when the store refuses (a full disk, a file locked by
        another program), keep it to be done first at the item's next try, with backoff."""
        try:
            record.write()
        except Exception:
            failures = record.failures + 1
            log.exception("could not record %s of outbox item %d (%d time(s)); trying "
                          "again later", record.what, item_id, failures)
            self._unrecorded[item_id] = dataclasses.replace(record, failures=failures)
            wait = min(max(self._backoff(failures), 0.0), MAX_WAIT_SECONDS)
            self._not_before[item_id] = max(self._not_before.get(item_id, 0.0),
                                            time.monotonic() + wait)
            return False
        return True

    def _forget(self, item_id: int) -> None:
        """The item's memory of this run goes (it left, or is held): nothing to wait for."""
        self._not_before.pop(item_id, None)
        self._unrecorded.pop(item_id, None)

    def _counts_changed(self) -> None:
        try:
            waiting, held = self.counts()
        except Exception:
            log.exception("could not count the outbox")
            return
        self.countsChanged.emit(waiting, held)

    # --- the retry timer ------------------------------------------------------------------
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
        if waiting:
            now, monotonic_now = self._clock(), time.monotonic()
            wait = min(self._wait_for(item, now, monotonic_now) for item in waiting)
            self._retry_timer.start(math.ceil(wait * 1000))

    def _send_due(self) -> None:
        now, monotonic_now = self._clock(), time.monotonic()
        try:
            due = [item.id for item in self._waiting()
                   if self._wait_for(item, now, monotonic_now) <= 0]
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
