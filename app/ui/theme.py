"""Follow the OS light/dark setting, and give the few status colours the window uses.

Qt 6.5+ reports the OS scheme through ``styleHints().colorScheme()``. Fusion with an explicit
palette looks the same on every platform and switches cleanly when the scheme changes mid-shift
(many agents' desktops go dark at a fixed hour).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication


@dataclass(frozen=True)
class StatusColours:
    """Foreground/background pairs for the pop states, readable on the current scheme."""

    loading: tuple[str, str]
    found: tuple[str, str]
    unknown: tuple[str, str]
    error: tuple[str, str]
    idle: tuple[str, str]

    def for_status(self, status: str) -> tuple[str, str]:
        return getattr(self, status, self.idle)


LIGHT_STATUS = StatusColours(
    loading=("#0b4fa8", "#dbe9ff"),
    found=("#116329", "#dafbe1"),
    unknown=("#7a4b00", "#fff1c2"),
    error=("#a40e26", "#ffe1e4"),
    idle=("#4a525c", "#eef1f4"),
)
DARK_STATUS = StatusColours(
    loading=("#a5cdff", "#0f2a4d"),
    found=("#8ee6a6", "#0f3320"),
    unknown=("#ffd479", "#3d2c05"),
    error=("#ffaeb6", "#4a0d16"),
    idle=("#c9d1d9", "#2a2f36"),
)


_applied_dark: bool | None = None  # what ThemeFollower last applied (None: not running)


def is_dark() -> bool:
    if _applied_dark is not None:
        return _applied_dark
    return bool(QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark)


def status_colours() -> StatusColours:
    return DARK_STATUS if is_dark() else LIGHT_STATUS


def _dark_palette() -> QPalette:
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#1f2328",
        QPalette.ColorRole.WindowText: "#e6edf3",
        QPalette.ColorRole.Base: "#161b22",
        QPalette.ColorRole.AlternateBase: "#21262d",
        QPalette.ColorRole.ToolTipBase: "#2d333b",
        QPalette.ColorRole.ToolTipText: "#e6edf3",
        QPalette.ColorRole.PlaceholderText: "#8b949e",
        QPalette.ColorRole.Text: "#e6edf3",
        QPalette.ColorRole.Button: "#2d333b",
        QPalette.ColorRole.ButtonText: "#e6edf3",
        QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Highlight: "#2f81f7",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#58a6ff",
        QPalette.ColorRole.Mid: "#30363d",
        QPalette.ColorRole.Dark: "#0d1117",
        QPalette.ColorRole.Light: "#3b434d",
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    disabled = QColor("#6e7681")
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText,
                 QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    # Read-only fields (mobile) use the disabled Base; keep them visibly different.
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Base, QColor("#1f2328"))
    return palette


class ThemeFollower(QObject):
    """Applies the palette for the OS scheme now and whenever the OS changes it."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self._app = app
        app.setStyle("Fusion")
        self._light = app.style().standardPalette()
        self.apply()
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_scheme_changed)

    def _on_scheme_changed(self, scheme: Qt.ColorScheme) -> None:
        self.apply(scheme)

    def apply(self, scheme: Qt.ColorScheme | None = None) -> None:
        global _applied_dark
        if scheme is None:
            scheme = QGuiApplication.styleHints().colorScheme()
        _applied_dark = scheme == Qt.ColorScheme.Dark
        self._app.setPalette(_dark_palette() if _applied_dark else self._light)
