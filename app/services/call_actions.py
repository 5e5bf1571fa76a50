"""What runs for a call besides the pop (issue 11): the caller's page in another program (a
CRM search, the DeepCall panel) from a URL template, and a program run with arguments on
call events. Values go into a template's URL encoded, and into a program's arguments as
whole arguments: never through a shell, never spliced into a command string.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from app.services.settings import Settings

log = logging.getLogger(__name__)


class CallActions(QObject):
    # The URL to open for the shown caller (the window opens it with the desktop).
    openUrlRequested = Signal(str)
    # Whether the window's "Open caller page" button has something to open now.
    urlAvailable = Signal(bool)

    def __init__(self, settings: Settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings

    def on_event(self, kind: str, call: object, shown: bool) -> None:
        """A call event (``CallTracker.eventHandled``): open the page / run the program as
        configured (issue 11, part A)."""

    def open_url_for_shown(self) -> None:
        """The agent clicked "Open caller page" (issue 11, part A)."""
