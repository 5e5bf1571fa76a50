"""A caller number's path from "it rang" to "the form is filled", and the notes sent for it.

``pop(request)`` shows the formatted number at once (``popReceived``, before any HTTP), then
runs contactInfo and recentCalls concurrently on the shared DeepCall client and reports
``contactFound`` / ``callerUnknown`` / ``lookupFailed`` with a ``PopResult``. The rules:

- latest wins: a new number cancels the lookup in flight; a cancelled lookup never emits;
- the same number again within ``dedupe_seconds`` does not pop twice;
- a number looked up within ``cache_seconds`` pops from memory at once, then refreshes in the
  background (the refreshed result is emitted again if it is still the current number);
- every task is kept in a set until it ends (never fire-and-forget).

Notes go through the local store's outbox first (``LocalStore.enqueue_note``), then notesAdd;
they leave the outbox only once DeepCall accepted them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal, Protocol

from PySide6.QtCore import QObject, Signal

from app.api.errors import DeepCallApiError
from app.api.models import Counters, RecentCall
from app.core.contact import Contact, LookupResult
from app.core.contact_view import ContactView, build_contact_view, format_number
from app.core.field_mapping import FieldMapping
from app.services.logs import log_event
from app.services.store import LocalStore

log = logging.getLogger(__name__)

PopStatus = Literal["idle", "loading", "found", "unknown", "error"]
CACHE_MAX_ENTRIES: Final = 200


class LookupClient(Protocol):
    """What the coordinator needs of ``app.api.client.DeepCallClient``."""

    async def contact_info(self, caller_number: str, field: str = ...) -> LookupResult: ...
    async def recent_calls(self, caller_number: str) -> list[RecentCall]: ...
    async def counters(self) -> Counters: ...
    async def notes_add(self, caller_number: str, content: str, call_id: str) -> None: ...


class PopRequestLike(Protocol):
    """``app.core.pop_request.PopRequest`` fits: the number is already E.164."""

    @property
    def number(self) -> str: ...
    @property
    def call_id(self) -> str | None: ...
    @property
    def source(self) -> str | None: ...


@dataclass(frozen=True)
class SimplePopRequest:
    number: str
    call_id: str | None = None
    source: str | None = None


class NotConfigured(DeepCallApiError):
    """No DeepCall account is set up yet, so nothing can be looked up."""

    def __init__(self, user_message: str = "DeepCall is not set up yet: open Settings and "
                 "enter your account's address and token.") -> None:
        super().__init__(user_message, detail="no DeepCall client configured")


class UnexpectedLookupError(DeepCallApiError):
    """A bug, not a DeepCall answer: the details are in the log."""

    def __init__(self, exc: BaseException) -> None:
        super().__init__("Something unexpected went wrong while looking up the caller. "
                         "Try again; the details are in the log.",
                         detail=type(exc).__name__)


@dataclass(frozen=True)
class PopResult:
    """Everything the window shows for one number at one moment."""

    number: str  # E.164
    formatted: str
    status: PopStatus
    call_id: str | None = None
    source: str | None = None
    result: LookupResult | None = None
    view: ContactView | None = None
    recent_calls: tuple[RecentCall, ...] = ()
    recent_calls_pending: bool = False  # recentCalls still running: recentCallsChanged follows
    recent_calls_error: DeepCallApiError | None = None
    error: DeepCallApiError | None = None
    from_cache: bool = False
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def caller_name(self) -> str:
        """The contact's name as the form shows it ("" if none)."""
        return self.view.caller_name if self.view is not None else ""

    @property
    def error_code(self) -> int | None:
        code = getattr(self.error, "code", None)
        return code if isinstance(code, int) else None


@dataclass
class _CacheEntry:
    at: float
    result: LookupResult
    recent_calls: tuple[RecentCall, ...]


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)


