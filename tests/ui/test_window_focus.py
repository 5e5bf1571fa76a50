"""The decision of how a pop brings the window forward, per platform (issue 11): a pop never
activates the window (takes the keys) unless ``pop_takes_focus``; the agent's own request
(the ``show`` command, the tray, a second start) always does. Then the window itself, with
each platform's rules, records what it was asked to do."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_LEAD_NUMBER
from app.services.settings import Settings
from app.ui.macos_activation import activate_this_app
from app.ui.main_window import MainWindow
from app.ui.window_focus import (
    MACOS_RAISE_VARIABLE,
    BringForward,
    Platform,
    apply_plan,
    plan_bring_forward,
    quiet_macos_raise,
    window_platform,
)
from tests.ui.conftest import RunAsync, StackFactory

KNOWN = "+" + DEMO_KNOWN_NUMBER
LEAD = "+" + DEMO_LEAD_NUMBER

PLATFORMS: tuple[Platform, ...] = ("windows", "macos", "x11", "wayland", "other")


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("behaviour", ["raise", "raise_on_top"])
@pytest.mark.parametrize(("hidden", "minimized"), [(False, False), (True, False),
                                                   (False, True)])
def test_a_pop_never_activates_the_window_unless_the_setting_says_so(
        platform: Platform, behaviour: str, hidden: bool, minimized: bool) -> None:
    plan = plan_bring_forward(platform, False, behaviour, hidden, minimized)
    assert not plan.activate
    taking = plan_bring_forward(platform, True, behaviour, hidden, minimized)
    assert taking.activate
    assert taking.show
    assert taking.raise_window
    assert not taking.without_activating
    assert taking.restore == minimized


@pytest.mark.parametrize("platform", ["x11", "wayland", "other"])
def test_x11_and_wayland_show_without_activating_then_raise(platform: Platform) -> None:
    assert plan_bring_forward(platform, False, "raise", True, False) == BringForward(
        show=True, without_activating=True, raise_window=True, on_top=False)
    behind = plan_bring_forward(platform, False, "raise_on_top", False, False)
    assert behind == BringForward(without_activating=True, raise_window=True, on_top=True)
    # Bringing a minimized window back is an activation there: it asks for attention.
    assert plan_bring_forward(platform, False, "raise", False, True) == BringForward(alert=True)


@pytest.mark.parametrize("platform", ["windows", "macos"])
def test_windows_and_macos_alert_beside_show_and_raise_without_activation(
        platform: Platform) -> None:
    assert plan_bring_forward(platform, False, "raise", False, True) == BringForward(
        show=True, restore=True, without_activating=True, raise_window=True, alert=True,
        on_top=False, native_top=platform == "windows")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_tray_only_leaves_the_window_alone_but_the_agent_can_still_ask_for_it(
        platform: Platform) -> None:
    for takes_focus in (False, True):  # "Pops take the keyboard focus" changes nothing here
        assert plan_bring_forward(platform, takes_focus, "tray_only", True, False) == \
            BringForward()
        assert plan_bring_forward(platform, takes_focus, "tray_only", False, True) == \
            BringForward()
    asked = plan_bring_forward(platform, False, "tray_only", True, False, agent_asked=True)
    assert asked.activate
    assert asked.show


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("behaviour", ["raise", "raise_on_top"])
def test_only_the_agents_request_or_the_setting_activates_the_app_on_macos(
        platform: Platform, behaviour: str) -> None:
    """With QT_MAC_SET_RAISE_PROCESS=0 a raise no longer brings the app forward on macOS:
    what activates the window activates the app too; a quiet pop never does."""
    for hidden, minimized in ((True, False), (False, False), (False, True)):
        quiet = plan_bring_forward(platform, False, behaviour, hidden, minimized)
        assert not quiet.activate_app
        for plan in (plan_bring_forward(platform, True, behaviour, hidden, minimized),
                     plan_bring_forward(platform, False, behaviour, hidden, minimized,
                                        agent_asked=True)):
            assert plan.activate
            assert plan.activate_app == (platform == "macos")


def test_the_plan_activates_the_app_before_the_window(
        qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    window = MainWindow(Settings(tmp_path))
    qtbot.addWidget(window)
    calls: list[str] = []
    monkeypatch.setattr(window, "activateWindow", lambda: calls.append("window"))
    apply_plan(window, plan_bring_forward("macos", False, "raise", True, False,
                                          agent_asked=True),
               activate_app=lambda: calls.append("app"))
    assert calls == ["app", "window"]
    calls.clear()
    apply_plan(window, plan_bring_forward("macos", False, "raise", False, False),
               activate_app=lambda: calls.append("app"))
    assert calls == []


def test_macos_raise_is_kept_from_activating_the_app_before_qt_starts() -> None:
    environ: dict[str, str] = {}
    quiet_macos_raise("darwin", environ)
    assert environ == {MACOS_RAISE_VARIABLE: "0"}
    chosen = {MACOS_RAISE_VARIABLE: "1"}  # someone set it on purpose: theirs
    quiet_macos_raise("darwin", chosen)
    assert chosen == {MACOS_RAISE_VARIABLE: "1"}
    for other in ("linux", "win32"):
        elsewhere: dict[str, str] = {}
        quiet_macos_raise(other, elsewhere)
        assert elsewhere == {}


def test_activating_this_app_does_nothing_off_macos(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    assert activate_this_app() is False


def test_the_platform_comes_from_the_qt_plugin() -> None:
    assert [window_platform(name) for name in ("windows", "cocoa", "xcb", "wayland-egl",
                                                "offscreen")] == \
        ["windows", "macos", "x11", "wayland", "other"]


class Recorder:
    def __init__(self, window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        monkeypatch.setattr(window, "activateWindow", lambda: self.calls.append("activate"))
        monkeypatch.setattr(QApplication, "alert",
                            staticmethod(lambda *_args: self.calls.append("alert")))


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_window_follows_the_plan_on_each_platform(
        platform: Platform, qtbot: QtBot, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    window = MainWindow(Settings(tmp_path))
    qtbot.addWidget(window)
    window.platform = platform
    recorder = Recorder(window, monkeypatch)
    window.pop_forward("raise", takes_focus=False)  # hidden: a first pop
    assert window.isVisible()
    assert window.windowHandle().property("_q_showWithoutActivating") is True
    alerted = ["alert"] if platform in ("windows", "macos") else []
    assert recorder.calls == alerted
    window.show_and_raise()  # the agent's own request
    assert recorder.calls == [*alerted, "activate"]
    assert window.windowHandle().property("_q_showWithoutActivating") is False
    window.pop_forward("raise", takes_focus=True)
    assert recorder.calls == [*alerted, "activate", "activate"]


def test_a_pop_through_the_app_takes_the_keys_only_with_the_setting(
        make_stack: StackFactory, run_async: RunAsync, monkeypatch: pytest.MonkeyPatch) -> None:
    stack = make_stack()
    stack.window.platform = "x11"
    recorder = Recorder(stack.window, monkeypatch)

    async def scenario() -> None:
        assert stack.pop(KNOWN)
        await stack.shown(KNOWN)
        assert recorder.calls == []
        stack.settings.set_value("pop_takes_focus", True)
        assert stack.pop(LEAD)
        await stack.shown(LEAD)

    run_async(scenario())
    assert recorder.calls == ["activate"]


@pytest.mark.usefixtures("tray_notices_seen")
def test_a_tray_only_pop_leaves_the_window_alone_even_when_pops_take_the_focus(
        make_stack: StackFactory, run_async: RunAsync, monkeypatch: pytest.MonkeyPatch) -> None:
    stack = make_stack()
    stack.settings.set_value("pop_behaviour", "tray_only")
    stack.settings.set_value("pop_takes_focus", True)
    window = stack.window
    window.platform = "x11"
    window.showMinimized()
    recorder = Recorder(window, monkeypatch)

    async def scenario() -> None:
        assert stack.pop(KNOWN)
        await stack.shown(KNOWN)

    run_async(scenario())
    assert recorder.calls == [], "a tray_only pop activated the window"
    assert window.isMinimized(), "a tray_only pop restored the window"
