"""The app's one bootstrap sets what Qt reads from the environment before any QApplication
exists (issue 11): on macOS, QT_MAC_SET_RAISE_PROCESS=0, or every pop's raise() activates
the app and takes the keys from the agent's CRM (Qt's QCocoaWindow::raise)."""

from __future__ import annotations

import os
import sys

import pytest

from app.commands import gui
from app.ui.window_focus import MACOS_RAISE_VARIABLE


@pytest.mark.parametrize(("platform", "expected"), [("darwin", "0"), ("linux", None),
                                                    ("win32", None)])
def test_the_bootstrap_sets_the_macos_raise_variable_before_qt_starts(
        monkeypatch: pytest.MonkeyPatch, platform: str, expected: str | None) -> None:
    monkeypatch.delenv(MACOS_RAISE_VARIABLE, raising=False)
    monkeypatch.setattr(sys, "platform", platform)
    seen: list[str | None] = []

    def first_qt_start() -> int:  # the first of main's paths to create a QApplication
        seen.append(os.environ.get(MACOS_RAISE_VARIABLE))
        return 0

    monkeypatch.setattr(gui, "_show_start_failure", first_qt_start)
    assert gui.main(["--start-failure-window"]) == 0
    assert seen == [expected]
