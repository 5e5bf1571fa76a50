"""The note for the current call. The text stays in the box until DeepCall confirms it."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.plain_text import set_wrapped_text


class NotesBox(QGroupBox):
    """Emits ``send_requested(text)``; the window answers with sent/failed/queued."""

    send_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("&Note for this call", parent)
        self.editor = QPlainTextEdit()
        self.editor.setTabChangesFocus(True)
        self.editor.setPlaceholderText("Type a note; Ctrl+Enter sends it to DeepCall.")
        self.editor.setAccessibleName("Note for this call")
        line = self.editor.fontMetrics().lineSpacing()
        self.editor.setMinimumHeight(line * 3 + 12)
        self.editor.setMaximumHeight(line * 8 + 12)
        self.send_button = QPushButton("Sen&d note")
        self.send_button.setAccessibleName("Send the note to DeepCall")
        self.send_button.setToolTip("Ctrl+Enter")
        self.send_button.clicked.connect(self._request_send)
        self.status = QLabel()
        set_wrapped_text(self.status, "")
        self.status.setAccessibleName("Note status")
        self.setFocusProxy(self.editor)  # the group box mnemonic (Alt+N) lands in the editor
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self.editor, self._request_send)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.editor, 1)
        layout.addLayout(row)
        self.set_enabled_for_call(False)

    def set_enabled_for_call(self, enabled: bool, reason: str = "") -> None:
        """Notes need a caller number; without one the box explains why it is idle."""
        self.send_button.setEnabled(enabled)
        if not enabled and reason:
            set_wrapped_text(self.status, reason)

    def _request_send(self) -> None:
        text = self.editor.toPlainText().strip()
        if not text:
            self.status.setText("Type a note first.")
            return
        if not self.send_button.isEnabled():
            return
        self.send_button.setEnabled(False)
        self.status.setText("Sending…")
        self.send_requested.emit(text)

    def note_sent(self, text: str) -> None:
        # Only clear when the box still holds what was sent (the agent may have typed more).
        if self.editor.toPlainText().strip() == text:
            self.editor.clear()
        self.status.setText("Note saved in DeepCall.")
        self.send_button.setEnabled(True)

    def note_failed(self, message: str) -> None:
        kept = "" if "kept" in message else " Your note is kept."
        set_wrapped_text(self.status,  # the server's words can be in the message
                         f"{message}{kept} Press “Retry sending note” to try again.")
        self.send_button.setText("Retry sen&ding note")
        self.send_button.setEnabled(True)

    def reset_for_new_call(self, draft: str = "") -> None:
        """A new caller: their own unsent draft (if any), never the previous caller's text."""
        self.send_button.setText("Sen&d note")
        self.status.clear()
        self.editor.setPlainText(draft)
