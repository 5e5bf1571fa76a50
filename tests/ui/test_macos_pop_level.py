"""macOS 14+: a pop floats over the agent's apps until the agent comes to it, puts it away or
the call ends (issue 13). A fake NSWindow records what AppKit is asked; the window around it,
its events and the pop's path through ``MainWindow`` are real (offscreen Qt)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.core.pop_request import CallEvent, PopRequest
from app.sandbox.seed import DEMO_KNOWN_NUMBER
from app.services.settings import Settings
from app.ui import macos_activation
from app.ui import main_window as main_window_module
from app.ui.macos_activation import (
    CAN_JOIN_ALL_SPACES,
    FLOATING_LEVEL,
    FULL_SCREEN_AUXILIARY,
    FULL_SCREEN_PRIMARY,
    MOVE_TO_ACTIVE_SPACE,
    NativeWindow,
    PopLevel,
    activate_this_app,
    cooperative_activation,
)
from app.ui.main_window import MainWindow
from tests.fixtures.qt_async import wait_until
from tests.ui.conftest import RunAsync, StackFactory

NORMAL_LEVEL = 0
QT_BEHAVIOR = FULL_SCREEN_PRIMARY  # what Qt gives a resizable window


class FakeNSWindow:
    def __init__(self, level: int = NORMAL_LEVEL, behavior: int = QT_BEHAVIOR) -> None:
        self._level = level
        self._behavior = behavior
        self.ordered_front = 0

    def level(self) -> int:
        return self._level

    def setLevel_(self, level: int) -> None:
        self._level = level

    def collectionBehavior(self) -> int:
        return self._behavior

    def setCollectionBehavior_(self, behavior: int) -> None:
        # AppKit raises on these pairs; so does the fake, so the test sees it.
        if behavior & FULL_SCREEN_PRIMARY and behavior & FULL_SCREEN_AUXILIARY:
            raise ValueError("NSWindowCollectionBehaviorFullScreenPrimary and Auxiliary")
        if behavior & CAN_JOIN_ALL_SPACES and behavior & MOVE_TO_ACTIVE_SPACE:
            raise ValueError("CanJoinAllSpaces and MoveToActiveSpace")
        self._behavior = behavior

    def orderFrontRegardless(self) -> None:
        self.ordered_front += 1


class FakeCocoa:
    """The widget's NSWindow, made again when asked (Qt re-creating the native window)."""

    def __init__(self) -> None:
        self.ns_window = FakeNSWindow()
        self.asked = 0

    def __call__(self, _widget: QWidget) -> NativeWindow:
        self.asked += 1
        return self.ns_window


def floats(ns_window: FakeNSWindow) -> bool:
    behavior = ns_window.collectionBehavior()
    return (ns_window.level() == FLOATING_LEVEL and bool(behavior & CAN_JOIN_ALL_SPACES)
            and bool(behavior & FULL_SCREEN_AUXILIARY))


@pytest.fixture
def shown(qtbot: QtBot) -> QWidget:
    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_only_macos_14_and_later_is_cooperative() -> None:
    assert [cooperative_activation(v) for v in ("13.6.7", "14.0", "14.4.1", "15.1", "26.0")] \
        == [False, True, True, True, True]
    assert not cooperative_activation("")  # platform.mac_ver() elsewhere than macOS
    if sys.platform != "darwin":
        assert not cooperative_activation()


def test_a_pop_floats_on_every_space_and_goes_back_exactly_as_it_was(shown: QWidget) -> None:
    cocoa = FakeCocoa()
    level = PopLevel(shown, cocoa, enabled=True)
    assert level.float_for_pop()
    assert floats(cocoa.ns_window)
    assert not cocoa.ns_window.collectionBehavior() & FULL_SCREEN_PRIMARY
    assert cocoa.ns_window.ordered_front == 1  # front without activating the app
    assert level.float_for_pop()  # the next pop of the same call: still one saved state
    level.back_to_normal()
    assert cocoa.ns_window.level() == NORMAL_LEVEL
    assert cocoa.ns_window.collectionBehavior() == QT_BEHAVIOR
    assert not level.floating
    level.back_to_normal()  # twice: nothing more
    assert cocoa.ns_window.collectionBehavior() == QT_BEHAVIOR


def test_a_window_kept_on_top_by_the_agent_keeps_its_higher_level(shown: QWidget) -> None:
    cocoa = FakeCocoa()
    cocoa.ns_window = FakeNSWindow(level=8)  # NSModalPanelWindowLevel: "raise and keep on top"
    level = PopLevel(shown, cocoa, enabled=True)
    assert level.float_for_pop()
    assert cocoa.ns_window.level() == 8
    level.back_to_normal()
    assert cocoa.ns_window.level() == 8


@pytest.mark.parametrize("put_away", ["agent_comes", "hide", "minimize"])
def test_the_agent_coming_to_it_or_putting_it_away_ends_the_float(
        shown: QWidget, qtbot: QtBot, put_away: str) -> None:
    cocoa = FakeCocoa()
    level = PopLevel(shown, cocoa, enabled=True)
    assert level.float_for_pop()
    if put_away == "agent_comes":
        # The activation the window system sends when the agent clicks the window.
        QApplication.sendEvent(shown, QEvent(QEvent.Type.WindowActivate))
    elif put_away == "hide":
        shown.hide()
    else:
        shown.showMinimized()
        qtbot.waitUntil(shown.isMinimized)
    assert not level.floating
    assert cocoa.ns_window.level() == NORMAL_LEVEL
    assert cocoa.ns_window.collectionBehavior() == QT_BEHAVIOR


