"""End to end on a real window manager (openbox on a display of its own): the agent types in
their CRM, a call pops, the screen-pop window comes up on top of the CRM, and the keys stay
with the CRM: what is typed after the pop lands there, not in the form. With
``pop_takes_focus`` on, the form gets the focus instead (so this can tell the two apart)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_LEAD_NUMBER
from app.services.settings import Settings
from tests.e2e.real_app import REPO, TITLE, RealApp, real_app
from tests.e2e.window_manager import Desktop, crm_window, openbox_desktop
from tests.tools.other_process import poll_until

KNOWN = "+" + DEMO_KNOWN_NUMBER
LEAD = "+" + DEMO_LEAD_NUMBER
START_IN_TRAY = (str(REPO / "tests" / "e2e" / "start_in_tray.py"),)

pytestmark = pytest.mark.xvfb


def _typed_into(desktop: Desktop, typed: Path, text: str, expected: str) -> None:
    desktop.run("xdotool", "type", "--delay", "40", text)
    poll_until(lambda: typed.exists() and typed.read_text(encoding="utf-8") == expected, 20,
               f"the CRM to hold {expected!r} (it holds "
               f"{typed.read_text(encoding='utf-8') if typed.exists() else ''!r})")


def _nothing_typed_in_the_form(app: RealApp) -> None:
    state = app.state()
    assert state is not None
    assert state["unsaved"] == {}


def _above(desktop: Desktop, upper: int, lower: int) -> bool:
    order = desktop.stacking()
    return upper in order and lower in order and order.index(upper) > order.index(lower)


def _pop_over_the_crm(app: RealApp, desktop: Desktop, crm: int) -> int:
    """The pop, and the app's window coming up above the CRM."""
    window = desktop.window(TITLE, app.process.pid)
    assert _above(desktop, crm, window), "the CRM should start above the screen-pop window"
    assert app.cli("pop", KNOWN).returncode == 0
    app.shown(KNOWN)
    poll_until(lambda: _above(desktop, window, crm), 20,
               "the screen-pop window to be stacked above the CRM")
    assert window in desktop.windows(TITLE, app.process.pid)  # mapped, visible
    return window


def test_a_pop_comes_up_on_top_and_the_crm_keeps_the_keys(
        app_env: dict[str, str], tmp_path: Path) -> None:
    typed = tmp_path / "crm.txt"
    with openbox_desktop(tmp_path) as desktop, \
            real_app(tmp_path / "profile", {**app_env, "DISPLAY": desktop.display},
                     tmp_path / "app.log") as app, \
            crm_window(desktop, typed) as (_crm_process, crm):
        _typed_into(desktop, typed, "abc", "abc")
        _pop_over_the_crm(app, desktop, crm)
        assert desktop.focused() == crm
        _typed_into(desktop, typed, "def", "abcdef")  # after the pop: still the CRM's
        assert desktop.focused() == crm
        _nothing_typed_in_the_form(app)


def test_with_pop_takes_focus_the_form_gets_the_keys(
        app_env: dict[str, str], tmp_path: Path) -> None:
    Settings(tmp_path / "profile").set_value("pop_takes_focus", True)
    typed = tmp_path / "crm.txt"
    with openbox_desktop(tmp_path) as desktop, \
            real_app(tmp_path / "profile", {**app_env, "DISPLAY": desktop.display},
                     tmp_path / "app.log") as app, \
            crm_window(desktop, typed) as (_crm_process, crm):
        _typed_into(desktop, typed, "abc", "abc")
        window = _pop_over_the_crm(app, desktop, crm)
        poll_until(lambda: desktop.focused() == window, 20, "the screen-pop window to "
                   "take the focus")


def test_a_minimized_window_asks_for_attention_and_the_crm_keeps_the_keys(
        app_env: dict[str, str], tmp_path: Path) -> None:
    """A window manager takes a minimized window coming back as an activation: on X11 it
    stays minimized and its taskbar entry asks for attention."""
    typed = tmp_path / "crm.txt"
    with openbox_desktop(tmp_path) as desktop, \
            real_app(tmp_path / "profile", {**app_env, "DISPLAY": desktop.display},
                     tmp_path / "app.log") as app, \
            crm_window(desktop, typed) as (_crm_process, crm):
        window = desktop.window(TITLE, app.process.pid)
        desktop.run("xdotool", "windowminimize", "--sync", str(window))
        _typed_into(desktop, typed, "abc", "abc")
        assert app.cli("pop", KNOWN).returncode == 0
        app.shown(KNOWN)
        poll_until(lambda: "_NET_WM_STATE_DEMANDS_ATTENTION" in desktop.run(
            "xprop", "-id", str(window), "_NET_WM_STATE"), 20,
            "the minimized window to ask for attention")
        assert desktop.focused() == crm
        _typed_into(desktop, typed, "def", "abcdef")
        _nothing_typed_in_the_form(app)


def _app_window(desktop: Desktop, app: RealApp) -> int | None:
    """The window's X id now: the on-top flag re-creates the native window (a new id)."""
    return next(iter(desktop.windows(TITLE, app.process.pid)), None)


