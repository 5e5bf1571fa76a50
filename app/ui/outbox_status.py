"""What waits for DeepCall, at a glance: "2 changes waiting · 1 needs your decision".

A permanent status-bar button (hidden when nothing waits), the tray's tooltip and a tray menu
entry show the outbox's counts. Clicking the button or the entry opens a small non-modal list
of the items held for the agent (a note that may already be in DeepCall, one DeepCall refused)
with "Send again" and "Discard". The outbox owns the items and their states; this module only
shows and relays.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.contact_view import format_number
from app.core.screen_text import one_line
from app.services.outbox import NOTE, UPDATE, Outbox, note_text
from app.services.store import OutboxItem
from app.ui.confirm import confirm
from app.ui.plain_text import plain_label, plain_tooltip
from app.ui.tray import Tray

log = logging.getLogger(__name__)

HELD_TEXT_CHARS = 80  # of a held note, in its row (the whole text is in the tooltip)


def outbox_summary(waiting: int, held: int) -> str:
    """"2 changes waiting · 1 needs your decision"; "" when nothing waits."""
    parts = []
    if waiting > 0:
        parts.append(f"{waiting} change{'' if waiting == 1 else 's'} waiting")
    if held > 0:
        parts.append(f"{held} need{'s' if held == 1 else ''} your decision")
    return " · ".join(parts)


def held_item_text(item: OutboxItem) -> tuple[str, str]:
    """(one line for the list, the whole story for its tooltip) of one held item."""
    who = format_number(item.number)
    if item.kind == NOTE:
        text = note_text(item)
        what = f"Note for {who}: “{one_line(text, HELD_TEXT_CHARS)}”"
        whole = f"Note for {who}:\n{text}"
    else:
        what = f"{'Changes to' if item.kind == UPDATE else 'New contact'} {who}"
        whole = what
    # The reason it is held (the outbox's words), else the attempt's error.
    reason = item.held or item.last_error or "It may already be in DeepCall."
    return f"{what} — {one_line(reason)}", f"{whole}\n\n{reason}"


class OutboxButton(QToolButton):
    """The status bar's count; a button, so it is reachable with the keyboard too."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAutoRaise(True)
        self.setAccessibleName("Changes waiting for DeepCall")
        self.setToolTip("Saves and notes not in DeepCall yet. Click to see what needs your "
                        "decision.")
        self.set_counts(0, 0)

    def set_counts(self, waiting: int, held: int) -> None:
        summary = outbox_summary(waiting, held)
        self.setText(summary)
        self.setAccessibleDescription(summary)
        self.setVisible(bool(summary))


