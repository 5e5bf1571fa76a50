"""A plain-language error strip with the one next step that helps (Settings or Retry).

Which step fits is decided here from the error's type and code; the words themselves come from
the API layer's ``user_message`` so the CLI and the window say the same thing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from app.api.errors import DeepCallApiError, DeepCallError, ServerError, TransportError
from app.services.errors import NotConfigured
from app.ui.plain_text import offer_copy, set_wrapped_text
from app.ui.theme import status_colours

# Codes that mean "the credentials in Settings are wrong": the agent can fix these themselves.
CREDENTIAL_CODES = frozenset({1002, 1014, 1020})
# Server-side hiccups worth trying again.
RETRYABLE_CODES = frozenset({1009, 1010, 1032, 1501})


class ErrorAction(enum.Enum):
    NONE = "none"
    RETRY = "retry"
    OPEN_SETTINGS = "settings"


@dataclass(frozen=True)
class ErrorView:
    message: str
    action: ErrorAction
    code: int | None = None


def describe_error(error: BaseException) -> ErrorView:
    """What to tell the agent about ``error`` and which button to offer."""
    if isinstance(error, NotConfigured):
        return ErrorView(error.user_message, ErrorAction.OPEN_SETTINGS)
    if isinstance(error, DeepCallError):
        code = error.code
        if code in CREDENTIAL_CODES:
            action = ErrorAction.OPEN_SETTINGS
        elif code in RETRYABLE_CODES:
            action = ErrorAction.RETRY
        else:
            action = ErrorAction.NONE
        suffix = f" (DeepCall code {code})" if code is not None else ""
        return ErrorView(error.user_message + suffix, action, code)
    if isinstance(error, TransportError | ServerError):
        return ErrorView(error.user_message, ErrorAction.RETRY)
    if isinstance(error, DeepCallApiError):
        return ErrorView(error.user_message, ErrorAction.RETRY)
    return ErrorView("Something unexpected went wrong while looking up the caller. "
                     "Try again; if it keeps happening, send the log to support.",
                     ErrorAction.RETRY)


class ErrorBanner(QFrame):
    """Hidden until ``show_error``; emits what the agent chose."""

    retry_requested = Signal()
    settings_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.view: ErrorView | None = None
        self.message = QLabel()
        set_wrapped_text(self.message, "")
        # Not selectable: the shown text has invisible break points so a long address wraps,
        # and a selection would copy them. "Copy message" copies the message itself.
        offer_copy(self.message, "&Copy message", lambda: self.view.message if self.view else "")
        self.message.setAccessibleName("Error message")
        self.retry_button = QPushButton("&Retry")
        self.retry_button.setAccessibleName("Retry the lookup")
        self.retry_button.clicked.connect(self.retry_requested)
        self.settings_button = QPushButton("Open &Settings")
        self.settings_button.setAccessibleName("Open Settings to fix the credentials")
        self.settings_button.clicked.connect(self.settings_requested)
        layout = QHBoxLayout(self)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.retry_button)
        layout.addWidget(self.settings_button)
        self.hide()

    def show_error(self, view: ErrorView) -> None:
        self.view = view
        self.restyle()
        set_wrapped_text(self.message, view.message)  # the server's words can be in it
        self.retry_button.setVisible(view.action is ErrorAction.RETRY)
        self.settings_button.setVisible(view.action is ErrorAction.OPEN_SETTINGS)
        self.show()

    def clear(self) -> None:
        self.view = None
        self.hide()

    def restyle(self) -> None:
        """Colour the banner for the current light/dark scheme."""
        fg, bg = status_colours().error
        sheet = (f"#errorBanner {{ background: {bg}; border-radius: 6px; }}"
                 f"#errorBanner QLabel {{ color: {fg}; }}")
        if sheet != self.styleSheet():  # restyling sends another change event: only if new
            self.setStyleSheet(sheet)
