"""The top of the window: the caller's number (big), who it is, the lookup state, and the
call around it (ringing, in call, ended; the line; a transfer)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from app.ui.call_status import CallStatus
from app.ui.plain_text import ElidedLabel, offer_copy
from app.ui.theme import status_colours

STATUS_TEXT = {
    "idle": "Waiting for a call",
    "loading": "Looking up…",
    "found": "Known caller",
    "unknown": "New caller",
    "error": "Lookup failed",
    "setup": "Not set up",
    "withheld": "Withheld",
}


class CallerHeader(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("callerHeader")
        # Both can be DeepCall's text (a "mobile" that is no number, any name): plain, elided.
        self.number = ElidedLabel("—")
        self.number.setAccessibleName("Caller number")
        # Not selectable (a selection copies what is shown, maybe cut): copy the whole value.
        offer_copy(self.number, "&Copy number", self.number.full_text)
        font = self.number.font()
        # Relative to the user's font: stays proportionate at 150 % scaling or large fonts.
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        self.number.setFont(font)
        self.caller_name = ElidedLabel()
        self.caller_name.setAccessibleName("Caller name")
        offer_copy(self.caller_name, "Copy &name", self.caller_name.full_text)
        name_font = self.caller_name.font()
        name_font.setPointSizeF(name_font.pointSizeF() * 1.25)
        self.caller_name.setFont(name_font)
        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setObjectName("statusChip")
        self.status.setAccessibleName("Lookup state")
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # indeterminate: "looking up" is visibly alive
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(self.fontMetrics().height() // 2 + 2)
        self.busy.setAccessibleName("Looking up the caller")

        left = QVBoxLayout()
        left.addWidget(self.number)
        left.addWidget(self.caller_name)
        self.call = CallStatus()
        left.addWidget(self.call)
        right = QVBoxLayout()
        right.addWidget(self.status, 0, Qt.AlignmentFlag.AlignRight)
        right.addStretch(1)
        top = QHBoxLayout()
        top.addLayout(left, 1)
        top.addLayout(right)
        outer = QVBoxLayout(self)
        outer.addLayout(top)
        outer.addWidget(self.busy)
        self.state = "idle"
        self.set_state("idle")

    def set_state(self, status: str, number: str | None = None, name: str | None = None) -> None:
        if number is not None:
            self.number.setText(number)
        if name is not None:
            self.caller_name.setText(name)
        self.state = status
        self.restyle()
        self.status.setText(STATUS_TEXT.get(status, status))
        self.busy.setVisible(status == "loading")

    def restyle(self) -> None:
        """Colour the state chip for the current light/dark scheme."""
        fg, bg = status_colours().for_status(self.state)
        pad = max(2, self.fontMetrics().height() // 6)
        sheet = (f"#statusChip {{ color: {fg}; background: {bg}; "
                 f"border-radius: {pad * 2}px; padding: {pad}px {pad * 3}px; "
                 "font-weight: bold; }")
        if sheet != self.status.styleSheet():
            self.status.setStyleSheet(sheet)
