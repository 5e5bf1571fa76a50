"""The tray icon: the pop state at a glance, the last caller in the tooltip, a small menu."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from app.core.screen_text import defused, one_line
from app.ui.caller_header import STATUS_TEXT
from app.ui.resources import icon


class Tray(QObject):
    show_requested = Signal()
    settings_requested = Signal()
    simulate_requested = Signal()
    quit_requested = Signal()

    def __init__(self, demo: bool = False, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.icon = QSystemTrayIcon(icon("tray-idle"), self)
        self.status = "idle"
        self.last_caller = ""
        self.outbox_summary = ""  # "2 changes waiting", "" when nothing waits
        menu = QMenu()
        self._menu = menu  # QSystemTrayIcon does not own its menu
        menu.addAction("&Show Screen-Pop", self.show_requested.emit)
        if demo:
            menu.addAction("Simulate &incoming call", self.simulate_requested.emit)
        menu.addAction("&Settings…", self.settings_requested.emit)
        menu.addSeparator()
        quit_action = QAction("&Quit", menu)
        quit_action.triggered.connect(self.quit_requested.emit)
        menu.addAction(quit_action)
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(self._on_activated)
        self.set_state("idle")

    def available(self) -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def show(self) -> None:
        if self.available():
            self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger,
                      QSystemTrayIcon.ActivationReason.DoubleClick):
            self.show_requested.emit()

    def set_state(self, status: str, last_caller: str | None = None) -> None:
        self.status = status
        if last_caller is not None:
            self.last_caller = last_caller
        self.icon.setIcon(icon(f"tray-{status}"))
        self._show_tooltip()

    def set_outbox_summary(self, summary: str) -> None:
        """What waits for DeepCall ("2 changes waiting"), under the state; "" hides the line."""
        self.outbox_summary = summary
        self._show_tooltip()

    def _show_tooltip(self) -> None:
        tip = f"DeepCall Screen-Pop — {STATUS_TEXT.get(self.status, self.status)}"
        if self.last_caller:
            tip += f"\nLast caller: {one_line(self.last_caller)}"
        if self.outbox_summary:
            tip += f"\n{self.outbox_summary}"
        self.icon.setToolTip(defused(tip))

    def notify(self, title: str, message: str) -> None:
        if self.available() and self.icon.isVisible():
            # The caller's name is in the message: bounded, and never markup on any desktop.
            self.icon.showMessage(defused(one_line(title)), defused(one_line(message)),
                                  icon("app"), 8000)
