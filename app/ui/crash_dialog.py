"""Uncaught exceptions: logged with the traceback, shown to the agent as a short apology.

Covers both routes an error escapes by: ``sys.excepthook`` (Qt slots, plain callbacks) and the
asyncio loop's exception handler (tasks nobody awaited). The app keeps running; the agent sees
where the log is, never a traceback and never a silent exit.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from app.api.errors import DeepCallApiError
from app.services.logs import log_uncaught

log = logging.getLogger("app.crash")


def _exception_handler_of(loop: asyncio.AbstractEventLoop) -> Any:
    # qasync keeps the handler in a private attribute and does not override
    # get_exception_handler(), which then always answers None.
    return getattr(loop, "_QEventLoop__exception_handler", None) or \
        loop.get_exception_handler()


class CrashReporter(QObject):
    """Shows at most one apology at a time; further errors while it is open are only logged."""

    reported = Signal(str)  # the exception type name, for tests

    def __init__(self, log_file: Path, parent_widget: Callable[[], QWidget | None]) -> None:
        super().__init__()
        self._log_file = log_file
        self._parent_widget = parent_widget
        self._box: QMessageBox | None = None
        self._previous_hook = sys.excepthook
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous_loop_handler: Any = None

    def install(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._previous_hook = sys.excepthook
        sys.excepthook = self._excepthook
        if loop is not None:
            self._loop = loop
            self._previous_loop_handler = _exception_handler_of(loop)
            loop.set_exception_handler(self._loop_handler)

    def uninstall(self) -> None:
        """Put back the hooks found at ``install`` (the loop may outlive this reporter)."""
        if sys.excepthook == self._excepthook:
            sys.excepthook = self._previous_hook
        if self._loop is not None:
            self._loop.set_exception_handler(self._previous_loop_handler)
            self._loop = None

    def _excepthook(self, exc_type: type[BaseException], exc: BaseException,
                    tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            self._previous_hook(exc_type, exc, tb)
            return
        self.report(exc, tb)

    def _loop_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, asyncio.CancelledError):
            return
        if exc is None:
            log.error("asyncio: %s", context.get("message", "unknown error"))
            return
        if isinstance(exc, DeepCallApiError):
            # A DeepCall answer nobody awaited (e.g. recentCalls after contactInfo already
            # failed): already shown or irrelevant, so no apology, just the log.
            log.warning("asyncio: unretrieved %s: %s", type(exc).__name__, exc)
            return
        self.report(exc, exc.__traceback__)

    def report(self, exc: BaseException, tb: TracebackType | None = None) -> None:
        log_uncaught(type(exc), exc, tb or exc.__traceback__, self._log_file, log)
        self.reported.emit(type(exc).__name__)
        # Show it from the event loop, not from inside whatever code just failed.
        QTimer.singleShot(0, self._show)

    def _show(self) -> None:
        if self._box is not None and self._box.isVisible():
            return
        box = QMessageBox(self._parent_widget())
        box.setIcon(QMessageBox.Icon.Warning)
        box.setTextFormat(Qt.TextFormat.PlainText)  # the log path is the user's text
        box.setWindowTitle("Sorry — something went wrong")
        box.setText("Sorry, something went wrong inside Screen-Pop. "
                    "The app keeps running; your notes and edits are kept.")
        box.setInformativeText(f"The details are in the log:\n{self._log_file}\n"
                               "Please send it to your support contact.")
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        box.setAccessibleName("Error report")
        self._box = box
        box.open()  # never exec(): it would re-enter the qasync loop

    @property
    def box(self) -> QMessageBox | None:
        return self._box
