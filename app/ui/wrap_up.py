"""After a call ends, the window goes back where it was before the pop (issue 11).

The form stays for wrap-up; with ``return_after_call_seconds`` > 0 the window goes back that
many seconds after ``ended``: hidden again, minimized again, or lowered behind the window it
was behind. Never while the agent has unsaved edits in the form or a note in the box: it
waits until that clears (a save delivered, the note sent, the box emptied), so nothing is
lost or hidden half-done. A new pop or the agent coming to the window cancels it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Literal

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

Place = Literal["hidden", "minimized", "behind", "front"]


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
        if window.windowFlags() & Qt.WindowType.WindowStaysOnTopHint:
            # "Keep on top" came with the pop; behind the agent's window it cannot be.
            window.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, False)
            window.show()  # changing a flag hides the window
        window.lower()


class WrapUpReturn(QObject):
    """Puts ``window`` back ``seconds()`` after the shown call ends, unless ``busy()``."""

    def __init__(self, window: QWidget, seconds: Callable[[], int],
                 busy: Callable[[], bool]) -> None:
        super().__init__(window)
        self._window = window
        self._seconds = seconds
        self._busy = busy
        self.place: Place = "front"  # where the window was when the shown call popped
        self.waiting = False  # the time is up, but the agent has something unfinished
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._time_up)
        window.installEventFilter(self)

    @property
    def pending(self) -> bool:
        """The window will go back (the time runs, or it waits for the agent's work)."""
        return self._timer.isActive() or self.waiting

    def remember_place(self) -> None:
        """A pop is about to bring the window forward: where it is now is where it goes back.
        A new call also ends any wait for the previous one; if the window was on its way
        back, it goes back there after this call too."""
        was_pending = self.pending
        self.cancel()
        if not was_pending:
            self.place = window_place(self._window)

    def call_ended(self, _call: object = None) -> None:
        seconds = self._seconds()
        if seconds <= 0 or self.place == "front":
            return  # the setting is off, or the window was where the agent works anyway
        self.waiting = False
        self._timer.start(seconds * 1000)

    def cancel(self) -> None:
        self._timer.stop()
        self.waiting = False

    def check_again(self, *_args: object) -> None:
        """Something the agent had unfinished may have cleared (saved, sent, emptied)."""
        if self.waiting and not self._busy():
            self._go_back()

    def _time_up(self) -> None:
        if self._busy():
            log.info("wrap-up: the window stays until the edits or the note are done")
            self.waiting = True
            return
        self._go_back()

    def _go_back(self) -> None:
        self.waiting = False
        log.info("wrap-up: the window goes back (%s)", self.place)
        put_back(self._window, self.place)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # The agent came to the window (a click, Alt+Tab): they are working in it.
        if watched is self._window and event.type() == QEvent.Type.WindowActivate \
                and self.pending:
            log.info("wrap-up: cancelled, the agent is in the window")
            self.cancel()
        return False
