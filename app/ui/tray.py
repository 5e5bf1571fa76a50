"""The tray icon: the pop state at a glance, the last caller in the tooltip, a small menu."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from app.core.screen_text import clip, defused, one_line
from app.ui.caller_header import STATUS_TEXT
from app.ui.macos_notifications import NotificationPermission, center_for_this_app
from app.ui.resources import icon

log = logging.getLogger(__name__)

# Windows keeps a tray tooltip in 128 UTF-16 units with the final NUL, and Qt cuts the rest.
TOOLTIP_UNITS = 127


TRAY_ONLY = "tray_only"
# Why "tray only" is not used on this desktop (the window comes up instead), said once.
NO_TRAY = ("This desktop has no system tray, so \"Only notify in the tray\" would hide your "
           "calls: the window comes to the front instead.")
NOT_YET_KNOWN = ("macOS has not said yet whether DeepCall Screen-Pop may show notifications, "
                 "so \"Only notify in the tray\" could hide your calls: the window comes to "
                 "the front instead until it has.")
NOTIFICATIONS_OFF = ("Notifications from DeepCall Screen-Pop are turned off (System Settings > "
                     "Notifications > DeepCall Screen-Pop), so \"Only notify in the tray\" "
                     "would hide your calls: the window comes to the front instead.")
NOT_BUNDLED = ("macOS shows notifications only from the installed DeepCall Screen-Pop app, not "
               "when it runs from Python, so \"Only notify in the tray\" would hide your calls: "
               "the window comes to the front instead.")


def notices_can_show(platform: str | None = None, executable: str | None = None,
                     frozen: bool | None = None) -> bool:
    """Whether a tray notice (``QSystemTrayIcon.showMessage``) can be seen here at all.

    macOS posts notifications in an app bundle's name; from a plain Python interpreter there
    is no bundle, and the notice is dropped without a trace. Only the shipped (frozen) .app
    has one.
    """
    if (platform or sys.platform) != "darwin":
        return True
    frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    return frozen and _inside_app_bundle(Path(executable or sys.executable))


def _inside_app_bundle(executable: Path) -> bool:
    folder = executable.parent  # <Name>.app/Contents/MacOS/<executable>
    return folder.name == "MacOS" and folder.parent.name == "Contents" \
        and folder.parent.parent.suffix == ".app"


def offered_pop_choices(choices: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """The pop behaviours Settings offers: "tray only" only where its notice can show."""
    return tuple(choice for choice in choices
                 if choice[0] != TRAY_ONLY or notices_can_show())


def notification_permission() -> NotificationPermission | None:
    """macOS, in the .app bundle: whether the agent allows its notifications (asked once);
    None elsewhere, where nothing needs asking, or when macOS cannot be asked."""
    if sys.platform != "darwin" or not notices_can_show():
        return None
    try:
        return NotificationPermission(center_for_this_app())
    except Exception:  # an OS without the framework: not known, so tray only is not used
        log.warning("cannot ask macOS whether notifications are allowed", exc_info=True)
        return None


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, units: int) -> str:
    """``text`` clipped (with an ellipsis) to at most ``units`` UTF-16 units."""
    limit = min(len(text), units)
    while limit > 0 and _units(clip(text, limit)) > units:
        limit -= 1
    return clip(text, limit) if limit > 0 else ""


def _fit_caller(line: str, units: int) -> str:
    """"Name (number)" in ``units``: the name gives way, the number stays whole."""
    name, bracket, number = line.rpartition(" (")
    if not bracket or not line.endswith(")") or _units(line) <= units:
        return _fit(line, units)
    kept = f"{bracket}{number}"
    return _fit(name, max(units - _units(kept), 1)) + kept


class Tray(QObject):
    show_requested = Signal()
    settings_requested = Signal()
    simulate_requested = Signal()
    outbox_requested = Signal()  # the agent wants to see what waits for DeepCall
    quit_requested = Signal()

    def __init__(self, demo: bool = False, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # macOS in the bundle: may its notifications show? None where nothing needs asking.
        self.permission = notification_permission()
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
        # "2 changes waiting…": the tooltip shows only on hover; this is seen in the menu.
        self.outbox_action = menu.addAction("", self.outbox_requested.emit)
        self.outbox_action.setVisible(False)
        menu.addSeparator()
        quit_action = QAction("&Quit", menu)
        quit_action.triggered.connect(self.quit_requested.emit)
        menu.addAction(quit_action)
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(self._on_activated)
        self.set_state("idle")

    def available(self) -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def why_notices_unseen(self) -> str | None:
        """Why a tray notice would not be seen here, in the agent's words; None when it would."""
        if not self.available():
            return NO_TRAY
        if not notices_can_show():
            return NOT_BUNDLED
        if sys.platform == "darwin":
            if self.permission is None:
                return NOT_YET_KNOWN
            allowed = self.permission.allowed
            self.permission.refresh()  # for the next call: the agent may change the setting
            if allowed is None:
                return NOT_YET_KNOWN
            if not allowed:
                return NOTIFICATIONS_OFF
        return None

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
        self.outbox_action.setText(f"{summary}…" if summary else "")
        self.outbox_action.setVisible(bool(summary))
        self._show_tooltip()

    def _show_tooltip(self) -> None:
        # What waits for DeepCall before the caller: if Windows' limit cuts anything, it is
        # the end of a long name, never the count or the number.
        tip = f"DeepCall Screen-Pop — {STATUS_TEXT.get(self.status, self.status)}"
        if self.outbox_summary:
            tip += f"\n{self.outbox_summary}"
        if self.last_caller:
            label = "\nLast caller: "
            room = TOOLTIP_UNITS - _units(tip + label)
            if room > 0:
                tip += label + _fit_caller(one_line(self.last_caller), room)
        self.icon.setToolTip(defused(_fit(tip, TOOLTIP_UNITS)))

    def notify(self, title: str, message: str) -> None:
        if self.available() and self.icon.isVisible():
            # The caller's name is in the message: bounded, and never markup on any desktop.
            self.icon.showMessage(defused(one_line(title)), defused(one_line(message)),
                                  icon("app"), 8000)