class HeldItemsWindow(QDialog):
    """The items held for the agent; non-modal, so the agent can look the caller up meanwhile."""

    send_again_requested = Signal(int)  # outbox id
    discard_requested = Signal(int)  # outbox id, after the agent confirmed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Waiting for DeepCall")
        self.setModal(False)
        self.explanation = plain_label(
            "These may already be in DeepCall (the connection broke after they were sent), or "
            "DeepCall refused them. Check the caller in DeepCall, then send again or discard.")
        self.explanation.setWordWrap(True)
        self.items = QListWidget()
        self.items.setAccessibleName("Held saves and notes")
        self.items.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.send_again = QPushButton("&Send again")
        self.discard = QPushButton("&Discard…")
        self.problem = plain_label()
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.send_again.clicked.connect(self._on_send_again)
        self.discard.clicked.connect(self._on_discard)
        self.items.itemSelectionChanged.connect(self._enable)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.send_again)
        buttons.addWidget(self.discard)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.explanation)
        layout.addWidget(self.items, 1)
        layout.addWidget(self.problem)
        layout.addLayout(buttons)
        em = self.fontMetrics().horizontalAdvance("M")
        self.resize(em * 50, em * 24)
        self.show_items([], waiting=0)

    def show_items(self, held: Sequence[OutboxItem], *, waiting: int) -> None:
        """The held items; the one the agent chose stays chosen while it is still held.
        Nothing else is chosen for them: after "Send again" a second click (a double-click,
        Alt+S twice) must not act on the next note, which may already be in DeepCall."""
        chosen = self.selected_id()
        self.items.clear()
        for item in held:
            line, whole = held_item_text(item)
            row = QListWidgetItem(line)
            row.setData(Qt.ItemDataRole.UserRole, item.id)
            row.setToolTip(plain_tooltip(whole))
            self.items.addItem(row)
            if item.id == chosen:
                self.items.setCurrentItem(row)
        if not held:
            placeholder = QListWidgetItem(
                "Nothing needs your decision." + (
                    f" {outbox_summary(waiting, 0).capitalize()}: they are sent by themselves "
                    "as soon as DeepCall answers." if waiting else ""))
            placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
            self.items.addItem(placeholder)
        self._enable()

    def choose_first(self) -> None:
        """The first item chosen, when the window opens (never after a decision)."""
        if self.items.count() and self.items.item(0).flags() & Qt.ItemFlag.ItemIsSelectable:
            self.items.setCurrentRow(0)

    def show_problem(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.setVisible(bool(message))

    def selected_id(self) -> int | None:
        """The item the agent chose: selected, not merely the keyboard's current row (a list
        taking the focus makes its first row current without anyone choosing it)."""
        rows = self.items.selectedItems()
        value = rows[0].data(Qt.ItemDataRole.UserRole) if rows else None
        return value if isinstance(value, int) else None

    def _enable(self) -> None:
        chosen = self.selected_id() is not None
        self.send_again.setEnabled(chosen)
        self.discard.setEnabled(chosen)

    def _on_send_again(self) -> None:
        item_id = self.selected_id()
        if item_id is not None:
            self.send_again_requested.emit(item_id)

    def _on_discard(self) -> None:
        item_id = self.selected_id()
        if item_id is None:
            return
        # The item's own line: the agent confirms what they checked, not "this item".
        line = self.items.selectedItems()[0].text()
        confirm(self, "Discard?",
                f"Discard it?\n\n{line}\n\nDo this only if DeepCall already has it: it is not "
                "kept anywhere else on this computer.", "Discard",
                lambda: self.discard_requested.emit(item_id))


class OutboxStatus(QObject):
    """Relays the outbox's counts to the status bar and the tray, and the agent's decisions
    on held items back to the outbox."""

    def __init__(self, outbox: Outbox, window: QMainWindow, tray: Tray | None = None) -> None:
        super().__init__(window)
        self._outbox = outbox
        self._window = window
        self._tray = tray
        self.button = OutboxButton()
        window.statusBar().addPermanentWidget(self.button)
        self.held_window: HeldItemsWindow | None = None
        self._known = (0, 0)
        self._unreadable = False
        self.button.clicked.connect(self.open_held)
        if tray is not None:
            tray.outbox_requested.connect(self.open_held)
        outbox.countsChanged.connect(self._show_counts)
        self.refresh()

    def counts(self) -> tuple[int, int]:
        """(waiting, held): the last counts read when the outbox cannot be read just now
        (0, 0 before any), so a passing disk error never shows as "nothing waits"."""
        try:
            self._known = self._outbox.counts()
        except Exception as exc:
            # One line, no traceback: asked at every change and every `state`, a broken
            # disk would otherwise flood the log.
            log.warning("could not count what waits in the outbox: %r", exc)
            self._unreadable = True
        else:
            self._unreadable = False
        return self._known

    def state(self) -> dict[str, object]:
        """``screenpop state``'s keys: integer counts always, and whether they are stale."""
        waiting, held = self.counts()
        return {"outbox": waiting, "outbox_held": held, "outbox_unreadable": self._unreadable}

    def close(self) -> None:
        if self.held_window is not None:
            self.held_window.close()

    def refresh(self) -> None:
        self._show_counts(*self.counts())

    def _show_counts(self, waiting: int, held: int) -> None:
        self._known = (waiting, held)
        self.button.set_counts(waiting, held)
        if self._tray is not None:
            self._tray.set_outbox_summary(outbox_summary(waiting, held))
        if self.held_window is not None and self.held_window.isVisible():
            self._fill_held(waiting)

    def open_held(self) -> HeldItemsWindow:
        held_window = self.held_window
        if held_window is None:
            held_window = self.held_window = HeldItemsWindow(self._window)
            held_window.send_again_requested.connect(self._send_again)
            held_window.discard_requested.connect(self._discard)
        opening = not held_window.isVisible()
        self._fill_held(self.counts()[0])
        if opening and held_window.selected_id() is None:
            held_window.choose_first()
        held_window.show()
        held_window.raise_()
        held_window.activateWindow()
        return held_window

    def _fill_held(self, waiting: int) -> None:
        assert self.held_window is not None
        try:
            held = self._outbox.held_items()
        except Exception:
            log.exception("could not read the held outbox items")
            self.held_window.show_problem("What waits could not be read from this computer's "
                                          "database; see the log.")
            return
        self.held_window.show_items(held, waiting=waiting)

    def _send_again(self, item_id: int) -> None:
        self._decide(self._outbox.confirm_held, item_id, "sent again")

    def _discard(self, item_id: int) -> None:
        self._decide(self._outbox.discard_held, item_id, "discarded")

    def _decide(self, action: Callable[[int], None], item_id: int, what: str) -> None:
        problem = ""
        try:
            action(item_id)
        except Exception:
            log.exception("could not act on a held outbox item")
            problem = (f"It could not be {what}: this computer's database did not take the "
                       "change. It is still held; see the log.")
        if self.held_window is not None:
            self.held_window.show_problem(problem)
        self.refresh()  # the outbox signals its counts too; the list follows them
