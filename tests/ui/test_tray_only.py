""""Only notify in the tray" only where a tray notice can be seen (macOS: the .app bundle).

The platform and the bundle are faked (``sys`` as the tray module sees it); the pops, the
window, the settings dialog and the sandbox's answers are real.
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
from pytestqt.qtbot import QtBot

from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_UNKNOWN_NUMBER
from app.services.secrets import MemorySecretStore
from app.services.settings import Settings
from app.ui import tray as tray_module
from app.ui.settings_dialog import SettingsDialog
from app.ui.tray import NOT_BUNDLED, Tray, notices_can_show
from tests.ui.conftest import RunAsync, Stack, StackFactory, quiesce

KNOWN, UNKNOWN = "+" + DEMO_KNOWN_NUMBER, "+" + DEMO_UNKNOWN_NUMBER
BUNDLED = "/Applications/DeepCall Screen-Pop.app/Contents/MacOS/screenpop"
UNBUNDLED = "/Library/Frameworks/Python.framework/Versions/3.11/bin/python3"


def as_mac(monkeypatch: pytest.MonkeyPatch, executable: str, frozen: bool) -> None:
    monkeypatch.setattr(tray_module, "sys", SimpleNamespace(
        platform="darwin", executable=executable, frozen=frozen))


@pytest.mark.parametrize(("platform", "executable", "frozen", "shows"), [
    ("darwin", BUNDLED, True, True),  # the shipped app
    ("darwin", UNBUNDLED, False, False),  # `python -m app` / `uv run screenpop`
    ("darwin", "/Users/agent/dist/screenpop/screenpop", True, False),  # a bare onedir build
    ("darwin", BUNDLED, False, False),  # an interpreter that merely lives in a bundle
    ("linux", UNBUNDLED, False, True),
    ("win32", r"C:\Program Files\DeepCall Screen-Pop\screenpop.exe", True, True),
])
def test_where_a_tray_notice_can_show(platform: str, executable: str, frozen: bool,
                                      shows: bool) -> None:
    assert notices_can_show(platform, executable, frozen) is shows


def offered(tmp_path: Path, qtbot: QtBot, stored: str) -> tuple[list[str], str]:
    settings = Settings(tmp_path)
    settings.pop_behaviour = stored
    dialog = SettingsDialog(settings, MemorySecretStore(), lambda *_: None)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    combo = dialog.pop_behaviour
    return [combo.itemData(i) for i in range(combo.count())], combo.currentData()


def test_settings_offers_tray_only_only_where_it_can_be_seen(
        tmp_path: Path, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    as_mac(monkeypatch, UNBUNDLED, frozen=False)
    # What was saved elsewhere is shown as what happens here: the window comes up.
    assert offered(tmp_path, qtbot, "tray_only") == (["raise", "raise_on_top"], "raise")
    as_mac(monkeypatch, BUNDLED, frozen=True)
    assert offered(tmp_path, qtbot, "tray_only") == (["raise", "raise_on_top", "tray_only"],
                                                    "tray_only")


def tray_only_stack(make_stack: StackFactory,
                    monkeypatch: pytest.MonkeyPatch) -> tuple[Stack, list[str]]:
    monkeypatch.setattr(Tray, "available", lambda _self: True)  # offscreen Qt has no tray
    stack = make_stack()
    stack.settings.pop_behaviour = "tray_only"
    notices: list[str] = []
    monkeypatch.setattr(stack.session.tray.icon, "isVisible", lambda: True)
    monkeypatch.setattr(stack.session.tray.icon, "showMessage",
                        lambda title, *_: notices.append(title))
    stack.window.hide()
    return stack, notices


def test_unbundled_on_macos_tray_only_brings_the_window_and_says_so_once(
        make_stack: StackFactory, run_async: RunAsync, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    as_mac(monkeypatch, UNBUNDLED, frozen=False)
    stack, notices = tray_only_stack(make_stack, monkeypatch)
    said: list[str] = []
    stack.window.statusBar().messageChanged.connect(said.append)

    async def two_calls() -> None:
        assert stack.pop(KNOWN)
        await stack.shown(KNOWN)
        stack.window.hide()
        assert stack.pop(UNKNOWN)
        await stack.shown(UNKNOWN, "unknown")
        await quiesce()

    with caplog.at_level(logging.INFO, logger="app.ui.presenter"):
        run_async(two_calls())
    assert stack.window.isVisible(), "a notice nobody sees would have been the only sign"
    assert notices == []
    assert NOT_BUNDLED in said
    refusals = [r for r in caplog.records if r.getMessage().startswith("tray_only_unavailable")]
    assert len(refusals) == 1, "said on every call"


def test_in_the_app_bundle_tray_only_notifies_and_leaves_the_window(
        make_stack: StackFactory, run_async: RunAsync, monkeypatch: pytest.MonkeyPatch) -> None:
    as_mac(monkeypatch, BUNDLED, frozen=True)
    stack, notices = tray_only_stack(make_stack, monkeypatch)

    async def call() -> None:
        assert stack.pop(KNOWN)
        await stack.shown(KNOWN)
        await quiesce()

    run_async(call())
    assert not stack.window.isVisible()
    assert notices[:1] == ["Incoming call"]
    assert stack.window.statusBar().currentMessage() != NOT_BUNDLED
