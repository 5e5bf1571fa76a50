"""The call history panel: every pop, newest first, searchable by number or name.

A dock beside the caller (Ctrl+H): time, number, name, source, call id, the line that rang
and what is still pending for that caller ("unsaved changes", "2 waiting", "needs your
decision"), also marked by an icon beside the name (with the words in its tooltip and
accessible description). Enter or a double-click pops the caller again (from the cache, else
DeepCall); a withheld caller's row says "Withheld number" and pops nobody. "Clear history…"
and "Forget this caller…" ask first and say that queued saves and notes are kept. The panel
renders and emits; ``HistoryController`` reads the history service and relays.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QDateTime, QEvent, QLocale, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.caller_id import WITHHELD_LABEL
from app.core.contact_view import format_number
from app.core.pop_request import PopRequest
from app.core.screen_text import one_line
from app.services.pop_coordinator import PopCoordinator
from app.services.pop_history import LEFT, NOT_SHOWN, REOPENED, WAITING, WITHHELD, PopHistory
from app.services.store import PendingMarks, PopRecord
from app.ui.confirm import confirm
from app.ui.plain_text import plain_label, plain_tooltip

log = logging.getLogger(__name__)

# Ctrl+H; on macOS Qt reads "Ctrl" as Cmd, and Cmd+H hides the app there: the Control key.
SHORTCUT = "Meta+H" if sys.platform == "darwin" else "Ctrl+H"
COLUMNS = ("Time", "Number", "Name", "Source", "Call ID", "Line", "Pending")
PENDING_COLUMN = COLUMNS.index("Pending")
NAME_COLUMN = COLUMNS.index("Name")
STATUS_WORDS = {"unknown": "New caller", "error": "Lookup failed", "loading": "Looking up…",
                "superseded": "Next call came first", "cancelled": "App closed first",
                LEFT: "You opened another caller", WAITING: "Rang during your call",
                # Answered while the agent was on another call, or over before it rang here.
                NOT_SHOWN: "Not popped: another call or already over"}
ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
# The list follows the pops and the outbox at most this often, and never while a lookup is
# on its way: rebuilding 500 rows costs tens of milliseconds the pop must not wait for.
REFRESH_DELAY_MS = 100
SEARCH_DELAY_MS = 150  # typing a name searches once the agent pauses (Enter: at once)
CALL_ID_ROLE = Qt.ItemDataRole.UserRole + 1
POP_ID_ROLE = Qt.ItemDataRole.UserRole + 2
WITHHELD_ROLE = Qt.ItemDataRole.UserRole + 3
NOT_REPOPPABLE = "A withheld caller cannot be looked up: there is no number to pop again."


def pending_text(marks: PendingMarks | None) -> str:
    """"unsaved changes · 2 waiting · needs your decision"; "" when nothing is pending."""
    if marks is None:
        return ""
    parts = []
    if marks.drafts:
        parts.append("unsaved changes")
    if marks.queued:
        parts.append(f"{marks.queued} waiting")
    if marks.held:
        parts.append("needs your decision")
    return " · ".join(parts)


def when_text(at: float) -> str:
    """"2 Jan 09:30" this year, "2 Jan 2025" before (history is kept up to ten years), in
    the agent's language."""
    moment = QDateTime.fromSecsSinceEpoch(int(at))
    this_year = moment.date().year() == QDateTime.currentDateTime().date().year()
    return QLocale().toString(moment, "d MMM HH:mm" if this_year else "d MMM yyyy")


# Formatting a number (libphonenumber) is most of a row's cost; the history repeats numbers.
_formatted = functools.lru_cache(maxsize=4096)(format_number)


