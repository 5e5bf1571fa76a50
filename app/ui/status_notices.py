"""Notices the agent should read once, in the status bar, one after another.

At start-up several can come at once ("tray only" not used here, a field mapping that could
not be used, a profile on a network folder, the clipboard not readable): one
``showMessage`` over another would leave only the last. Each is shown for ``NOTICE_MS``
before the next; the last one stays (until another message takes the bar). A notice said
again while waiting or showing is not queued twice.
"""

from __future__ import annotations

from collections import deque

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QStatusBar

NOTICE_MS = 10_000  # long enough to read two sentences


class StatusNotices(QObject):
    def __init__(self, bar: QStatusBar, show_ms: int | None = None) -> None:
        super().__init__(bar)
        self._bar = bar
        self._waiting: deque[str] = deque()
        self._showing: str | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)  # never ends a notice early
        self._timer.setInterval(NOTICE_MS if show_ms is None else show_ms)
        self._timer.timeout.connect(self._next)

    def say(self, message: str) -> None:
        if not message or message == self._showing or message in self._waiting:
            return
        if self._timer.isActive():
            self._waiting.append(message)
        else:
            self._show(message)

    def _show(self, message: str) -> None:
        self._showing = message
        self._bar.showMessage(message)
        self._timer.start()

    def _next(self) -> None:
        if self._waiting:
            self._show(self._waiting.popleft())