def test_a_native_window_made_again_meanwhile_is_left_as_qt_made_it(shown: QWidget) -> None:
    cocoa = FakeCocoa()
    level = PopLevel(shown, cocoa, enabled=True)
    assert level.float_for_pop()
    floated = cocoa.ns_window
    cocoa.ns_window = FakeNSWindow(level=8)  # a flag change: Qt's new NSWindow, its level
    level.back_to_normal()
    assert cocoa.ns_window.level() == 8
    assert floats(floated)  # gone with its window; never touched again


def test_before_macos_14_elsewhere_hidden_or_full_screen_nothing_floats(
        shown: QWidget, monkeypatch: pytest.MonkeyPatch) -> None:
    cocoa = FakeCocoa()
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(macos_activation.platform, "mac_ver", lambda: ("13.6", ("", "", ""), ""))
    assert not PopLevel(shown, cocoa).float_for_pop()
    monkeypatch.setattr(macos_activation.platform, "mac_ver", lambda: ("14.5", ("", "", ""), ""))
    monkeypatch.setattr(QGuiApplication, "platformName", staticmethod(lambda: "cocoa"))
    assert PopLevel(shown, cocoa).enabled
    monkeypatch.setattr(sys, "platform", "linux")
    assert not PopLevel(shown, cocoa).float_for_pop()
    enabled = PopLevel(shown, cocoa, enabled=True)
    monkeypatch.setattr(shown, "isFullScreen", lambda: True)
    assert not enabled.float_for_pop()
    monkeypatch.undo()
    shown.hide()
    assert not enabled.float_for_pop()  # a tray-only pop leaves the window hidden
    assert cocoa.asked == 0


@pytest.mark.parametrize("plugin", ["offscreen", "minimal"])
def test_a_mac_without_the_cocoa_plugin_floats_nothing(
        shown: QWidget, monkeypatch: pytest.MonkeyPatch, plugin: str) -> None:
    # A macOS 14 CI runner with QT_QPA_PLATFORM=offscreen: winId() is no NSView there, and
    # PyObjC given it would crash the whole test run.
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(macos_activation.platform, "mac_ver", lambda: ("14.5", ("", "", ""), ""))
    monkeypatch.setattr(QGuiApplication, "platformName", staticmethod(lambda: plugin))
    assert PopLevel(shown, FakeCocoa()).enabled is False
    looked_up: list[str] = []
    monkeypatch.setattr(macos_activation.ctypes.util, "find_library",
                        lambda name: looked_up.append(name))
    assert activate_this_app() is False
    assert looked_up == []  # AppKit is not even loaded


def test_appkit_refusing_leaves_the_pop_shown_and_logged(
        shown: QWidget, caplog: pytest.LogCaptureFixture) -> None:
    def refusing(_widget: QWidget) -> NativeWindow:
        raise RuntimeError("objc.error")

    assert not PopLevel(shown, refusing, enabled=True).float_for_pop()
    assert "could not float the pop" in caplog.text
    assert shown.isVisible()


def test_a_pop_through_the_window_floats_and_the_agents_own_request_does_not(
        qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    window = MainWindow(Settings(tmp_path))
    qtbot.addWidget(window)
    window.platform = "macos"
    monkeypatch.setattr(QApplication, "alert", staticmethod(lambda *_args: None))
    cocoa = FakeCocoa()
    window.pop_level = PopLevel(window, cocoa, enabled=True)
    window.show_and_raise()  # the agent's request: activation, no float
    assert not window.pop_level.floating
    window.pop_forward("raise", takes_focus=False)
    assert floats(cocoa.ns_window)
    window.pop_level.back_to_normal()  # the call ended (session: callEnded)
    assert cocoa.ns_window.level() == NORMAL_LEVEL
    window.pop_forward("tray_only", takes_focus=False)  # the tray says it: the window stays
    assert not window.pop_level.floating


def test_in_the_app_a_call_pops_floating_and_its_end_puts_the_window_back(
        make_stack: StackFactory, run_async: RunAsync,
        monkeypatch: pytest.MonkeyPatch) -> None:
    cocoa = FakeCocoa()
    monkeypatch.setattr(main_window_module, "PopLevel",
                        lambda window: PopLevel(window, cocoa, enabled=True))
    monkeypatch.setattr(QApplication, "alert", staticmethod(lambda *_args: None))
    stack = make_stack()
    stack.window.platform = "macos"
    server = stack.session.server
    known = "+" + DEMO_KNOWN_NUMBER

    async def scenario() -> None:
        server.popRequested.emit(PopRequest(known, "c1", source="softphone"))
        await wait_until(lambda: stack.window.status == "found")
        assert floats(cocoa.ns_window)
        server.callEventReceived.emit(CallEvent("answered", "c1"))
        assert floats(cocoa.ns_window)  # the agent talks: the caller's details stay in view
        server.callEventReceived.emit(CallEvent("ended", "c1"))
        await wait_until(lambda: not stack.window.pop_level.floating)

    run_async(scenario())
    assert cocoa.ns_window.level() == NORMAL_LEVEL
    assert cocoa.ns_window.collectionBehavior() == QT_BEHAVIOR