@dataclass(frozen=True)
class HistoryRow:
    number: str  # E.164: what a re-pop asks for
    texts: tuple[str, ...]  # one per column, as shown
    call_id: str | None = None  # the row's call: a re-pop's notes go to it
    pop_id: int = 0  # the row's place in the history: the agent's place across refreshes
    withheld: bool = False  # no number: shown, never popped again as a lookup

    @classmethod
    def of(cls, record: PopRecord, marks: PendingMarks | None) -> HistoryRow:
        when = when_text(record.at)
        withheld = record.status == WITHHELD
        name = "" if withheld else record.name or STATUS_WORDS.get(record.status, "")
        shown = WITHHELD_LABEL if withheld else _formatted(record.number)
        line = record.line or ""
        return cls(record.number, (when, shown, name, record.source or "",
                                   record.call_id or "", line, pending_text(marks)),
                   record.call_id, record.id, withheld)


class HistoryPanel(QDockWidget):
    search_changed = Signal(str)
    repop_requested = Signal(str, object)  # E.164, the row's call id (str or None)
    clear_requested = Signal()  # the agent confirmed
    forget_requested = Signal(str)  # E.164; the agent confirmed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Call history", parent)
        self.setObjectName("historyDock")  # saveState() needs a name
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search by number or name")
        self.search.setAccessibleName("Search the call history")
        self.search.setClearButtonEnabled(True)
        self.list = QTreeWidget()
        self.list.setColumnCount(len(COLUMNS))
        self.list.setHeaderLabels(list(COLUMNS))
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setAlternatingRowColors(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setAccessibleName("Call history, newest first: Enter pops the caller again")
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        # The Pending column is out of view in the narrow dock: a caller with something
        # pending is also marked beside the name, where the agent reads.
        self._pending_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        header = self.list.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        em = self.list.fontMetrics().horizontalAdvance("M")
        for column, width in enumerate((8, 10, 12, 6, 6, 8, 10)):
            self.list.setColumnWidth(column, em * width)
        self.problem = plain_label()
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.forget = QPushButton("&Forget this caller…")
        self.clear_all = QPushButton("C&lear history…")
        self.forget.setEnabled(False)

        body = QWidget()
        buttons = QHBoxLayout()
        buttons.addWidget(self.forget)
        buttons.addStretch(1)
        buttons.addWidget(self.clear_all)
        layout = QVBoxLayout(body)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.problem)
        layout.addLayout(buttons)
        self.setWidget(body)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.search_now)
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        self.list.itemDoubleClicked.connect(lambda item, _column: self._repop(item))
        self.list.currentItemChanged.connect(
            lambda current, _previous: self.forget.setEnabled(current is not None))
        self.forget.clicked.connect(self.ask_forget)
        self.clear_all.clicked.connect(self.ask_clear)
        pop_again = QAction("&Pop this caller again", self.list)
        pop_again.triggered.connect(lambda: self._repop(self.list.currentItem()))
        forget = QAction("&Forget this caller…", self.list)
        forget.triggered.connect(self.ask_forget)
        self.list.addActions([pop_again, forget])
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        # Explicit keys rather than ``itemActivated``: that fires on a single click on some
        # desktops, and a stray click must not replace the caller on screen.
        self.list.installEventFilter(self)
        self.search.installEventFilter(self)

    def show_rows(self, rows: Sequence[HistoryRow]) -> None:
        # The agent's place is kept across refreshes: the same pop (not the first row of the
        # same number, which may be far up), and the scroll position.
        current = self.list.currentItem()
        chosen = current.data(0, POP_ID_ROLE) if current is not None else None
        scrolled = self.list.verticalScrollBar().value()
        self.list.clear()
        again: QTreeWidgetItem | None = None
        items = []
        for row in rows:
            item = QTreeWidgetItem([one_line(text) for text in row.texts])
            item.setData(0, Qt.ItemDataRole.UserRole, row.number)
            item.setData(0, CALL_ID_ROLE, row.call_id)
            item.setData(0, POP_ID_ROLE, row.pop_id)
            item.setData(0, WITHHELD_ROLE, row.withheld)
            for column, text in enumerate(row.texts):
                if text:
                    item.setToolTip(column, plain_tooltip(text))
            pending = row.texts[PENDING_COLUMN]
            if pending:
                item.setIcon(NAME_COLUMN, self._pending_icon)
                item.setData(NAME_COLUMN, Qt.ItemDataRole.AccessibleDescriptionRole, pending)
                item.setToolTip(NAME_COLUMN,
                                plain_tooltip(f"{row.texts[NAME_COLUMN]}\n{pending}"))
            items.append(item)
            if row.pop_id == chosen:
                again = item
        self.list.addTopLevelItems(items)  # one layout pass, not one per row
        again = again or self.list.topLevelItem(0)
        if again is not None:
            self.list.setCurrentItem(again)
        self.list.verticalScrollBar().setValue(scrolled)
        self.forget.setEnabled(self.list.currentItem() is not None)
        self.clear_all.setEnabled(bool(rows) or bool(self.search.text()))

    def show_problem(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.setVisible(bool(message))

    def numbers(self) -> list[str]:
        items = (self.list.topLevelItem(i) for i in range(self.list.topLevelItemCount()))
        return [str(item.data(0, Qt.ItemDataRole.UserRole)) for item in items if item]

    def selected_number(self) -> str | None:
        item = self.list.currentItem()
        return str(item.data(0, Qt.ItemDataRole.UserRole)) if item is not None else None

    def open_and_search(self) -> None:
        """Ctrl+H: show the panel with the cursor in the search box."""
        self.show()
        self.raise_()
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if key in ENTER_KEYS and watched is self.search:
                # As in any search box, Enter goes to the answers: it pops nobody (that
                # would replace the caller on the phone). Enter in the list does.
                self._to_the_list()
                return True
            if key in ENTER_KEYS:
                self._repop(self.list.currentItem())
                return True
            if watched is self.search and key == Qt.Key.Key_Down:
                self._to_the_list()
                return True
            if key == Qt.Key.Key_Escape and watched is self.search and self.search.text():
                self.search.clear()
                return True
        return super().eventFilter(watched, event)

    def search_now(self) -> None:
        """The search typed so far, at once (Enter, Down, or the typing paused)."""
        self._search_timer.stop()
        self.search_changed.emit(self.search.text())

    def _to_the_list(self) -> None:
        if self._search_timer.isActive():
            self.search_now()
        first = self.list.topLevelItem(0)
        if self.list.currentItem() is None and first is not None:
            self.list.setCurrentItem(first)
        self.list.setFocus(Qt.FocusReason.TabFocusReason)

    def _repop(self, item: QTreeWidgetItem | None) -> None:
        if item is not None and item.data(0, WITHHELD_ROLE):
            self.show_problem(NOT_REPOPPABLE)
            return
        if item is not None:
            call_id = item.data(0, CALL_ID_ROLE)
            self.repop_requested.emit(str(item.data(0, Qt.ItemDataRole.UserRole)),
                                      call_id if isinstance(call_id, str) else None)

    def ask_forget(self) -> None:
        number = self.selected_number()
        item = self.list.currentItem()
        if number is None or item is None:
            return
        shown = WITHHELD_LABEL if item.data(0, WITHHELD_ROLE) else format_number(number)
        confirm(self, "Forget this caller?",
                f"Forget {shown}? Their calls in this history, their unsent note draft and "
                "their unsaved changes are deleted from this computer. Saves and notes "
                "already queued for DeepCall are kept and still sent.", "Forget",
                lambda: self.forget_requested.emit(number))

    def ask_clear(self) -> None:
        confirm(self, "Clear the call history?",
                "Delete every call from this history on this computer? Unsaved changes, note "
                "drafts, and saves and notes queued for DeepCall are kept, and so is the "
                "latest call of each caller who has unsaved changes or something waiting, "
                "so you can still get back to them.", "Clear history",
                self.clear_requested.emit)


class HistoryController(QObject):
    """Reads the history for the panel and hands its requests to the services."""

    # A caller was forgotten (their pops and drafts are gone from the store): E.164. What
    # still holds them in memory (the form and note box if they are on screen, the lookup
    # cache) lets go of them too.
    callerForgotten = Signal(str)

    def __init__(self, panel: HistoryPanel, history: PopHistory,
                 coordinator: PopCoordinator) -> None:
        super().__init__(panel)
        self.panel = panel
        self._history = history
        self._coordinator = coordinator
        self.show_action: QAction | None = None  # Ctrl+H, once installed in a window
        self._marks: Mapping[str, PendingMarks] = {}  # what the list shows
        panel.search_changed.connect(lambda _text: self.refresh())
        panel.visibilityChanged.connect(self._on_visibility)
        panel.repop_requested.connect(self.repop)
        panel.clear_requested.connect(self.clear)
        panel.forget_requested.connect(self.forget)
        self._later = QTimer(self)
        self._later.setSingleShot(True)
        self._later.setInterval(REFRESH_DELAY_MS)
        self._later.timeout.connect(self._refresh_when_idle)
        # A pop starts or ends (its name, its status), a draft or the outbox changes.
        coordinator.statusChanged.connect(self.refresh_if_shown)

    def _on_visibility(self, visible: bool) -> None:
        if visible:
            self.refresh()

    def refresh_if_shown(self, *_args: object) -> None:
        """Something the list shows changed: refreshed soon, once for a burst of changes
        (a pop's "loading" and "found", its counts), and only while the panel is shown."""
        if self.panel.isVisible() and not self._later.isActive():
            self._later.start()

    def _refresh_when_idle(self) -> None:
        if not self.panel.isVisible():
            return  # shown again, it refreshes then
        if self._coordinator.busy:
            self._later.start()  # a lookup is on its way: its answer first, the list after
            return
        self.refresh()

    def refresh_marks_if_shown(self, *_args: object) -> None:
        """Drafts were written or a save's problems changed: the list is rebuilt only when a
        caller's pending marks did change (drafts are written every half second of typing;
        rebuilding then would move the agent's place in the list for nothing)."""
        if self.panel.isVisible() and self._history.pending_marks() != self._marks:
            self.refresh_if_shown()  # coalesced: at a pop, the caller leaving writes drafts

    def refresh(self) -> None:
        try:
            records = self._history.search(self.panel.search.text())
        except Exception:
            log.exception("could not read the local history")
            self.panel.show_problem("The history could not be read from this computer's "
                                    "database; see the log.")
            self.panel.show_rows([])
            return
        marks: Mapping[str, PendingMarks] = self._history.pending_marks()
        self._marks = marks
        self.panel.show_problem("")
        self.panel.show_rows([HistoryRow.of(r, marks.get(r.number)) for r in records])

    def repop(self, number: str, call_id: str | None = None) -> None:
        # The cache answers at once if it still can; the caller on screen keeps their call.
        self._coordinator.reopen(PopRequest(number, call_id, source=REOPENED))

    def clear(self) -> None:
        self._act(self._history.clear, "cleared")

    def forget(self, number: str) -> None:
        if self._act(lambda: self._history.forget(number), "changed"):
            self.callerForgotten.emit(number)

    def _act(self, action: Callable[[], object], what: str) -> bool:
        try:
            action()
        except Exception:
            log.exception("could not change the local history")
            self.panel.show_problem(f"The history could not be {what}: this computer's "
                                    "database did not take it. Nothing was deleted.")
            return False
        self.refresh()
        return True


def install_history(window: QMainWindow, history: PopHistory,
                    coordinator: PopCoordinator) -> HistoryController:
    """The panel docked on the window's right (hidden until asked for) and its menu."""
    panel = HistoryPanel(window)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, panel)
    em = panel.fontMetrics().horizontalAdvance("M")
    # Wide enough for time, number and name; the rest scrolls into view.
    window.resizeDocks([panel], [em * 36], Qt.Orientation.Horizontal)
    panel.hide()
    menu = window.menuBar().addMenu("&History")
    show = QAction("Call &history", window)
    show.setShortcut(QKeySequence(SHORTCUT))
    show.triggered.connect(panel.open_and_search)
    menu.addAction(show)
    clear = QAction("&Clear history…", window)
    clear.triggered.connect(panel.ask_clear)
    menu.addAction(clear)
    controller = HistoryController(panel, history, coordinator)
    controller.show_action = show
    return controller
