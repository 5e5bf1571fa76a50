"""The "Open caller page" button (Ctrl+O): the shown caller's page in the agent's browser, as
the call actions' URL template builds it (issue 11). Disabled, with the reason as its tooltip,
when there is nothing to open (no template, a withheld caller, no caller yet)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMainWindow, QPushButton

from app.services.call_actions import NO_TEMPLATE, CallActions

log = logging.getLogger(__name__)

TEXT = "&Open caller page"
SHORTCUT = QKeySequence.StandardKey.Open  # Ctrl+O, Cmd+O on macOS
NOT_OPENED = "The caller page could not be opened: no web browser answered."


def open_in_browser(url: str) -> bool:
    """The one place the window hands a caller page to the desktop (tests replace it)."""
    return QDesktopServices.openUrl(QUrl(url, QUrl.ParsingMode.StrictMode))


class CallerPageButton(QPushButton):
    """The button and its window-wide shortcut; ``use(actions)`` connects it."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(TEXT)
        self._window = window
        self.setAccessibleName("Open the caller's page")
        self.action = QAction(TEXT, window)
        self.action.setShortcut(QKeySequence(SHORTCUT))
        window.addAction(self.action)  # the shortcut works wherever the focus is
        self.clicked.connect(self.action.trigger)
        self._show_available(False, NO_TEMPLATE)

    def use(self, actions: CallActions) -> None:
        self.action.triggered.connect(actions.open_url_for_shown)
        actions.urlAvailable.connect(
            lambda available: self._show_available(available, actions.unavailable_reason))
        actions.openUrlRequested.connect(self._open)
        status = self._window.statusBar()
        actions.problem.connect(lambda message: status.showMessage(message, 15000))
        if actions.setup_problems:
            status.showMessage(actions.setup_problems[0], 15000)
        self._show_available(actions.url_available, actions.unavailable_reason)

    def _show_available(self, available: bool, reason: str) -> None:
        shortcut = self.action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        tip = f"Open the caller's page in your browser ({shortcut})" if available else reason
        if available == self.isEnabled() and tip == self.toolTip():
            return  # every pop asks again: a new tooltip repaints the button each time
        for widget in (self, self.action):
            widget.setEnabled(available)
            widget.setToolTip(tip)
        self.setAccessibleDescription(tip)

    def _open(self, url: str) -> None:
        if not open_in_browser(url):
            log.warning("the desktop did not open the caller page")
            self._window.statusBar().showMessage(NOT_OPENED, 15000)
