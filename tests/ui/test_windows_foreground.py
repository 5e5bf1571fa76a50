"""Windows: a pop without the keys lifts the window above the others natively, inactive; with
``pop_takes_focus`` it activates (the client granted the foreground). Issue 13.

The window calls are driven with a fake ``user32``; the plan is applied to a real window.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.ui import windows_topmost
from app.ui.window_focus import apply_plan, plan_bring_forward
from app.ui.windows_topmost import (
    HWND_NOTOPMOST,
    HWND_TOPMOST,
    QUIET_FLAGS,
    SW_SHOWNOACTIVATE,
    SWP_NOACTIVATE,
    top_without_activating,
)


class FakeUser32:
    def __init__(self, answer: int = 1) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.answer = answer

    def ShowWindow(self, hwnd: Any, command: int) -> int:
        self.calls.append(("ShowWindow", hwnd.value, command))
        return 1

    def SetWindowPos(self, hwnd: Any, after: Any, *rest: Any) -> int:
        *_position, flags = rest
        self.calls.append(("SetWindowPos", hwnd.value, after.value, flags.value))
        return self.answer


def as_pointer(value: int) -> int:
    return value & (2 ** (8 * 8) - 1) if sys.maxsize > 2 ** 32 else value & 0xFFFFFFFF


@pytest.fixture
def user32(monkeypatch: pytest.MonkeyPatch) -> FakeUser32:
    fake = FakeUser32()
    monkeypatch.setattr(windows_topmost, "_user32", lambda: fake)
    return fake


def test_lifted_above_the_others_and_back_among_them_without_activation(
        user32: FakeUser32) -> None:
    assert top_without_activating(0x1234, restore=False, stay_on_top=False)
    assert user32.calls == [("SetWindowPos", 0x1234, as_pointer(HWND_TOPMOST), QUIET_FLAGS),
                            ("SetWindowPos", 0x1234, as_pointer(HWND_NOTOPMOST), QUIET_FLAGS)]
    assert QUIET_FLAGS & SWP_NOACTIVATE


def test_raise_and_stay_on_top_stays_topmost(user32: FakeUser32) -> None:
    assert top_without_activating(0x1234, restore=False, stay_on_top=True)
    assert [call[2] for call in user32.calls] == [as_pointer(HWND_TOPMOST)]


def test_a_minimized_window_is_restored_inactive_first(user32: FakeUser32) -> None:
    assert top_without_activating(0x1234, restore=True, stay_on_top=False)
    assert user32.calls[0] == ("ShowWindow", 0x1234, SW_SHOWNOACTIVATE)


def test_refused_or_off_windows_it_says_so(user32: FakeUser32,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    user32.answer = 0
    assert not top_without_activating(1, restore=False, stay_on_top=False)
    assert len(user32.calls) == 1  # not made "not topmost" after a refused lift
    monkeypatch.undo()
    monkeypatch.setattr(sys, "platform", "linux")  # so it runs on a Windows runner too
    assert not top_without_activating(1, restore=False, stay_on_top=False)


class Lifts:
    def __init__(self, answer: bool = True) -> None:
        self.calls: list[tuple[int, bool, bool]] = []
        self.answer = answer

    def __call__(self, hwnd: int, restore: bool, stay_on_top: bool) -> bool:
        self.calls.append((hwnd, restore, stay_on_top))
        return self.answer


def window_with_activations(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> tuple[
        QWidget, list[str]]:
    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    activations: list[str] = []
    monkeypatch.setattr(window, "activateWindow", lambda: activations.append("activate"))
    return window, activations


@pytest.mark.parametrize("behaviour", ["raise", "raise_on_top"])
def test_a_pop_without_the_keys_is_lifted_natively_never_activated(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, behaviour: str) -> None:
    window, activations = window_with_activations(qtbot, monkeypatch)
    lifts = Lifts()
    apply_plan(window, plan_bring_forward("windows", False, behaviour, False, False),
               lift=lifts)
    assert lifts.calls == [(int(window.winId()), False, behaviour == "raise_on_top")]
    assert activations == []


def test_a_minimized_window_is_restored_by_the_lift_not_by_qt(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    window, _ = window_with_activations(qtbot, monkeypatch)
    window.setWindowState(Qt.WindowState.WindowMinimized)
    states: list[object] = []
    monkeypatch.setattr(window, "setWindowState", states.append)
    lifts = Lifts()
    apply_plan(window, plan_bring_forward("windows", False, "raise", False, True), lift=lifts)
    assert lifts.calls == [(int(window.winId()), True, False)]
    assert states == []  # Qt's restore asks Windows to activate the window
    lifts.answer = False  # Windows refused: Qt restores it after all
    apply_plan(window, plan_bring_forward("windows", False, "raise", False, True), lift=lifts)
    assert len(states) == 1


@pytest.mark.parametrize("minimized", [False, True])
def test_with_pop_takes_focus_the_window_is_lifted_natively_then_activated(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, minimized: bool) -> None:
    """Activation works only when the client's grant did; the lift shows the pop either way."""
    window, activations = window_with_activations(qtbot, monkeypatch)
    lifts = Lifts()
    order: list[str] = activations  # one list: the lift must come before the activation
    apply_plan(window, plan_bring_forward("windows", True, "raise", False, minimized),
               lift=lambda *args: order.append("lift") or lifts(*args))
    assert order == ["lift", "activate"]
    assert lifts.calls == [(int(window.winId()), minimized, False)]


@pytest.mark.parametrize("platform", ["macos", "x11", "wayland", "other"])
def test_other_platforms_are_never_lifted_natively(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, platform: Any) -> None:
    window, _ = window_with_activations(qtbot, monkeypatch)
    lifts = Lifts()
    apply_plan(window, plan_bring_forward(platform, False, "raise", False, False), lift=lifts,
               activate_app=lambda: None)
    assert lifts.calls == []
