""""Only notify in the tray" only where a tray notice can be seen (macOS: the .app bundle).

The platform and the bundle are faked (``sys`` as the tray module sees it); the pops, the
window, the settings dialog and the sandbox's answers are real.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_UNKNOWN_NUMBER
from app.services.secrets import MemorySecretStore
from app.services.settings import Settings
from app.ui import macos_notifications
from app.ui import tray as tray_module
from app.ui.settings_dialog import SettingsDialog
from app.ui.tray import NOT_BUNDLED, NOT_YET_KNOWN, NOTIFICATIONS_OFF, Tray, notices_can_show
from tests.ui.conftest import RunAsync, Stack, StackFactory, quiesce
from tests.ui.test_session import SessionFactory, make_session  # noqa: F401 (the fixture)

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
    assert offered(tmp_path, qtbot, "raise") == (["raise", "raise_on_top"], "raise")
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


class FakeCenter:
    """``UNUserNotificationCenter`` as the app uses it: answers come on another thread."""

    def __init__(self, status: int | None, answer: int = macos_notifications.AUTHORIZED) -> None:
        self.status = status  # None: macOS never answers
        self.answer = answer  # what the agent picks when asked
        self.asked: list[int] = []

    def getNotificationSettingsWithCompletionHandler_(
            self, handler: Callable[[Any], None]) -> None:
        if self.status is not None:
            settings = SimpleNamespace(authorizationStatus=lambda: self.status)
            threading.Thread(target=handler, args=(settings,)).start()

    def requestAuthorizationWithOptions_completionHandler_(
            self, options: int, handler: Callable[[bool, object], None]) -> None:
        self.asked.append(options)
        self.status = self.answer
        threading.Thread(target=handler, args=(self.answer == macos_notifications.AUTHORIZED,
                                               None)).start()


def with_center(monkeypatch: pytest.MonkeyPatch, center: FakeCenter) -> FakeCenter:
    monkeypatch.setattr(tray_module, "center_for_this_app", lambda: center)
    return center


@pytest.mark.parametrize("status", [macos_notifications.AUTHORIZED,
                                    macos_notifications.PROVISIONAL])
def test_in_the_app_bundle_tray_only_notifies_and_leaves_the_window(
        make_stack: StackFactory, run_async: RunAsync, monkeypatch: pytest.MonkeyPatch,
        qtbot: QtBot, status: int) -> None:
    as_mac(monkeypatch, BUNDLED, frozen=True)
    with_center(monkeypatch, FakeCenter(status))
    stack, notices = tray_only_stack(make_stack, monkeypatch)
    permission = stack.session.tray.permission
    assert permission is not None
    qtbot.waitUntil(lambda: permission.allowed is True)

    async def call() -> None:
        assert stack.pop(KNOWN)
        await stack.shown(KNOWN)
        await quiesce()

    run_async(call())
    assert not stack.window.isVisible()
    assert notices[:1] == ["Incoming call"]
    assert stack.window.statusBar().currentMessage() != NOT_BUNDLED


def test_notifications_turned_off_bring_the_window_and_say_where_to_allow_them(
        make_stack: StackFactory, run_async: RunAsync, monkeypatch: pytest.MonkeyPatch,
        qtbot: QtBot) -> None:
    # Never asked before: macOS asks the agent once (here the agent says no).
    as_mac(monkeypatch, BUNDLED, frozen=True)
    center = with_center(monkeypatch, FakeCenter(macos_notifications.NOT_DETERMINED,
                                                 answer=macos_notifications.DENIED))
    stack, notices = tray_only_stack(make_stack, monkeypatch)
    said: list[str] = []
    stack.window.statusBar().messageChanged.connect(said.append)
    permission = stack.session.tray.permission
    assert permission is not None
    qtbot.waitUntil(lambda: permission.allowed is False)
    qtbot.waitUntil(lambda: NOTIFICATIONS_OFF in said)

    async def call() -> None:
        assert stack.pop(KNOWN)
        await stack.shown(KNOWN)
        await quiesce()

    run_async(call())
    assert stack.window.isVisible()
    assert notices == []
    assert center.asked == [macos_notifications._ALERT | macos_notifications._SOUND]
    assert said.count(NOTIFICATIONS_OFF) == 1


def test_while_macos_has_not_answered_the_start_says_nothing(
        make_session: SessionFactory, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
        caplog: pytest.LogCaptureFixture) -> None:
    # macOS answers at once: "not known yet" at the start would be untrue a moment later.
    as_mac(monkeypatch, BUNDLED, frozen=True)
    with_center(monkeypatch, FakeCenter(None))
    monkeypatch.setattr(Tray, "available", lambda _self: True)
    def refusals() -> list[str]:
        return [r.getMessage() for r in caplog.records
                if r.getMessage().startswith("tray_only_unavailable")]

    with caplog.at_level(logging.INFO, logger="app.ui.presenter"):
        session = make_session(stored={"pop_behaviour": "tray_only"})
        assert refusals() == []
        assert session.presenter.pop_behaviour() == "raise"  # a call now: the window comes up
    assert len(refusals()) == 1  # said by the call


def test_until_macos_answers_a_call_brings_the_window(
        make_stack: StackFactory, run_async: RunAsync, monkeypatch: pytest.MonkeyPatch) -> None:
    as_mac(monkeypatch, BUNDLED, frozen=True)
    with_center(monkeypatch, FakeCenter(None))  # no answer (yet)
    stack, notices = tray_only_stack(make_stack, monkeypatch)

    async def call() -> None:
        assert stack.pop(KNOWN)
        await stack.shown(KNOWN)
        await quiesce()

    run_async(call())
    assert stack.window.isVisible()
    assert notices == []
    assert stack.window.statusBar().currentMessage() == NOT_YET_KNOWN  # said on the call


def test_a_saved_tray_only_not_offered_here_is_kept_by_a_save(
        tmp_path: Path, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    as_mac(monkeypatch, UNBUNDLED, frozen=False)
    settings = Settings(tmp_path)
    settings.pop_behaviour = "tray_only"
    dialog = SettingsDialog(settings, MemorySecretStore(), lambda *_: None)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    combo = dialog.pop_behaviour
    index = combo.findData("tray_only")
    assert combo.currentIndex() == index  # shown as what is saved, not as "raise"
    item = combo.model().item(index)  # type: ignore[attr-defined]
    assert not item.isEnabled()  # not offered: it cannot be picked here
    assert "not on this Mac" in combo.itemText(index)
    assert NOT_BUNDLED in combo.itemData(index, Qt.ItemDataRole.ToolTipRole)
    assert dialog._values()["pop_behaviour"] == "tray_only"  # what Save writes
