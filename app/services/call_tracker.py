"""The calls around the pops: ringing, answered, ended, transferred, each tied to a call id
(issue 11). The one owner of "the shown call" and its state.

Every source hands its ``PopRequest`` (a ringing call) here, and the socket its
``CallEvent``s; the tracker decides what is a pop (``PopCoordinator.pop``) and what only
updates the history: a second ``ringing`` of a known call is never a second pop, and an
event for a call that is not the shown one never touches the window.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from PySide6.QtCore import QObject, Signal

from app.core.pop_request import CallEvent, PopRequest
from app.services.pop_coordinator import PopCoordinator
from app.services.pop_history import PopHistory

log = logging.getLogger(__name__)

CallState = Literal["ringing", "answered", "ended"]


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


class CallTracker(QObject):
    # The shown call changed (its state, line, or another call is shown): a ShownCall, or
    # None when the caller on screen has no call around it.
    callChanged = Signal(object)
    # The shown call ended: wrap-up starts (the window may go back later, issue 11).
    callEnded = Signal(object)  # ShownCall
    # Any call's event, shown or not (for configured actions): the event kind, the PopRequest
    # or CallEvent it came from, and whether it is the shown call.
    eventHandled = Signal(str, object, bool)

    def __init__(self, coordinator: PopCoordinator, history: PopHistory,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._coordinator = coordinator
        self._history = history
        self._shown: ShownCall | None = None

    @property
    def shown(self) -> ShownCall | None:
        return self._shown

    def pop(self, request: PopRequest) -> bool:
        """A call rang (every source's pop): pop it unless its call is already known."""
        return self._coordinator.pop(request)  # issue 11, part S

    def handle_event(self, event: CallEvent) -> None:
        """answered / ended / transferred (ringing comes through ``pop``)."""
        log.debug("call event %s ignored (not built yet)", event.event)  # issue 11, part S

    def state(self) -> dict[str, object]:
        """``call_state``, ``call_id`` and ``line`` of ``screenpop state``."""
        shown = self._shown
        return {"call_state": shown.state if shown else None,
                "call_id": shown.call_id if shown else None,
                "line": shown.line if shown else None}