class PopCoordinator(QObject):
    # e164, formatted number, call_id (str or None): emitted before any HTTP
    popReceived = Signal(str, str, object)
    contactFound = Signal(object)  # PopResult (status "found")
    callerUnknown = Signal(object)  # PopResult (status "unknown")
    lookupFailed = Signal(object)  # PopResult (status "error"; .error has user_message)
    recentCallsChanged = Signal(str, object)  # e164, tuple[RecentCall, ...]
    statusChanged = Signal(str)  # idle|loading|found|unknown|error
    noteQueued = Signal(int, str)  # outbox id, text: saved locally, sending
    noteSent = Signal(int, str)  # outbox id, text: DeepCall accepted it
    noteFailed = Signal(int, str)  # outbox id, plain message (the note stays in the outbox)

    def __init__(self, client: LookupClient | None, mapping: FieldMapping, store: LocalStore,
                 *, dedupe_seconds: float = 10.0, cache_seconds: float = 120.0,
                 clock: Callable[[], float] = time.monotonic,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self.mapping = mapping
        self.store = store
        self.dedupe_seconds = dedupe_seconds
        self.cache_seconds = cache_seconds
        self._clock = clock
        self._tasks: set[asyncio.Task[Any]] = set()
        self._lookup_task: asyncio.Task[None] | None = None
        self._generation = 0
        self._current: PopResult | None = None
        self._popped_at = 0.0
        self._pop_id: int | None = None
        self._cache: OrderedDict[str, _CacheEntry] = OrderedDict()
        self._notes_in_flight: set[int] = set()

    # --- configuration -------------------------------------------------------------------
    @property
    def client(self) -> LookupClient | None:
        return self._client

    def set_client(self, client: LookupClient | None) -> None:
        """A new account (settings changed): forget what the old one answered."""
        self._client = client
        self._cache.clear()

    def set_mapping(self, mapping: FieldMapping) -> None:
        """A new field mapping: re-lay the current contact out and show it again."""
        self.mapping = mapping
        current = self._current
        if current is not None and current.result is not None:
            self._current = replace(current, view=build_contact_view(current.result, mapping))
            self._emit_result(self._current)

    @property
    def current(self) -> PopResult | None:
        return self._current

    @property
    def busy(self) -> bool:
        """A lookup, refresh or note is still running."""
        return any(not task.done() for task in self._tasks)

    @property
    def status(self) -> PopStatus:
        return self._current.status if self._current else "idle"

    # --- the pop -------------------------------------------------------------------------
    def pop(self, request: PopRequestLike) -> bool:
        """Show ``request.number`` now and look it up; False if it was a duplicate pop."""
        number = request.number
        now = self._clock()
        current = self._current
        if (current is not None and current.number == number and current.status != "error"
                and now - self._popped_at < self.dedupe_seconds):
            if request.call_id and request.call_id != current.call_id:
                # Same caller, the softphone now knows the call's id: keep it for notes.
                self._current = replace(current, call_id=request.call_id)
            log_event(log, "pop_deduplicated", number=number, source=request.source)
            return False

        self._popped_at = now
        self._generation += 1
        self._cancel_lookup()
        formatted = format_number(number)
        self._current = PopResult(number=number, formatted=formatted, status="loading",
                                  call_id=request.call_id, source=request.source)
        log_event(log, "pop_received", number=number, source=request.source,
                  call_id=request.call_id)
        self.popReceived.emit(number, formatted, request.call_id)
        self.statusChanged.emit("loading")
        self._pop_id = self._record_pop(number, request)

        cached = self._cache.get(number)
        if cached is not None and now - cached.at <= self.cache_seconds:
            self._show(self._generation, cached.result, cached.recent_calls,
                       pending=False, from_cache=True, timings={"cache_ms": 0.0})
            self._start_lookup(background=True)
        else:
            self._start_lookup(background=False)
        return True

    def retry(self) -> bool:
        """Look the current number up again (the error state's retry button)."""
        current = self._current
        if current is None:
            return False
        self._generation += 1
        self._cancel_lookup()
        self._current = replace(current, status="loading", error=None, timings_ms={})
        self.statusChanged.emit("loading")
        self._start_lookup(background=False)
        return True

    def _record_pop(self, number: str, request: PopRequestLike) -> int | None:
        try:
            return self.store.record_pop(number, "loading", call_id=request.call_id,
                                         source=request.source)
        except Exception:  # history is a convenience; never let it stop a pop
            log.exception("could not record the pop in the local history")
            return None

    def _cancel_lookup(self) -> None:
        task = self._lookup_task
        if task is not None and not task.done():
            task.cancel()
            log_event(log, "lookup_cancelled", reason="a newer pop")
        self._lookup_task = None

    def _spawn(self, coro: Coroutine[Any, Any, Any], *,
               part_of_lookup: bool = False) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(lambda t: self._task_done(t, part_of_lookup))
        return task

    def _task_done(self, task: asyncio.Task[Any], part_of_lookup: bool) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        # Retrieve every exception: a lookup's own request tasks fail "expectedly" (their
        # error is handled, or belongs to a lookup nobody waits for any more); anything else
        # escaping a task is a bug and goes to the log instead of asyncio's GC-time warning.
        exc = task.exception()
        if exc is not None and not part_of_lookup:
            log.error("a screen-pop task failed unexpectedly", exc_info=exc)

    def _start_lookup(self, *, background: bool) -> None:
        current = self._current
        assert current is not None
        self._lookup_task = self._spawn(
            self._lookup(self._generation, current.number, background))

    async def _lookup(self, generation: int, number: str, background: bool) -> None:
        started = time.perf_counter()
        client = self._client
        log_event(log, "lookup_started", number=number, background=background)
        if client is None:
            self._fail(generation, NotConfigured(), {"total_ms": 0.0}, background)
            return
        timings: dict[str, float] = {}

        async def timed(name: str, coro: Coroutine[Any, Any, Any]) -> Any:
            t0 = time.perf_counter()
            try:
                return await coro
            finally:
                timings[f"{name}_ms"] = _ms(t0)

        contact_task = self._spawn(timed("contact_info", client.contact_info(number)),
                                   part_of_lookup=True)
        calls_task = self._spawn(timed("recent_calls", client.recent_calls(number)),
                                 part_of_lookup=True)
        try:
            try:
                result: LookupResult = await contact_task
            except DeepCallApiError as exc:
                timings["total_ms"] = _ms(started)
                self._fail(generation, exc, timings, background)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("lookup of %s failed unexpectedly", number)
                timings["total_ms"] = _ms(started)
                self._fail(generation, UnexpectedLookupError(exc), timings, background)
                return

            calls, calls_error, pending = self._recent_calls_if_done(calls_task)
            timings["total_ms"] = _ms(started)
            self._remember(number, result, calls if not pending else None)
            self._show(generation, result, calls, pending=pending, from_cache=False,
                       timings=timings, calls_error=calls_error)
            if pending:
                await self._finish_recent_calls(generation, number, calls_task)
        finally:
            # Latest wins: whatever is still running for an old number stops here.
            for task in (contact_task, calls_task):
                if not task.done():
                    task.cancel()

    @staticmethod
    def _recent_calls_if_done(task: asyncio.Task[Any]) -> tuple[
            tuple[RecentCall, ...], DeepCallApiError | None, bool]:
        if not task.done():
            return (), None, True
        if task.cancelled():
            return (), None, False
        exc = task.exception()
        if isinstance(exc, DeepCallApiError):
            log_event(log, "recent_calls_failed", logging.WARNING,
                      error=type(exc).__name__, detail=exc.detail)
            return (), exc, False
        if exc is not None:
            log.error("recentCalls failed unexpectedly", exc_info=exc)
            return (), UnexpectedLookupError(exc), False
        return tuple(task.result()), None, False

    async def _finish_recent_calls(self, generation: int, number: str,
                                   task: asyncio.Task[Any]) -> None:
        try:
            await asyncio.wait([task])
        except asyncio.CancelledError:
            task.cancel()
            raise
        calls, error, _ = self._recent_calls_if_done(task)
        if generation != self._generation or self._current is None:
            return
        entry = self._cache.get(number)
        if entry is not None:
            entry.recent_calls = calls
        self._current = replace(self._current, recent_calls=calls, recent_calls_pending=False,
                                recent_calls_error=error)
        self.recentCallsChanged.emit(number, calls)

    def _remember(self, number: str, result: LookupResult,
                  calls: tuple[RecentCall, ...] | None) -> None:
        self._cache[number] = _CacheEntry(self._clock(), result, calls or ())
        self._cache.move_to_end(number)
        while len(self._cache) > CACHE_MAX_ENTRIES:
            self._cache.popitem(last=False)

    def _show(self, generation: int, result: LookupResult, calls: tuple[RecentCall, ...], *,
              pending: bool, from_cache: bool, timings: dict[str, float],
              calls_error: DeepCallApiError | None = None) -> None:
        current = self._current
        if generation != self._generation or current is None:
            return  # a newer pop owns the window
        status: PopStatus = "found" if isinstance(result, Contact) else "unknown"
        self._current = replace(
            current, status=status, result=result, view=build_contact_view(result, self.mapping),
            recent_calls=calls, recent_calls_pending=pending, recent_calls_error=calls_error,
            error=None, from_cache=from_cache, timings_ms=dict(timings))
        log_event(log, "lookup_finished", number=current.number, status=status,
                  from_cache=from_cache, **timings)
        self._update_history(status, self._current.caller_name)
        self._emit_result(self._current)

    def _fail(self, generation: int, error: DeepCallApiError, timings: dict[str, float],
              background: bool) -> None:
        current = self._current
        log_event(log, "lookup_failed", logging.WARNING,
                  number=getattr(current, "number", ""),
                  error=type(error).__name__, code=getattr(error, "code", None),
                  detail=error.detail, background=background, **timings)
        if generation != self._generation or current is None:
            return
        if background and current.status in ("found", "unknown"):
            return  # the cached contact stays on screen; the refresh is only a bonus
        self._current = replace(current, status="error", error=error, timings_ms=dict(timings))
        self._update_history("error", "")
        self._emit_result(self._current)

    def _update_history(self, status: str, name: str) -> None:
        if self._pop_id is None:
            return
        try:
            self.store.update_pop(self._pop_id, status, name)
        except Exception:
            log.exception("could not update the local history")

    def _emit_result(self, result: PopResult) -> None:
        signal = {"found": self.contactFound, "unknown": self.callerUnknown,
                  "error": self.lookupFailed}.get(result.status)
        if signal is not None:
            signal.emit(result)
            self.statusChanged.emit(result.status)

    # --- state query -----------------------------------------------------------------------
    def snapshot(self) -> dict[str, object]:
        """What ``screenpop state`` prints (JSON-ready)."""
        current = self._current
        if current is None:
            return {"number": None, "formatted": None, "status": "idle", "name": None,
                    "fields": {}, "error_code": None, "error_message": None,
                    "call_id": None, "source": None, "recent_calls": 0,
                    "from_cache": False, "timings": {}}
        return {
            "number": current.number,
            "formatted": current.formatted,
            "status": current.status,
            "name": current.caller_name or None,
            "fields": current.view.display_values() if current.view else {},
            "error_code": current.error_code,
            "error_message": current.error.user_message if current.error else None,
            "call_id": current.call_id,
            "source": current.source,
            "recent_calls": len(current.recent_calls),
            "from_cache": current.from_cache,
            "timings": dict(current.timings_ms),
        }

    # --- notes -----------------------------------------------------------------------------
    def add_note(self, text: str) -> int | None:
        """Save the note for the current caller in the outbox, then send it.

        Returns the outbox id (None if there is no caller or the text is empty).
        """
        current = self._current
        content = text.strip()
        if current is None or not content:
            return None
        note_id = self.store.enqueue_note(current.number, content, current.call_id)
        self.noteQueued.emit(note_id, content)
        self._start_note(note_id)
        return note_id

    def retry_notes(self) -> list[int]:
        """Send every note still in the outbox again (oldest first); their ids."""
        pending = [note.id for note in self.store.pending_notes()
                   if note.id not in self._notes_in_flight]
        for note_id in pending:
            self._start_note(note_id)
        return pending

    def _start_note(self, note_id: int) -> None:
        # One send per note at a time: a second retry while it is in flight would add it twice.
        self._notes_in_flight.add(note_id)
        task = self._spawn(self._send_note(note_id))
        task.add_done_callback(lambda _: self._notes_in_flight.discard(note_id))

    async def _call_id_for(self, number: str) -> str | None:
        """The latest call with ``number``: from the shown recent calls, else ask DeepCall."""
        current = self._current
        if current is not None and current.number == number and current.recent_calls:
            return current.recent_calls[0].call_id
        if self._client is None:
            return None
        calls = await self._client.recent_calls(number)
        return calls[0].call_id if calls else None

    async def _send_note(self, note_id: int) -> None:
        note = self.store.note(note_id)
        if note is None:
            return  # already sent by an earlier retry
        started = time.perf_counter()
        try:
            if self._client is None:
                raise NotConfigured()
            call_id = note.call_id or await self._call_id_for(note.number)
            if not call_id:
                raise DeepCallApiError(
                    "The note could not be attached: DeepCall lists no call with this number "
                    "yet. It is kept and will be sent when you retry.")
            if note.call_id is None:
                self.store.set_note_call_id(note_id, call_id)
            await self._client.notes_add(note.number, note.content, call_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            error = exc if isinstance(exc, DeepCallApiError) else UnexpectedLookupError(exc)
            if not isinstance(exc, DeepCallApiError):
                log.error("sending a note failed unexpectedly", exc_info=exc)
            message = f"Note not sent yet (kept, will retry): {error.user_message}"
            self.store.note_failed(note_id, error.user_message)
            log_event(log, "note_failed", logging.WARNING, note_id=note_id,
                      error=type(error).__name__, ms=_ms(started))
            self.noteFailed.emit(note_id, message)
            return
        self.store.note_sent(note_id)
        log_event(log, "note_sent", note_id=note_id, ms=_ms(started))
        self.noteSent.emit(note_id, note.content)

    # --- shutdown --------------------------------------------------------------------------
    async def shutdown(self) -> None:
        """Cancel every task and wait for them (the one shutdown path calls this)."""
        self._generation += 1
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
