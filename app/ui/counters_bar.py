"""Agent counters in the status bar (calls, answered, missed, talk time), refreshed by a poller."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.api.models import Counters
from app.ui.plain_text import ElidedLabel
from app.ui.recent_calls import format_duration


class CountersLabel(ElidedLabel):
    """One line in the status bar; DeepCall's status words and campaign names are its text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Counters: waiting for DeepCall…", parent)
        self.setAccessibleName("Agent counters")

    def show_counters(self, counters: Counters) -> None:
        def n(value: int | None) -> str:
            return "—" if value is None else str(value)

        parts = [p for p in (counters.agent_status, counters.login_type) if p]
        parts += [f"Calls {n(counters.total_calls)}", f"answered {n(counters.answered_calls)}",
                  f"missed {n(counters.missed_calls)}",
                  f"talk {format_duration(counters.talk_time_seconds)}"]
        text = " · ".join(parts)
        campaigns = "\n".join(f"{c.name}: {n(c.calls)} calls" for c in counters.campaigns)
        self.set_full_text(text, campaigns or "No campaign activity yet")

    def show_unavailable(self, message: str) -> None:
        self.set_full_text("Counters unavailable", message)
