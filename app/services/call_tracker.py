"""The calls around the pops: ringing, answered, ended, transferred, each tied to a call id
(issue 11). The one owner of "the shown call" and its state.

Every source hands its ``PopRequest`` (a ringing call) here, and the socket its
``CallEvent``s; the tracker decides what is a pop (``PopCoordinator.pop``) and what only
updates the history: a second ``ringing`` of a known call is never a second pop, and an
event for a call that is not the shown one never touches the window. The rules:

- a call id already known (ringing, answered or ended) never pops again; a ringing of the
  shown call only fills in a line it lacked;
- while the shown call is answered (the agent is talking), a NEW call ringing (or
  transferred here) never takes the window: it is written in the history as waiting and
  announced (``callWaiting``). A pop with no call id (the clipboard, ``pop N``, tel:) is the
  agent's own act: it always pops;
- ``answered`` says "this agent is on this call": a known call that is not shown becomes the
  shown one (shown again as the call going on), unless the shown call is itself answered;
  ``answered`` of an unknown call with a number pops it the same way, else it is only
  written in the history. ``ended`` of a call not shown changes its history row only;
- the wrap-up (``callEnded``) is only ever for the call the agent is on: when the shown
  call ends while the agent is on another call, that call is shown again instead;
- an ``answered``/``ended`` that overtakes its ``ringing`` (each hook is its own process) is
  remembered: the late ringing of an ended call never pops, that of an answered call pops
  it in progress;
- an ``answered``/``ended`` naming the number of the caller on screen, popped with no call
  id (the clipboard, a bare number), is that call: the caller adopts the call id, so their
  notes go under it; a withheld caller so popped adopts the id of a withheld event;
- ``transferred`` pops the ORIGINAL caller (the event's ``number``), or updates the shown
  call, with the agent it came from; never the agent; a repeat that changes nothing is a
  duplicate;
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

from app.core.caller_id import WITHHELD_LABEL, withheld_key
from app.core.contact_view import format_number
from app.core.pop_request import CallEvent, PopRequest
from app.services.logs import log_event
from app.services.pop_coordinator import PopCoordinator
from app.services.pop_history import NOT_SHOWN, WAITING, WITHHELD, PopHistory

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
    # E.164; None: the caller withheld it (or the key a withheld caller was shown under)
    number: str | None
    state: CallState
    line: str | None = None
    from_agent: str | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    rang: bool = True  # False: only an answered/ended that overtook its ringing is known
    elsewhere: bool = False  # answered while another call was live here: not this agent's

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
    # A new call rings while the agent is in another: the PopRequest, to announce, not show.
    callWaiting = Signal(object)

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
        if known is not None and known.rang:
            self._rang_again(known, request)
            return False
        if known is not None:
            return self._rang_after_its_event(known, request)
        if call_id:
            call = _Call(call_id, request.number, "ringing", request.line, request.from_agent)
            self._remember(call)
            if self._agent_in_call():
                self._wait(call, request)
                self.eventHandled.emit("ringing", request, False)
                return False
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

    def _rang_after_its_event(self, early: _Call, request: PopRequest) -> bool:
        """The call's answered or ended reached the socket before its ringing. Ended: a
        missed call for the history, never a pop. Answered: it pops in progress (or is only
        written in the history) as an answered naming its caller would."""
        if early.state == "ended":
            early.number, early.rang = request.number, True
            early.line, early.from_agent = early.line or request.line, request.from_agent
            _record_unshown(self._history, request, NOT_SHOWN)
            self._history.set_call_state(early.call_id, "ended", early.line)
            log_event(log, "call_rang_after_it_ended", call_id=early.call_id,
                      source=request.source)
            return False
        del self._calls[early.call_id]
        self._answered_or_ended(CallEvent(
            "answered", early.call_id, request.number, withheld=request.number is None,
            line=request.line or early.line, from_agent=request.from_agent or early.from_agent,
            source=request.source, direction=request.direction))
        return self._is_shown(early.call_id)

    def _wait(self, call: _Call, request: PopRequest) -> None:
        """``call`` rings while the agent is in another: announced and kept in the history,
        the window stays on the call the agent is on."""
        _record_unshown(self._history, request, WAITING)
        log_event(log, "call_waiting", call_id=call.call_id, source=request.source)
        self.callWaiting.emit(request)

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
                self._remember_before_ringing(event)
                return
        if event.line and not call.line:
            call.line = event.line
        # The agent took a call that rang here but is not on screen: the window follows.
        takes_window = event.event == "answered" and call.rang and call.state == "ringing" \
            and not self._is_shown(call.call_id) and not self._agent_in_call()
        if not self._advance(call, event.event):
            log_event(log, "call_event_ignored", event=event.event, call_id=call.call_id,
                      state=call.state)
            return
        if not call.rang:
            return  # reported when its ringing arrives
        if takes_window:
            self._resume(call, event.source, event.direction)
        self.eventHandled.emit(event.event, event, self._is_shown(call.call_id))

    def _remember_before_ringing(self, event: CallEvent) -> None:
        """An answered (naming no caller) or ended of a call never seen ringing: its ringing
        may still come (hooks race), and must then not pop as if nothing had happened."""
        now = self._clock()
        answered = event.event == "answered"
        self._remember(_Call(event.call_id, None if event.withheld else event.number,
                             "answered" if answered else "ended", event.line,
                             event.from_agent, answered_at=now if answered else None,
                             ended_at=None if answered else now, rang=False))
        log_event(log, "call_event_before_ringing", event=event.event, call_id=event.call_id)

    def _adopted(self, event: CallEvent) -> _Call | None:
        """The caller on screen, popped with no call id, is the call the event names by
        their number: it becomes that call (its notes go under the id)."""
        current = self._coordinator.current
        if current is None or current.call_id is not None:
            return None
        if event.withheld:
            # A withheld caller popped with no call id: the withheld call the phone names.
            # They keep their key (their drafts are under it); their notes get the call id.
            if current.status != WITHHELD:
                return None
        elif event.number is None or current.number != event.number:
            return None
        if not self._coordinator.adopt_call_id(current.number, event.call_id):
            return None
        call = _Call(event.call_id, current.number, "ringing", current.line or event.line,
                     current.from_agent)
        self._remember(call)
        self._history.set_call_state(call.call_id, call.state, call.line)
        self._show(call.shown())
        return call

    def _unknown_answered(self, event: CallEvent) -> _Call | None:
        """A call the tracker never saw ring: answered with a number, it pops (as ringing,
        then answered below) unless the agent is in the call on screen, whose form they may
        be typing in: then it is kept in the history only. Anything else: None."""
        if event.event != "answered" or (event.number is None and not event.withheld):
            return None
        call = _Call(event.call_id, None if event.withheld else event.number, "ringing",
                     event.line, event.from_agent)
        self._remember(call)
        request = call.request(event.source, event.direction)
        if self._agent_in_call():
            call.elsewhere = True
            _record_unshown(self._history, request, NOT_SHOWN)
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
                self._shown_call_ended(call)
        return True

    def _shown_call_ended(self, call: _Call) -> None:
        """The wrap-up starts, unless the agent is on another call (answered after this
        one, or this one never was): that call is shown again instead."""
        live = self._call_the_agent_is_on(besides=call)
        if live is not None and (call.answered_at is None
                                 or (live.answered_at or 0.0) > call.answered_at):
            log_event(log, "call_shown_again", call_id=live.call_id, ended=call.call_id)
            self._resume(live, None, None)
        else:
            self.callEnded.emit(self._shown)

    def _transferred(self, event: CallEvent) -> None:
        """Another agent passed the call here: the caller it is about (never the agent) is
        shown, and who it came from."""
        call = self._calls.get(event.call_id)
        if call is not None and call.state == "ended":
            log_event(log, "call_event_ignored", event=event.event, call_id=call.call_id,
                      state=call.state)
            return
        if call is None or not call.rang:
            call = _Call(event.call_id, None if event.withheld else event.number, "ringing")
            self._remember(call)
        line, from_agent = call.line or event.line, event.from_agent or call.from_agent
        if self._is_shown(call.call_id):
            if (line, from_agent) == (call.line, call.from_agent):
                # A hook that retried: nothing new, and not reported again (programs run
                # once per reported event).
                log_event(log, "call_event_repeated", event=event.event, call_id=call.call_id)
                return
            call.line, call.from_agent = line, from_agent
            self._coordinator.fill_call_details(call.call_id, line=call.line,
                                                from_agent=call.from_agent)
            self._history.set_call_state(call.call_id, call.state, call.line)
            self._show(call.shown())
        else:
            # It rings here now, whatever it did at the agent it came from.
            call.line, call.from_agent = line, from_agent
            call.state, call.answered_at, call.elsewhere = "ringing", None, False
            request = call.request(event.source, event.direction)
            if self._agent_in_call():
                self._wait(call, request)
            else:
                self._pop(request)
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

    def _resume(self, call: _Call, source: str | None, direction: str | None) -> None:
        self._coordinator.resume(call.request(source, direction))

    def _agent_in_call(self) -> bool:
        """The agent is talking to the caller on screen."""
        return self._shown is not None and self._shown.state == "answered"

    def _call_the_agent_is_on(self, besides: _Call) -> _Call | None:
        """The call answered here last that has not ended (None: none)."""
        live = [c for c in self._calls.values() if c.state == "answered" and c.rang
                and not c.elsewhere and c is not besides]
        return max(live, key=lambda c: c.answered_at or 0.0, default=None)

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


def waiting_message(request: PopRequest) -> str:
    """What the status bar and the tray say of a call ringing during another."""
    caller = WITHHELD_LABEL if request.number is None else format_number(request.number)
    line = f" ({request.line})" if request.line else ""
    return f"Another call is ringing: {caller}{line}"


def _record_unshown(history: PopHistory, request: PopRequest, status: str) -> None:
    """A call kept in the history without being shown (``status``); a withheld caller's
    row stays "withheld" under the key of its call (what the history panel shows as such)."""
    if request.number is None:
        history.record(request, key=withheld_key(request.call_id), status=WITHHELD)
    else:
        history.record(request, status=status)


def _request_of(event: CallEvent) -> PopRequest:
    return PopRequest(None if event.withheld else event.number, event.call_id,
                      direction=event.direction, source=event.source, line=event.line,
                      from_agent=event.from_agent)
