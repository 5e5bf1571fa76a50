"""The shown call in the header (issue 11): "Ringing", "In call 02:15" (ticking once a second
while answered, and only then), "Call ended · 04:31"; the line that rang and who transferred
it. Rendered from ``CallTracker.callChanged``'s ``ShownCall``; a pop with no call around it
(clipboard, a bare number) shows nothing here."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QWidget

from app.services.call_tracker import ShownCall
from app.ui.plain_text import ElidedLabel, plain_label

TICK_MS = 1000


def duration_text(seconds: float) -> str:
    """02:15, or 1:02:15 past an hour (never negative: a clock that stepped back)."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def call_state_text(call: ShownCall | None, now: float) -> str:
    """What the header says about the call's state at ``now`` (time.monotonic())."""
    if call is None or call.state is None:
        return ""
    if call.state == "ringing":
        return "Ringing"
    if call.state == "answered":
        return "In call" if call.answered_at is None else \
            f"In call {duration_text(now - call.answered_at)}"
    if call.duration_seconds is not None:
        return f"Call ended · {duration_text(call.duration_seconds)}"
    return "Call ended"


def call_details_text(call: ShownCall | None) -> str:
    """The line that rang and who transferred the call: "Sales IN · Transferred from Priya"."""
    if call is None:
        return ""
    parts = [call.line or ""]
    if call.from_agent:
        parts.append(f"Transferred from {call.from_agent}")
    return " · ".join(part for part in parts if part)


class CallStatus(QWidget):
    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._clock = clock
        self.call: ShownCall | None = None
        self.state = plain_label()
        self.state.setAccessibleName("Call state")
        # The line and the agent's name are the softphone's text: plain, elided.
        self.details = ElidedLabel()
        self.details.setAccessibleName("Line and transfer")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.state)
        layout.addWidget(self.details, 1)
        self._ticker = QTimer(self)
        self._ticker.setInterval(TICK_MS)
        self._ticker.timeout.connect(self._show_state)
        self.show_call(None)

    @property
    def ticking(self) -> bool:
        return self._ticker.isActive()

    def show_call(self, call: ShownCall | None) -> None:
        self.call = call
        self.details.setText(call_details_text(call))
        self.details.setVisible(bool(self.details.full_text()))
        self._show_state()
        if call is not None and call.state == "answered":
            if not self._ticker.isActive():
                self._ticker.start()
        else:
            self._ticker.stop()  # nothing changes on screen: no wake-ups
        self.setVisible(bool(self.state.text() or self.details.full_text()))

    def _show_state(self) -> None:
        text = call_state_text(self.call, self._clock())
        self.state.setText(text)
        self.state.setVisible(bool(text))
