"""A caller number's path from "it rang" to "the form is filled": the one owner of the current
caller.

``pop(request)`` shows the formatted number at once (``popReceived``, before any HTTP), then
runs contactInfo and recentCalls concurrently on the account's DeepCall client and reports
``contactFound`` / ``callerUnknown`` / ``lookupFailed`` with a ``PopResult``. The rules:

- latest wins: a new number cancels the lookup in flight, and a lookup only ever reports to
  the pop that started it (the pop generation), so a late answer never shows as current;
- an answer counts only for the account it was asked of: when the account changes, the
  current caller is looked up again with the new one (cancelling the old lookup), and the
  cache gives back only answers of the account in use (``Account.key``);
- one call pops once: the same call id never pops twice, whatever the time (another call id
  from the same number is another call); without a call id, the same number again within
  ``dedupe_seconds`` does not pop twice (and the call id one of them named is kept);
- a withheld caller (``PopRequest.number`` None) is shown as "Withheld number" under a key of
  its own call (``withheld_key``): never looked up, never cached, never matched to anyone;
- a number looked up recently pops from the ``LookupCache`` at once, then refreshes in the
  background (the refreshed result is emitted again if it is still the current number);
- every task is kept in a set until it ends (never fire-and-forget).

Its neighbours do the rest: ``CallerLookup`` runs the two requests, ``LookupCache`` and
``PopHistory`` remember, ``Outbox`` sends notes, ``state_snapshot`` reports the state.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.api.errors import DeepCallApiError
from app.core.caller_id import WITHHELD_LABEL, is_withheld_key, withheld_key
from app.core.contact import Contact, LookupResult
from app.core.contact_view import build_contact_view, format_number
from app.core.edits import apply_contactinfo
from app.core.field_mapping import FieldMapping
from app.core.pop_request import PopRequest
from app.services.account import Account
from app.services.caller_lookup import CallerLookup, RecentCallsOutcome
from app.services.errors import NotConfigured
from app.services.logs import log_event
from app.services.lookup_cache import LookupCache
from app.services.outbox import NoteTarget
from app.services.pop_history import LEFT, REOPENED, WITHHELD, PopHistory
from app.services.pop_result import PopResult, PopStatus
from app.services.tasks import OwnedTasks

log = logging.getLogger(__name__)

class PopCoordinator(QObject):
    # A new pop is about to replace the current one (the same number again included): the
    # number leaving, so what was typed for it is saved first.
    callerLeaving = Signal(str)
    # e164, formatted number, call_id (str or None): emitted before any HTTP
    popReceived = Signal(str, str, object)
    contactFound = Signal(object)  # PopResult (status "found")
    callerUnknown = Signal(object)  # PopResult (status "unknown")
    lookupFailed = Signal(object)  # PopResult (status "error"; .error has user_message)
    callerWithheld = Signal(object)  # PopResult (status "withheld"): nothing to look up
    recentCallsChanged = Signal(str, object)  # e164, tuple[RecentCall, ...]
    statusChanged = Signal(str)  # idle|loading|found|unknown|error
    # The current caller is looked up again from scratch (Retry, another account): the
    # PopResult (status "loading") with nothing of the earlier answer left in it.
    lookupRestarted = Signal(object)

    def __init__(self, account: Account, mapping: FieldMapping, history: PopHistory,
                 cache: LookupCache, *, dedupe_seconds: float = 10.0,
                 clock: Callable[[], float] = time.monotonic,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._account = account
        self.mapping = mapping
        self._history = history
        self._cache = cache
        self.dedupe_seconds = dedupe_seconds
        self._clock = clock
        self._tasks = OwnedTasks(log, "a screen-pop task")
        self._lookup_task: asyncio.Task[None] | None = None
        self._generation = 0
        self._current: PopResult | None = None
        self._popped_at = 0.0
        self._pop_id: int | None = None
        self._closed = False
        account.changed.connect(self._on_account_changed)

    # --- configuration -------------------------------------------------------------------
    def set_dedupe_seconds(self, seconds: float) -> None:
        self.dedupe_seconds = seconds

    def set_mapping(self, mapping: FieldMapping) -> None:
        """A new field mapping: re-lay the current contact out and show it again."""
        self.mapping = mapping
        current = self._current
        if current is not None and current.result is not None:
            self._current = replace(current, view=build_contact_view(current.result, mapping))
            self._emit_result(self._current)

    def _on_account_changed(self) -> None:
        """Answers of the old account are no use any more: the caller on screen is looked up
        again with the new one (which says so if there is no working account now)."""
        self._cache.clear()
        if self._current is not None:
            self.retry(reason="the account changed")

    @property
    def current(self) -> PopResult | None:
        return self._current

    @property
    def busy(self) -> bool:
        """A lookup or refresh is still running."""
        return self._tasks.busy

    @property
    def status(self) -> PopStatus:
        return self._current.status if self._current else "idle"

    def note_target(self) -> NoteTarget | None:
        """Where a note typed now belongs: the current caller, under the call id the softphone
        gave, else the latest call DeepCall listed for them (None: asked when sending)."""
        current = self._current
        if current is None:
            return None
        call_id = current.call_id
        if current.status == WITHHELD:
            # No number to ask DeepCall for the latest call: only the call the phone named.
            return NoteTarget(current.number, call_id) if call_id else None
        if call_id is None and current.recent_calls:
            call_id = current.recent_calls[0].call_id
        return NoteTarget(current.number, call_id)

    def why_no_note_target(self) -> str:
        """What the note box says when ``note_target()`` is None (the text stays in it)."""
        if self._current is not None and self._current.status == WITHHELD:
            return ("The caller withheld their number and the phone did not say which call "
                    "this is, so DeepCall has nowhere to keep this note. Your text is kept "
                    "here: copy it where you need it.")
        return "There is no caller to attach the note to yet."

    def adopt_call_id(self, number: str, call_id: str) -> bool:
        """The caller on screen, popped with no call id, is the call ``call_id`` (an event
        named it with their number, or, for a withheld caller, their key): their notes go
        under it, their drafts stay under their number or key. False if that is not so."""
        current = self._current
        if current is None or current.number != number or current.call_id is not None:
            return False
        self._current = replace(current, call_id=call_id)
        self._history.set_call_id(self._pop_id, call_id)
        log_event(log, "call_id_adopted", number=number, call_id=call_id)
        return True

    def fill_call_details(self, call_id: str, *, line: str | None = None,
                          from_agent: str | None = None) -> None:
        """The call on screen was named again: a line it lacked, the agent who transferred
        it here."""
        current = self._current
        if current is None or current.call_id != call_id:
            return
        self._current = replace(current, line=current.line or line,
                                from_agent=from_agent or current.from_agent)

    # --- the pop -------------------------------------------------------------------------
    def pop(self, request: PopRequest) -> bool:
        """Show ``request.number`` now and look it up; False if it was a duplicate pop."""
        if self._closed:
            return False  # shutting down: nothing new starts
        number = request.number
        if number is None or is_withheld_key(number):
            return self._pop_withheld(request)
        now = self._clock()
        current = self._current
        if current is not None and self._same_call(current, request, now):
            self._merge(current, request)
            log_event(log, "pop_deduplicated", number=number, source=request.source,
                      call_id=request.call_id)
            return False

        self._start_pop(number, request, now, resume=False)
        return True

    def resume(self, request: PopRequest) -> bool:
        """The call ``request`` names, popped before, is on screen again: the agent answered
        it while another caller was shown, or is back on it. It goes on under its history
        row (no new one), from the cache when fresh; False when shutting down."""
        if self._closed or request.call_id is None:
            return False
        number = request.number
        if number is None or is_withheld_key(number):
            return self._pop_withheld(request, resume=True)
        self._start_pop(number, request, self._clock(), resume=True)
        return True

    def _start_pop(self, number: str, request: PopRequest, now: float, *,
                   resume: bool) -> None:
        self._replace_current(request, now)
        formatted = format_number(number)
        self._current = PopResult(number=number, formatted=formatted, status="loading",
                                  call_id=request.call_id, source=request.source,
                                  line=request.line, from_agent=request.from_agent)
        log_event(log, "pop_resumed" if resume else "pop_received", number=number,
                  source=request.source, call_id=request.call_id)
        self.popReceived.emit(number, formatted, request.call_id)
        self.statusChanged.emit("loading")
        self._pop_id = self._history.latest_pop(request.call_id) if resume \
            else self._history.record(request)

        cached = self._cache.fresh(number, self._account.key)
        if cached is not None:
            self._show(self._generation, cached.result, RecentCallsOutcome(cached.recent_calls),
                       from_cache=True, timings={"cache_ms": 0.0})
            self._start_lookup(background=True)
        else:
            self._start_lookup(background=False)

    def _same_call(self, current: PopResult, request: PopRequest, now: float) -> bool:
        """``request`` is the call already on screen: the same call id (whatever the time;
        another id is another call, even from the same number), or, when either has no call
        id, the same number within ``dedupe_seconds`` of its pop."""
        if request.call_id and current.call_id:
            return request.call_id == current.call_id
        return (current.number == request.number and current.status != "error"
                and now - self._popped_at < self.dedupe_seconds)

    def _merge(self, current: PopResult, request: PopRequest) -> None:
        """What the second message of one call adds: the call id the softphone now knows
        (for notes), a line the first did not name."""
        if request.call_id and current.call_id is None:
            self.adopt_call_id(current.number, request.call_id)
        self._current = replace(self._current or current, line=current.line or request.line,
                                from_agent=current.from_agent or request.from_agent)

    def _replace_current(self, request: PopRequest, now: float) -> None:
        """The caller on screen makes way for a new pop: what was typed is kept first, their
        lookup stops and its history row ends."""
        current = self._current
        if current is not None:
            self.callerLeaving.emit(current.number)
            self._end_unfinished(LEFT if request.source == REOPENED else "superseded")
        self._popped_at = now
        self._generation += 1
        self._cancel_lookup("a newer pop")

    def _pop_withheld(self, request: PopRequest, *, resume: bool = False) -> bool:
        """A caller who withheld their number: shown at once as "Withheld number", keyed by
        their own call; no lookup, no cache, no contact of anyone else."""
        current = self._current
        if current is not None and request.call_id and current.call_id == request.call_id:
            log_event(log, "pop_deduplicated", call_id=request.call_id, source=request.source)
            return False
        # From the history a withheld pop comes back with its key; from a phone with none.
        key = request.number if request.number is not None else withheld_key(request.call_id)
        self._replace_current(request, self._clock())
        self._current = PopResult(number=key, formatted=WITHHELD_LABEL, status=WITHHELD,
                                  call_id=request.call_id, source=request.source,
                                  line=request.line, from_agent=request.from_agent)
        log_event(log, "pop_withheld", source=request.source, call_id=request.call_id)
        self.popReceived.emit(key, WITHHELD_LABEL, request.call_id)
        self._pop_id = self._history.latest_pop(request.call_id) if resume \
            else self._history.record(request, key=key, status=WITHHELD)
        self._emit_result(self._current)
        return True

    def reopen(self, request: PopRequest) -> bool:
        """The agent asked for a caller again (the history). The caller on screen is looked up
        again under their own call (its call id, its history row: the call goes on); another
        caller replaces them, as the agent chose, with ``request.call_id`` the call they
        picked (so going back to the call on the phone gives its notes their call again)."""
        current = self._current
        if current is not None and current.number == request.number:
            return self.retry(reason="opened again from the history")
        return self.pop(request)

    def retry(self, reason: str = "retry") -> bool:
        """Look the current number up again from scratch (Retry, or another account): nothing
        of the earlier answer stays, not its contact, not its recent calls."""
        current = self._current
        if current is None or self._closed or current.status == WITHHELD:
            return False  # a withheld caller has nothing to look up
        self._generation += 1
        self._cancel_lookup(reason)
        self._current = PopResult(number=current.number, formatted=current.formatted,
                                  status="loading", call_id=current.call_id,
                                  source=current.source, line=current.line,
                                  from_agent=current.from_agent)
        self.lookupRestarted.emit(self._current)
        self.statusChanged.emit("loading")
        self._start_lookup(background=False)
        return True

    def _end_unfinished(self, how: str) -> None:
        """The current pop's history row ends as ``how`` if its lookup never ended."""
        if self._current is not None and self._current.status == "loading":
            self._history.finish(self._pop_id, how)

    def _cancel_lookup(self, reason: str) -> None:
        task = self._lookup_task
        if task is not None and not task.done():
            task.cancel()
            log_event(log, "lookup_cancelled", reason=reason)
        self._lookup_task = None

    def _spawn_part(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        # A lookup's own request tasks fail "expectedly": their error is handled, or belongs
        # to a lookup nobody waits for any more.
        return self._tasks.spawn(coro, failure_handled=True)

    def _start_lookup(self, *, background: bool) -> None:
        current = self._current
        assert current is not None
        self._lookup_task = self._tasks.spawn(
            self._lookup(self._generation, current.number, background))

    async def _lookup(self, generation: int, number: str, background: bool) -> None:
        log_event(log, "lookup_started", number=number, background=background)
        if not self._account.loaded:
            await self._account.wait_loaded()  # the keyring is still being read (start-up)
        client, account = self._account.client, self._account.key
        if client is None:
            self._fail(generation, NotConfigured(self._account.not_configured_message()),
                       {"total_ms": 0.0}, background)
            return
        lookup = CallerLookup(client, number, self._spawn_part)
        try:
            try:
                result = await lookup.contact()
            except DeepCallApiError as exc:
                self._fail(generation, exc, lookup.timings, background)
                return
            calls = lookup.recent_calls_now()
            if account == self._account.key:  # a late answer of an old account stays out
                self._cache.remember(number, account, result, calls.calls)
            self._show(generation, result, calls, from_cache=False, timings=lookup.timings)
            if calls.pending:
                calls = await lookup.recent_calls()
                self._cache.set_recent_calls(number, account, calls.calls)
                self._recent_calls_arrived(generation, number, calls)
        finally:
            lookup.cancel()

    def _recent_calls_arrived(self, generation: int, number: str,
                              calls: RecentCallsOutcome) -> None:
        if generation != self._generation or self._current is None:
            return
        self._current = replace(self._current, recent_calls=calls.calls,
                                recent_calls_pending=False, recent_calls_error=calls.error)
        self.recentCallsChanged.emit(number, calls.calls)

    def _show(self, generation: int, result: LookupResult, calls: RecentCallsOutcome, *,
              from_cache: bool, timings: dict[str, float]) -> None:
        current = self._current
        if generation != self._generation or current is None:
            return  # a newer pop (or the same caller under a new account) owns the window
        status: PopStatus = "found" if isinstance(result, Contact) else "unknown"
        self._current = replace(
            current, status=status, result=result, view=build_contact_view(result, self.mapping),
            recent_calls=calls.calls, recent_calls_pending=calls.pending,
            recent_calls_error=calls.error, error=None, from_cache=from_cache,
            timings_ms=dict(timings))
        log_event(log, "lookup_finished", number=current.number, status=status,
                  from_cache=from_cache, **timings)
        self._history.finish(self._pop_id, status, self._current.caller_name)
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
        self._history.finish(self._pop_id, "error")
        self._emit_result(self._current)

    def _emit_result(self, result: PopResult) -> None:
        signal = {"found": self.contactFound, "unknown": self.callerUnknown,
                  "error": self.lookupFailed, WITHHELD: self.callerWithheld}.get(result.status)
        if signal is not None:
            signal.emit(result)
            self.statusChanged.emit(result.status)

    # --- saved edits -----------------------------------------------------------------------
    def apply_saved(self, number: str, contactinfo: Mapping[str, str], created: bool) -> None:
        """DeepCall now holds ``contactinfo`` ({Directory key: value}) for ``number``: a save was
        delivered (``created``: the caller was added), or the agent took DeepCall's value at a
        conflict. The current result (form and header, through ``contactFound``) and the
        cache show it at once; a created caller becomes a known one without another lookup.
        A number no longer on screen only has its cached answer brought up to date."""
        account = self._account.key
        current = self._current
        if current is not None and current.number == number and current.result is not None \
                and current.view is not None:
            result = apply_contactinfo(current.result, current.view, contactinfo)
            self._current = replace(current, status="found", result=result,
                                    view=build_contact_view(result, self.mapping), error=None)
            self._cache.remember(number, account, result, current.recent_calls)
            log_event(log, "saved_values_shown", number=number, created=created,
                      keys=",".join(sorted(contactinfo)))
            self._history.finish(self._pop_id, "found", self._current.caller_name)
            self._emit_result(self._current)
            return
        cached = self._cache.fresh(number, account)
        if cached is not None:
            view = build_contact_view(cached.result, self.mapping)
            self._cache.remember(number, account,
                                 apply_contactinfo(cached.result, view, contactinfo),
                                 cached.recent_calls)

    # --- shutdown --------------------------------------------------------------------------
    async def shutdown(self) -> None:
        """Cancel every task and wait for them (the one shutdown path calls this); nothing new
        starts afterwards."""
        self._closed = True
        self._generation += 1
        self._end_unfinished("cancelled")
        await self._tasks.cancel_and_wait()
