"""After a call ends, the window goes back where it was before the pop (issue 11).

The form stays for wrap-up; with ``return_after_call_seconds`` > 0 the window goes back that
many seconds after ``ended``: hidden again, minimized again, or lowered behind the window it
was behind. Never while the agent has something unfinished (``busy``: unsaved edits, a note
in the box, a save or note of the caller still in the outbox) or the window has the keys: it
waits until that clears, so nothing is lost or hidden half-done. Once the agent has worked
in the window during the call (it came to the window, a click, a key in it), the window
stays where the agent put it for that call. A new pop ends the previous call's wrap-up
before anything of the new caller is shown.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Literal

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QGuiApplication, QWindow
from PySide6.QtWidgets import QWidget

from app.ui.window_focus import lower_without_the_keys

log = logging.getLogger(__name__)

Place = Literal["hidden", "minimized", "behind", "front"]
# What the agent does in the window (to any of its widgets): it is working there. The window
# system hands every such event to the window's native window first, which passes it on to
# the widget under the pointer or with the focus.
AGENT_INPUT = (QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress,
               QEvent.Type.ShortcutOverride, QEvent.Type.Wheel)
# How long the window system may take to answer the pop's own show with an activation (a
# window manager focusing a shown window, "pops take the focus"): that one is not the agent.
POP_ACTIVATION_MS = 2000


def window_place(window: QWidget) -> Place:
    """Where the window is now, as the agent would say it."""
    if window.isHidden():
        return "hidden"
    if window.isMinimized():
        return "minimized"
    return "front" if window.isActiveWindow() else "behind"


def put_back(window: QWidget, place: Place) -> None:
    """The window back at ``place``; "front" (the agent was in it): it stays."""
    if place == "hidden":
        window.hide()
    elif place == "minimized":
        window.showMinimized()
    elif place == "behind":
        lower_without_the_keys(window)
    # Out to the window system now: nothing else may happen on screen for a while, and on
    # X11 a lone lower request would sit in the connection's buffer until something does.
    QGuiApplication.sync()


class WrapUpReturn(QObject):
    """Puts ``window`` back ``seconds()`` after the shown call ends, unless something in
    ``busy_checks`` (more: ``add_busy_check``) says the agent has work unfinished."""

    def __init__(self, window: QWidget, seconds: Callable[[], int],
                 busy: Callable[[], bool]) -> None:
        super().__init__(window)
        self._window = window
        self._seconds = seconds
        self._busy_checks: list[Callable[[], bool]] = [busy]
        self.place: Place = "front"  # where the window was when the shown call popped
        self.waiting = False  # the time is up, but the agent has something unfinished
        self.agent_worked = False  # the agent came to the window since the pop
        # The pop's own show may activate the window (its setting, or a window system that
        # focuses what is shown): for a moment, an activation is the pop's, not the agent's.
        self._pop_activation = QTimer(self)
        self._pop_activation.setSingleShot(True)
        self._pop_activation.setInterval(POP_ACTIVATION_MS)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._time_up)
        # Looked at once the signal that called ``check_again`` has reached every slot: a
        # refused save empties the outbox before its edits are back in the form.
        self._recheck = QTimer(self)
        self._recheck.setSingleShot(True)
        self._recheck.setInterval(0)
        self._recheck.timeout.connect(self._check_now)
        # Only the window's own events and its native window's (the input for all of its
        # widgets): a filter on the whole app ran Python for each of the thousands of events
        # a pop sends the form's widgets.
        self._handle: QWindow | None = None
        window.installEventFilter(self)
        self._watch_handle()

    @property
    def pending(self) -> bool:
        """The window will go back (the time runs, or it waits for the agent's work)."""
        return self._timer.isActive() or self.waiting

    def add_busy_check(self, busy: Callable[[], bool]) -> None:
        """One more kind of unfinished work (the presenter: the outbox's writes)."""
        self._busy_checks.append(busy)

    def busy(self) -> bool:
        # Lowered with the keys (a pop that took them, never touched since), the window would
        # keep them out of sight: it waits until they go elsewhere.
        return (self.place == "behind" and self._window.isActiveWindow()) \
            or any(check() for check in self._busy_checks)

    def remember_place(self) -> None:
        """A pop is about to bring the window forward: where it is now is where it goes back.
        A new call also ends any wait for the previous one; if the window was on its way
        back, it goes back there after this call too."""
        was_pending = self.pending
        self.cancel()
        self.agent_worked = False
        self._pop_activation.stop()
        if not was_pending:
            self.place = window_place(self._window)

    def popped(self, shown: bool) -> None:
        """The pop brought the window forward (``shown``: showed, restored or activated it):
        an activation that answers it is the pop's, not the agent coming to the window."""
        if shown and not self._window.isActiveWindow():
            self._pop_activation.start()

    def call_ended(self, _call: object = None) -> None:
        seconds = self._seconds()
        if seconds <= 0 or self.place == "front":
            return  # the setting is off, or the window was where the agent works anyway
        if self.agent_worked:
            log.info("wrap-up: the window stays, the agent worked in it during the call")
            return
        self.waiting = False
        self._timer.start(seconds * 1000)

    def cancel(self) -> None:
        self._timer.stop()
        self._recheck.stop()
        self.waiting = False

    def check_again(self, *_args: object) -> None:
        """Something the agent had unfinished may have cleared (saved, sent, emptied)."""
        if self.waiting:
            self._recheck.start()

    def _check_now(self) -> None:
        if self.waiting and not self.busy():
            self._go_back()

    def _time_up(self) -> None:
        if self.busy():
            log.info("wrap-up: the window stays until the agent's work is done")
            self.waiting = True
            return
        self._go_back()

    def _go_back(self) -> None:
        self.waiting = False
        log.info("wrap-up: the window goes back (%s)", self.place)
        put_back(self._window, self.place)

    def agent_came(self, *_args: object) -> None:
        """The agent works in the window (its input, or an edit only the agent makes)."""
        self.agent_worked = True
        if self.pending:
            log.info("wrap-up: cancelled, the agent is in the window")
            self.cancel()

    def _watch_handle(self) -> None:
        """The native window is made at the first show and made again by some flag changes
        (``WinIdChange``): the input filter follows it."""
        handle = self._window.windowHandle()
        if handle is self._handle:
            return
        if self._handle is not None:
            self._handle.removeEventFilter(self)
        self._handle = handle
        if handle is not None:
            handle.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if watched is not self._window:  # the native window: the agent's input
            if kind in AGENT_INPUT and not self.agent_worked:
                self.agent_came()
        elif kind == QEvent.Type.WindowActivate:
            if self._pop_activation.isActive():
                self._pop_activation.stop()  # the pop's own
            else:
                self.agent_came()
        elif kind == QEvent.Type.WindowDeactivate:
            self._pop_activation.stop()
            self.check_again()  # the keys left the window: it may go back now
        elif kind == QEvent.Type.WinIdChange:
            self._watch_handle()
        return False
