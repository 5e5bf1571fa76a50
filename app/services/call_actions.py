"""What runs for a call besides the pop (issue 11): the caller's page in another program (a
CRM search, the DeepCall panel) from a URL template, and a program run with arguments on
call events. Values go into a template's URL encoded, and into a program's arguments as
whole arguments: never through a shell, never spliced into a command string
(``app.core.caller_actions`` has the rules).

The settings are checked when read (at start and on each change): a template or program the
rules refuse is switched off and said in plain words (``problem``), never half-used.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Final, TypeVar

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal

from app.core.caller_actions import (
    ActionSetupError,
    CallerValues,
    ProgramCommand,
    UrlTemplate,
    ValueRefused,
    number_forms,
    parse_events,
)
from app.core.child_env import for_children
from app.core.pop_request import CallEvent, PopRequest
from app.services.call_tracker import CallTracker
from app.services.credentials import SSID_ENV, TOKEN_ENV
from app.services.pop_coordinator import PopCoordinator
from app.services.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

NO_TEMPLATE: Final = "No caller page is set up (Tools → Settings → Call actions)."
NO_CALLER: Final = "No caller on screen yet."
WITHHELD: Final = "The caller withheld their number: there is no page to open."
# Call ids whose page opened by itself, so a repeated event does not open it again.
REMEMBERED_CALLS: Final = 200
SETTINGS: Final = ("open_url_template", "open_url_when", "run_program", "run_program_args",
                   "run_program_on")


class CallActions(QObject):
    # The URL to open for the shown caller (the window opens it with the desktop).
    openUrlRequested = Signal(str)
    # Whether the window's "Open caller page" button has something to open now
    # (``unavailable_reason`` says why not).
    urlAvailable = Signal(bool)
    # A plain-words problem for the status bar: a refused setting, a program that did not start.
    problem = Signal(str)

    def __init__(self, settings: Settings, coordinator: PopCoordinator | None = None,
                 tracker: CallTracker | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._coordinator = coordinator
        self._tracker = tracker
        self._template: UrlTemplate | None = None
        self._template_problem = ""
        self._program: ProgramCommand | None = None
        self._program_on: frozenset[str] = frozenset()
        self.setup_problems: list[str] = []
        self._opened: OrderedDict[str, None] = OrderedDict()
        self._pops = 0  # counts real pops: a call without an id is opened once per pop
        self._available = False
        self.unavailable_reason = NO_TEMPLATE
        self._load()
        for name in SETTINGS:
            settings.watch(name, lambda _value: self._load())
        if coordinator is not None:
            coordinator.popReceived.connect(self._on_pop)
            coordinator.lookupRestarted.connect(lambda _result: self._refresh())
        if tracker is not None:
            tracker.callChanged.connect(lambda _call: self._refresh())

    # --- configuration -------------------------------------------------------------------
    def _load(self) -> None:
        problems: list[str] = []
        self._template = self._checked(lambda: UrlTemplate.parse(
            self._settings.open_url_template), problems)
        self._template_problem = problems[0] if problems else ""
        self._program = self._checked(lambda: ProgramCommand.parse(
            self._settings.run_program, self._settings.run_program_args), problems)
        self._program_on = self._checked(lambda: parse_events(
            self._settings.run_program_on), problems) or frozenset()
        self.setup_problems = problems
        for message in problems:
            log.warning("call actions: %s", message)
            self.problem.emit(message)
        self._refresh()

    @staticmethod
    def _checked(read: Callable[[], T], problems: list[str]) -> T | None:
        try:
            return read()
        except ActionSetupError as exc:
            problems.append(f"{exc} It is switched off until Settings correct it.")
            return None

    # --- the shown caller ----------------------------------------------------------------
    def _shown_values(self) -> CallerValues | None:
        current = self._coordinator.current if self._coordinator is not None else None
        if current is None:
            return None
        shown = self._tracker.shown if self._tracker is not None else None
        # The tracker's call is the shown caller's only while it is the same call.
        same_call = shown is not None and shown.call_id == current.call_id
        return CallerValues(current.number, current.call_id,
                            shown.line if same_call and shown else None,
                            shown.from_agent if same_call and shown else None)

    def _url_for(self, values: CallerValues | None) -> str | None:
        """The page for ``values``; None (and why in ``unavailable_reason``) when none."""
        if self._template is None:
            self.unavailable_reason = self._template_problem or NO_TEMPLATE
            return None
        if values is None:
            self.unavailable_reason = NO_CALLER
            return None
        if not number_forms(values.e164)[1]:
            self.unavailable_reason = WITHHELD
            return None
        try:
            return self._template.expand(values)
        except ValueRefused as refused:
            self.unavailable_reason = str(refused)
            return None

    def _refresh(self) -> None:
        available = self._url_for(self._shown_values()) is not None
        if available:
            self.unavailable_reason = ""
        self._available = available
        self.urlAvailable.emit(available)

    @property
    def url_available(self) -> bool:
        return self._available

    def _on_pop(self, _number: str, _formatted: str, _call_id: object) -> None:
        self._pops += 1
        self._refresh()

    # --- actions -------------------------------------------------------------------------
    def open_url_for_shown(self) -> None:
        """The agent clicked "Open caller page": the shown caller's page, always."""
        url = self._url_for(self._shown_values())
        if url is None:
            self.problem.emit(self.unavailable_reason)
            return
        self.openUrlRequested.emit(url)

    def on_event(self, kind: str, call: object, shown: bool) -> None:
        """A call event (``CallTracker.eventHandled``): the program on its events (every
        call's), and the page of the SHOWN call on ``open_url_when``, once per call."""
        if not isinstance(call, PopRequest | CallEvent):
            log.warning("call actions: ignored an event of type %s", type(call).__name__)
            return
        values = self._values_of(kind, call, shown)
        if kind in self._program_on:
            self._run_program(kind, values)
        if shown and self._opens_on(kind):
            self._open_once(values)

    def _values_of(self, kind: str, call: PopRequest | CallEvent, shown: bool) -> CallerValues:
        # answered/ended name the call, not always its caller or line: the tracker knows them
        # for every call it has seen (after this event, so a transfer's agent is in).
        known = self._tracker.known_call(call.call_id) if self._tracker is not None else None
        if known is not None:
            return CallerValues(known.number, known.call_id, known.line or call.line,
                                known.from_agent or call.from_agent, kind)
        number = call.number
        withheld = call.number is None if isinstance(call, PopRequest) else call.withheld
        if number is None and not withheld and shown:
            # A caller on screen with no call the tracker knows: the caller on screen.
            number = (self._shown_values() or CallerValues(None)).e164
        return CallerValues(number, call.call_id, call.line, call.from_agent, kind)

    def _opens_on(self, kind: str) -> bool:
        when = self._settings.open_url_when
        # A transfer reaches this agent the way a ringing call does.
        return kind == when or (when == "ringing" and kind == "transferred")

    def _open_once(self, values: CallerValues) -> None:
        key = f"call:{values.call_id}" if values.call_id else f"pop:{self._pops}"
        if key in self._opened:
            return
        url = self._url_for(values)
        if url is None:
            if values.e164 and self._template is not None and number_forms(values.e164)[1]:
                self.problem.emit(self.unavailable_reason)  # this call's values: say why
            return  # withheld or nothing set up: nothing opens by itself, nothing to say
        self._opened[key] = None
        while len(self._opened) > REMEMBERED_CALLS:
            self._opened.popitem(last=False)
        self.openUrlRequested.emit(url)

    def _run_program(self, kind: str, values: CallerValues) -> None:
        command = self._program
        if command is None:
            return
        process = QProcess()
        process.setProgram(command.program)
        process.setArguments(command.arguments(values))
        # The program is someone else's: the user's environment (not a bundle's library and
        # plugin paths), and DeepCall secrets given to this run in the environment stay here.
        environment = QProcessEnvironment()
        for name, value in for_children().items():
            if name not in (TOKEN_ENV, SSID_ENV):
                environment.insert(name, value)
        process.setProcessEnvironment(environment)
        # The stubs say (ok, pid); PySide6 6.11 returns the bool alone: take either.
        outcome: object = process.startDetached()
        started = bool(outcome[0] if isinstance(outcome, tuple) else outcome)
        if started:
            # The arguments name the caller: the log says that it ran, not with what.
            log.info("call actions: started %s for %s", command.program, kind)
            return
        log.warning("call actions: could not start %s for %s", command.program, kind)
        self.problem.emit(f"The program for call events could not be started: "
                          f"{command.program} (check its path in Settings → Call actions).")
