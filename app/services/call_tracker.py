"""The calls around the pops: ringing, answered, ended, transferred, each tied to a call id
(issue 11). The one owner of "the shown call" and its state.

Every source hands its ``PopRequest`` (a ringing call) here, and the socket its
``CallEvent``s; the tracker decides what is a pop (``PopCoordinator.pop``) and what only
updates the history: a second ``ringing`` of a known call is never a second pop, and an
event for a call that is not the shown one never touches the window. The rules:

- a call id already known (ringing, answered or ended) never pops again; a ringing of the
  shown call only fills in a line it lacked;
- ``answered``/``ended`` of the shown call change its state; of another known call, only its
  history row; ``answered`` of an unknown call with a number pops it (as ringing, then
  answered), unless the call on screen is live: then it is only written in the history;
  ``ended`` of an unknown call is only logged;
- an ``answered``/``ended`` naming the number of the caller on screen, popped with no call
  id (the clipboard, a bare number), is that call: the caller adopts the call id, so their
  notes go under it;
- ``transferred`` pops the ORIGINAL caller (the event's ``number``), or updates the shown
  call, with the agent it came from; never the agent;
- nothing revives an ended call: a late ``answered`` or ``transferred`` of it is ignored.

The pops the agent makes (the history, the demo) reach the coordinator without the tracker;
the shown call follows them through ``PopCoordinator.popReceived``.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

from PySide6.QtCore import QObject, Signal

from app.core.caller_id import withheld_key
from app.core.pop_request import CallEvent, PopRequest
from app.services.logs import log_event
from app.services.pop_coordinator import PopCoordinator
from app.services.pop_history import NOT_SHOWN, PopHistory

log = logging.getLogger(__name__)

CallState = Literal["ringing", "answered", "ended"]
MAX_KNOWN_CALLS: Final = 200  # the calls remembered by id (a busy day's worth of a queue)


@dataclass(frozen=True)
class ShownCall:
    """The call of the caller on screen, as the window and ``state`` show it."""

    call_id: str | None
    state: CallState | None  # None: a pop with no call around it (clipboard, a bare number)
    line: str | None = None
    from_agent: str | None = None  # transferred to this agent by this one
    answered_at: float | None = None  # time.monotonic() when answered: the running duration
    ended_at: float | None = None  # time.monotonic() when it ended
    duration_seconds: float | None = None  # answered -> ended, once ended


@dataclass
class _Call:
    """A call the tracker knows by its id."""

    call_id: str
    number: str | None  # E.164; None: the caller withheld it
    state: CallState
    line: str | None = None
    from_agent: str | None = None
    answered_at: float | None = None
    ended_at: float | None = None

    def shown(self) -> ShownCall:
        duration = None
        if self.answered_at is not None and self.ended_at is not None:
            duration = max(0.0, self.ended_at - self.answered_at)
        return ShownCall(self.call_id, self.state, self.line, self.from_agent,
                         self.answered_at, self.ended_at, duration)

    def request(self, source: str | None, direction: str | None = None) -> PopRequest:
        return PopRequest(self.number, self.call_id, direction=direction, source=source,
                          line=self.line, from_agent=self.from_agent)


class CallTracker(QObject):
    # The shown call changed (its state, line, or another caller is shown): a ShownCall
    # (call_id and state None when the caller on screen has no call around it).
    callChanged = Signal(object)
    # The shown call ended: wrap-up starts (the window may go back later, issue 11).
    callEnded = Signal(object)  # ShownCall
    # Any call's event the tracker took, shown or not (for configured actions): the event
    # kind, the PopRequest or CallEvent it came from, and whether it is the shown call.
    # A duplicate (a second ringing of a known call) or a stale event (anything after
    # ended, an ended of an unknown call) changes nothing and is not reported.
    eventHandled = Signal(str, object, bool)

    def __init__(self, coordinator: PopCoordinator, history: PopHistory,
                 parent: QObject | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(parent)
        self._coordinator = coordinator
        self._history = history
        self._clock = clock
        self._calls: OrderedDict[str, _Call] = OrderedDict()
        self._shown: ShownCall | None = None
        coordinator.popReceived.connect(self._on_pop_shown)

    @property
    def shown(self) -> ShownCall | None:
        return self._shown

    def state(self) -> dict[str, object]:
        """``call_state``, ``call_id``, ``line`` and ``from_agent`` of ``screenpop state``."""
        shown = self._shown
        return {"call_state": shown.state if shown else None,
                "call_id": shown.call_id if shown else None,
                "line": shown.line if shown else None,
                "from_agent": shown.from_agent if shown else None}

    # --- a call rang ----------------------------------------------------------------------
    def pop(self, request: PopRequest) -> bool:
        """A call rang (every source's pop): pop it unless its call is already known."""
        call_id = request.call_id
        known = self._calls.get(call_id) if call_id else None
        if known is not None:
            self._rang_again(known, request)
            return False
        if call_id:
            self._remember(_Call(call_id, request.number, "ringing", request.line,
                                 request.from_agent))
        popped = self._pop(request)
        self.eventHandled.emit("ringing", request, self._is_shown(call_id) or popped)
        return popped

    def _rang_again(self, call: _Call, request: PopRequest) -> None:
        log_event(log, "call_rang_again", call_id=call.call_id, state=call.state,
                  source=request.source)
        if request.line and not call.line:
            call.line = request.line
            self._history.set_call_state(call.call_id, call.state, call.line)
            if self._is_shown(call.call_id):
                self._coordinator.fill_call_details(call.call_id, line=call.line)
                self._show(call.shown())

    def _pop(self, request: PopRequest) -> bool:
        """The coordinator pops ``request``, or merges it into the caller on screen (the same
        number moments later): then that caller takes the call id it named."""
        popped = self._coordinator.pop(request)
        call_id = request.call_id
        current = self._coordinator.current
        if not popped and call_id and current is not None and current.call_id == call_id \
                and call_id in self._calls:
            call = self._calls[call_id]
            call.line = call.line or current.line
            self._history.set_call_state(call_id, call.state, call.line)
            self._show(call.shown())
        return popped

    # --- answered, ended, transferred -----------------------------------------------------
    def handle_event(self, event: CallEvent) -> None:
        """answered / ended / transferred (ringing comes through ``pop``)."""
        if event.number is None and not event.withheld and event.event in ("ringing",
                                                                            "transferred"):
            log_event(log, "call_event_without_caller", event=event.event, call_id=event.call_id)
        elif event.event == "ringing":
            self.pop(_request_of(event))
        elif event.event == "transferred":
            self._transferred(event)
        else:
            self._answered_or_ended(event)

    def _answered_or_ended(self, event: CallEvent) -> None:
        call = self._calls.get(event.call_id)
        if call is None:
            call = self._adopted(event) or self._unknown_answered(event)
            if call is None:
                return
        if event.line and not call.line:
            call.line = event.line
        if not self._advance(call, event.event):
            log_event(log, "call_event_ignored", event=event.event, call_id=call.call_id,
                      state=call.state)
            return
        self.eventHandled.emit(event.event, event, self._is_shown(call.call_id))

    def _adopted(self, event: CallEvent) -> _Call | None:
        """The caller on screen, popped with no call id, is the call the event names by
        their number: it becomes that call (its notes go under the id)."""
        current = self._coordinator.current
        if event.number is None or current is None or current.call_id is not None \
                or current.number != event.number:
            return None
        if not self._coordinator.adopt_call_id(event.number, event.call_id):
            return None
        call = _Call(event.call_id, event.number, "ringing", current.line or event.line,
                     current.from_agent)
        self._remember(call)
        self._history.set_call_state(call.call_id, call.state, call.line)
        self._show(call.shown())
        return call

    def _unknown_answered(self, event: CallEvent) -> _Call | None:
        """A call the tracker never saw ring: answered with a number, it pops (as ringing,
        then answered below) unless the call on screen is live, whose form the agent may be
        typing in: then it is kept in the history only. Anything else: logged."""
        if event.event != "answered" or (event.number is None and not event.withheld):
            log_event(log, "call_event_unknown_call", event=event.event, call_id=event.call_id)
            return None
        call = _Call(event.call_id, None if event.withheld else event.number, "ringing",
                     event.line, event.from_agent)
        self._remember(call)
        request = call.request(event.source, event.direction)
        if self._shown is not None and self._shown.state in ("ringing", "answered"):
            key = withheld_key(call.call_id) if call.number is None else None
            self._history.record(request, key=key, status=NOT_SHOWN)
            log_event(log, "call_not_shown", call_id=call.call_id, reason="a live call on screen")
        else:
            self._pop(request)
        return call

    def _advance(self, call: _Call, kind: str) -> bool:
        """``call`` was answered or ended; False if that changes nothing (a duplicate, or
        a late event of an ended call: nothing revives it)."""
        if call.state == "ended" or (kind == "answered" and call.state == "answered"):
            return False
        now = self._clock()
        if kind == "answered":
            call.state, call.answered_at = "answered", now
        else:
            call.state, call.ended_at = "ended", now
        self._history.set_call_state(call.call_id, call.state, call.line)
        if self._is_shown(call.call_id):
            self._show(call.shown())
            if call.state == "ended":
                self.callEnded.emit(self._shown)
        return True

    def _transferred(self, event: CallEvent) -> None:
        """Another agent passed the call here: the caller it is about (never the agent) is
        shown, and who it came from."""
        call = self._calls.get(event.call_id)
        if call is not None and call.state == "ended":
            log_event(log, "call_event_ignored", event=event.event, call_id=call.call_id,
                      state=call.state)
            return
        if call is None:
            call = _Call(event.call_id, None if event.withheld else event.number, "ringing")
            self._remember(call)
        call.line = call.line or event.line
        call.from_agent = event.from_agent or call.from_agent
        if self._is_shown(call.call_id):
            self._coordinator.fill_call_details(call.call_id, line=call.line,
                                                from_agent=call.from_agent)
            self._history.set_call_state(call.call_id, call.state, call.line)
            self._show(call.shown())
        else:
            # It rings here now, whatever it did at the agent it came from.
            call.state, call.answered_at = "ringing", None
            self._pop(call.request(event.source, event.direction))
        self.eventHandled.emit(event.event, event, self._is_shown(call.call_id))

    # --- the shown call -------------------------------------------------------------------
    def _on_pop_shown(self, _number: str, _formatted: str, call_id: object) -> None:
        """A caller is on screen now (through this tracker, the history or the demo)."""
        call = self._calls.get(call_id) if isinstance(call_id, str) else None
        if call is not None:
            self._show(call.shown())
            return
        current = self._coordinator.current
        self._show(ShownCall(call_id if isinstance(call_id, str) else None, None,
                             current.line if current else None,
                             current.from_agent if current else None))

    def _show(self, shown: ShownCall) -> None:
        if shown.call_id is not None and shown.call_id in self._calls:
            self._calls.move_to_end(shown.call_id)  # the shown call is never forgotten
        if shown != self._shown:
            self._shown = shown
            self.callChanged.emit(shown)

    def _is_shown(self, call_id: str | None) -> bool:
        return call_id is not None and self._shown is not None \
            and self._shown.call_id == call_id

    def _remember(self, call: _Call) -> None:
        self._calls[call.call_id] = call
        self._calls.move_to_end(call.call_id)
        while len(self._calls) > MAX_KNOWN_CALLS:
            oldest = next(iter(self._calls))
            if self._is_shown(oldest):
                self._calls.move_to_end(oldest)
                continue
            del self._calls[oldest]

    def known_call(self, call_id: str | None) -> PopRequest | None:
        """The caller, line and agent this tracker knows for ``call_id`` (``number`` None: the
        caller withheld it), shown or not; None for a call it does not know. Events such as
        ``ended`` name the call only: the call actions fill in the rest from here."""
        call = self._calls.get(call_id) if call_id else None
        return call.request(source=None) if call is not None else None


def _request_of(event: CallEvent) -> PopRequest:
    return PopRequest(None if event.withheld else event.number, event.call_id,
                      direction=event.direction, source=event.source, line=event.line,
                      from_agent=event.from_agent)