def test_a_raise_on_top_pop_keeps_the_crm_keys_also_for_a_second_pop(
        app_env: dict[str, str], tmp_path: Path) -> None:
    Settings(tmp_path / "profile").set_value("pop_behaviour", "raise_on_top")
    typed = tmp_path / "crm.txt"
    with openbox_desktop(tmp_path) as desktop, \
            real_app(tmp_path / "profile", {**app_env, "DISPLAY": desktop.display},
                     tmp_path / "app.log") as app, \
            crm_window(desktop, typed) as (_p, crm):
        _typed_into(desktop, typed, "abc", "abc")
        assert app.cli("pop", KNOWN).returncode == 0
        app.shown(KNOWN)
        poll_until(lambda: (w := _app_window(desktop, app)) and _above(desktop, w, crm), 20,
                   "on top of the CRM")
        assert desktop.focused() == crm
        _typed_into(desktop, typed, "def", "abcdef")
        # a second pop while shown and on top
        assert app.cli("pop", LEAD).returncode == 0
        app.shown(LEAD)
        assert desktop.focused() == crm
        _typed_into(desktop, typed, "ghi", "abcdefghi")


def test_the_agents_own_show_after_a_quiet_pop_takes_the_keys(
        app_env: dict[str, str], tmp_path: Path) -> None:
    """Show (a second start sends it, as the tray's Show does) after a pop that left the
    keys in the CRM: now the window takes them."""
    typed = tmp_path / "crm.txt"
    with openbox_desktop(tmp_path) as desktop, \
            real_app(tmp_path / "profile", {**app_env, "DISPLAY": desktop.display},
                     tmp_path / "app.log") as app, \
            crm_window(desktop, typed) as (_p, crm):
        _typed_into(desktop, typed, "abc", "abc")
        window = _pop_over_the_crm(app, desktop, crm)
        assert desktop.focused() == crm
        _typed_into(desktop, typed, "d", "abcd")
        second = subprocess.run([sys.executable, "-m", "app", "--profile",
                                 str(tmp_path / "profile")], cwd=REPO, env=app.env,
                                capture_output=True, text=True, timeout=30, check=False)
        assert second.returncode == 0, second.stderr
        poll_until(lambda: desktop.focused() == window, 20,
                   "the window to take the keys on the agent's own request")


def test_a_pop_to_a_window_hidden_in_the_tray_comes_up_and_the_crm_keeps_the_keys(
        app_env: dict[str, str], tmp_path: Path) -> None:
    typed = tmp_path / "crm.txt"
    with openbox_desktop(tmp_path) as desktop, \
            real_app(tmp_path / "profile", {**app_env, "DISPLAY": desktop.display},
                     tmp_path / "app.log", start=START_IN_TRAY) as app, \
            crm_window(desktop, typed) as (_p, crm):
        app.state_where(lambda state: state.get("window_visible") is False,
                        "the window to be hidden")
        _typed_into(desktop, typed, "abc", "abc")
        assert app.cli("pop", KNOWN).returncode == 0
        app.shown(KNOWN)
        window = desktop.window(TITLE, app.process.pid)  # mapped again
        poll_until(lambda: _above(desktop, window, crm), 20, "the window above the CRM")
        assert desktop.focused() == crm
        _typed_into(desktop, typed, "def", "abcdef")
        _nothing_typed_in_the_form(app)


@pytest.mark.parametrize(("behaviour", "takes_focus"),
                         [("raise", False), ("raise_on_top", True)])
def test_after_the_call_the_window_goes_back_behind_the_crm_and_leaves_it_the_keys(
        app_env: dict[str, str], tmp_path: Path, behaviour: str, takes_focus: bool) -> None:
    settings = Settings(tmp_path / "profile")
    settings.set_value("pop_behaviour", behaviour)
    settings.set_value("pop_takes_focus", takes_focus)
    settings.set_value("return_after_call_seconds", 1)
    typed = tmp_path / "crm.txt"
    with openbox_desktop(tmp_path) as desktop, \
            real_app(tmp_path / "profile", {**app_env, "DISPLAY": desktop.display},
                     tmp_path / "app.log") as app, \
            crm_window(desktop, typed) as (_p, crm):
        assert app.cli("event", "ringing", "--call-id", "c1", "--number", KNOWN).returncode == 0
        app.shown(KNOWN)
        poll_until(lambda: (w := _app_window(desktop, app)) and _above(desktop, w, crm), 20,
                   "the window above the CRM")
        if takes_focus:
            poll_until(lambda: desktop.focused() == _app_window(desktop, app), 20,
                       "the pop to take the keys")
            # The agent talks, then goes back to the CRM (a click there) and types.
            desktop.run("xdotool", "windowactivate", "--sync", str(crm))
            poll_until(lambda: desktop.focused() == crm, 20, "the CRM to have the keys")
        _typed_into(desktop, typed, "abc", "abc")
        assert app.cli("event", "ended", "--call-id", "c1").returncode == 0
        try:
            poll_until(lambda: (w := _app_window(desktop, app)) and _above(desktop, crm, w),
                       20, "the window to go back behind the CRM")
        except AssertionError as exc:
            raise AssertionError(f"{exc}: stacking {desktop.stacking()}, CRM {crm}, app "
                                 f"{desktop.windows(TITLE, app.process.pid)}") from None
        assert desktop.focused() == crm
        _typed_into(desktop, typed, "def", "abcdef")
        _nothing_typed_in_the_form(app)
