"""The outbox: every write for DeepCall is kept locally first and leaves only once delivered.

Notes go through here now (notesAdd); Directory saves are the next kind. An item is stored
before it is sent, sent at most once at a time, and deleted only after DeepCall accepted it:
a failure keeps it (with the reason and the attempt count) for the next try. Everything still
waiting is sent again whenever the account changes to a working one (start-up included);
what is being sent at that moment finishes on the client it started on. Only the kinds this
version knows are ever sent: a row of an unknown kind (written by a newer version) or with an
unreadable payload stays untouched.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Final

from PySide6.QtCore import QObject, Signal

from app.api.errors import DeepCallApiError
from app.services.account import Account
from app.services.errors import NotConfigured, UnexpectedError
from app.services.logs import log_event, ms_since
from app.services.store import LocalStore, OutboxItem
from app.services.tasks import OwnedTasks

log = logging.getLogger(__name__)

NOTE: Final = "note"
UPDATE: Final = "update"  # Directory update of a known caller (payload: see ``add_save``)
CREATE: Final = "create"  # Directory create of a new caller
SENDABLE_KINDS: Final = frozenset({NOTE})


@dataclass(frozen=True)
class NoteTarget:
    """Whose call a note belongs to. No ``call_id``: DeepCall's latest call with the number,
    asked for when the note is sent."""

    number: str  # E.164
    call_id: str | None = None


def note_text(item: OutboxItem) -> str:
    content = item.payload.get("content")
    return content if isinstance(content, str) else ""


def _sendable(item: OutboxItem) -> bool:
    return item.kind in SENDABLE_KINDS and bool(note_text(item).strip())


class Outbox(QObject):
    noteSent = Signal(int, str, str)  # outbox id, caller number, the note's text
    noteFailed = Signal(int, str, str)  # outbox id, caller number, plain message (kept)
    # INTERFACE (issue 10), filled in by the services work:
    # A note that may already be in DeepCall (the connection broke after it was sent), or that
    # DeepCall refused: kept, not resent, until the agent confirms or discards it.
    noteHeld = Signal(int, str, str)  # outbox id, caller number, plain message
    # DeepCall accepted a save: id, number, {directory key: value} as saved, kind (update|create)
    saveDelivered = Signal(int, str, object, str)
    saveWaiting = Signal(int, str, str)  # id, number, plain message: not sent yet, kept, retried
    # A save refused by DeepCall or in conflict with a newer change there: its edits are back
    # among the caller's drafts with the reason (ContactEdits has them). id, number, the
    # form-level message ("" when every reason sits next to a field).
    saveReturned = Signal(int, str, str)
    countsChanged = Signal(int, int)  # waiting (sending or to be retried), held for the agent

    def __init__(self, store: LocalStore, account: Account,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._account = account
        self._tasks = OwnedTasks(log, "an outbox task")
        self._in_flight: set[int] = set()
        self._closed = False
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

    # --- INTERFACE (issue 10) -------------------------------------------------------------
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
        raise NotImplementedError

    def counts(self) -> tuple[int, int]:
        """(waiting, held): for the status bar, the tray and ``screenpop state``."""
        raise NotImplementedError

    def held_items(self) -> list[OutboxItem]:
        raise NotImplementedError

    def confirm_held(self, item_id: int) -> None:
        """The agent checked: send the held item again."""
        raise NotImplementedError

    def discard_held(self, item_id: int) -> None:
        """The agent checked: DeepCall has it (or it is not wanted); it leaves the outbox."""
        raise NotImplementedError

    def deepcall_answered(self) -> None:
        """DeepCall just answered a request (a lookup, the counters): send what waits, now."""
        raise NotImplementedError

    # --- notes -------------------------------------------------------------------------
    def add_note(self, target: NoteTarget, text: str) -> int | None:
        """Keep the note, then send it; its outbox id (None for an empty note).

        The same words already waiting for the same caller and call are that note, sent again
        rather than added twice (the agent pressing "Retry sending note"). Store failures
        (a full disk) propagate: the caller keeps the text and says so.
        """
        content = text.strip()
        if not content or self._closed:
            return None
        for item in self._store.outbox_items(NOTE, target.number):
            if note_text(item) == content and \
                    (target.call_id is None or item.call_id in (None, target.call_id)):
                self.retry_all()
                return item.id
        item_id = self._store.enqueue(NOTE, target.number, {"content": content},
                                      target.call_id, clear_note_draft=True)
        self._start(item_id)
        return item_id

    def retry_all(self) -> list[int]:
        """Send everything still waiting (oldest first), except what is being sent; their ids."""
        if self._closed:
            return []
        waiting = [item.id for item in self._store.outbox_items()
                   if item.id not in self._in_flight and _sendable(item)]
        for item_id in waiting:
            self._start(item_id)
        return waiting

    def _on_account_changed(self) -> None:
        if self._account.client is not None:
            self.retry_all()  # what an earlier run, or the old account, could not send

    def _start(self, item_id: int) -> None:
        # One send per item at a time: a second retry while it is in flight would add it twice.
        self._in_flight.add(item_id)
        task = self._tasks.spawn(self._send_note(item_id))
        task.add_done_callback(lambda _: self._in_flight.discard(item_id))

    async def _send_note(self, item_id: int) -> None:
        item = self._store.outbox_item(item_id)
        if item is None or not _sendable(item):
            return  # already delivered by an earlier try (or not ours to send)
        started = time.perf_counter()
        try:
            await self._account.wait_loaded()
            client = self._account.client
            if client is None:
                raise NotConfigured(self._account.not_configured_message())
            call_id = item.call_id
            if call_id is None:
                calls = await client.recent_calls(item.number)
                call_id = calls[0].call_id if calls else None
                if not call_id:
                    raise DeepCallApiError(
                        "The note could not be attached: DeepCall lists no call with this "
                        "number yet. It is kept and will be sent when you retry.")
                self._store.set_outbox_call_id(item_id, call_id)
            await client.notes_add(item.number, note_text(item), call_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._failed(item, exc, started)
            return
        self._store.outbox_delivered(item_id)
        log_event(log, "note_sent", note_id=item_id, ms=ms_since(started))
        self.noteSent.emit(item_id, item.number, note_text(item))

    def _failed(self, item: OutboxItem, exc: Exception, started: float) -> None:
        if isinstance(exc, DeepCallApiError):
            error: DeepCallApiError = exc
        else:
            log.error("sending a note failed unexpectedly", exc_info=exc)
            error = UnexpectedError(exc, "sending the note")
        try:
            self._store.outbox_failed(item.id, error.user_message)
        except Exception:  # the note itself is still stored; only the attempt count is lost
            log.exception("could not record the failed attempt in the outbox")
        log_event(log, "note_failed", logging.WARNING, note_id=item.id,
                  error=type(error).__name__, ms=ms_since(started))
        self.noteFailed.emit(item.id, item.number,
                             f"Note not sent yet (kept, will retry): {error.user_message}")

    async def shutdown(self) -> None:
        """Stop sending; whatever is unsent stays in the outbox for the next start."""
        self._closed = True
        await self._tasks.cancel_and_wait()
