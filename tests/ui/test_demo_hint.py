"""The demo window says how to pop from a terminal (the command tests/e2e/test_demo_profile.py
runs for real); an agent's own window does not."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from app.core.profile import DEMO_TRY_COMMAND
from app.ui.main_window import MainWindow


def _hints(window: MainWindow) -> list[str]:
    return [label.text() for label in window.findChildren(QLabel)
            if DEMO_TRY_COMMAND in label.text()]


def test_the_demo_window_shows_the_pop_command(qtbot: QtBot) -> None:
    demo = MainWindow(demo=True)
    qtbot.addWidget(demo)
    assert _hints(demo) == [f"  Or from a terminal: {DEMO_TRY_COMMAND}"]
    own = MainWindow()
    qtbot.addWidget(own)
    assert _hints(own) == []
