"""Recent calls with the current number: one compact row per call, newest first."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from app.api.models import RecentCall
from app.core.screen_text import one_line
from app.ui.plain_text import plain_tooltip

LOADING_CALLS = "Looking up recent calls…"
COLUMN_EM = 9  # a column's widest, in letters: a date, "↗ out", a status word fit
DIRECTION_MARKS = {"inbound": "↙ in", "outbound": "↗ out"}


def format_duration(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    minutes, secs = divmod(max(0, int(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class RecentCallsList(QTreeWidget):
    COLUMNS = ("When", "Dir.", "Status", "Length", "Agent")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(len(self.COLUMNS))
        self.setHeaderLabels(list(self.COLUMNS))
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAccessibleName("Recent calls with this number")
        header = self.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # The agent's name takes what is left (elided if need be): no sideways scrolling in a
        # narrow pane or at 150 % scaling.
        header.setSectionResizeMode(len(self.COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)  # its floor is 100 px, Stretch's is the minimum
        em = self.fontMetrics().horizontalAdvance("M")
        header.setMinimumSectionSize(em * 3)
        # Sized to their contents, but a status as long as a book is elided, not scrolled to.
        header.setMaximumSectionSize(em * COLUMN_EM)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self._calls: list[RecentCall] = []

    def show_calls(self, calls: Sequence[RecentCall]) -> None:
        self.clear()
        self._calls = list(calls)
        for call in self._calls:
            texts = [
                (call.start_time.strftime("%d %b %H:%M") if call.start_time
                 else call.start_time_text),
                DIRECTION_MARKS.get(call.call_type, call.call_type),
                call.status,
                format_duration(call.duration_seconds),
                call.agent_name,
            ]
            # One line each and bounded: the view measures what it is given, and elides it.
            item = QTreeWidgetItem([one_line(text) for text in texts])
            # Items are plain text; tooltips guess HTML, and these are DeepCall's words.
            for column, text in enumerate(texts):
                item.setToolTip(column, plain_tooltip(text))
            item.setToolTip(0, plain_tooltip(f"{call.start_time_text} · call ID {call.call_id}"))
            self.addTopLevelItem(item)
        if not self._calls:
            self._placeholder("No earlier calls with this number")

    def show_loading(self) -> None:
        """The number just arrived: "no calls" would be a guess, so say they are coming."""
        self.show_placeholder(LOADING_CALLS)

    def show_placeholder(self, text: str) -> None:
        """A message instead of calls (still loading, or recentCalls failed)."""
        self.clear()
        self._calls = []
        self._placeholder(text)

    def _placeholder(self, text: str) -> None:
        item = QTreeWidgetItem([one_line(text)])
        item.setToolTip(0, plain_tooltip(text))
        self.addTopLevelItem(item)
        item.setFirstColumnSpanned(True)

    def placeholder_text(self) -> str | None:
        """The message shown instead of calls (None when calls are listed)."""
        item = self.topLevelItem(0)
        if self._calls or item is None:
            return None
        return item.text(0)

    def calls(self) -> list[RecentCall]:
        return list(self._calls)
