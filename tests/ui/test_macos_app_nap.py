"""App Nap kept away while the app waits for calls (issue 13), with a fake NSProcessInfo."""

from __future__ import annotations

import logging

import pytest

from app.ui import macos_app_nap
from app.ui.macos_app_nap import REASON, AppNapGuard


class FakeProcessInfo:
    """Records the activities begun and ended, as NSProcessInfo would hold them."""

    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.begun: list[tuple[int, str]] = []
        self.ended: list[object] = []
        self.tokens: list[object] = []

    def beginActivityWithOptions_reason_(self, options: int, reason: str) -> object:
        if self.refuse:
            raise RuntimeError("NSInvalidArgumentException")
        self.begun.append((options, reason))
        token = object()
        self.tokens.append(token)
        return token

    def endActivity_(self, activity: object) -> None:
        self.ended.append(activity)


def test_the_activity_is_user_initiated_and_lets_the_mac_sleep_when_idle() -> None:
    # NSActivityUserInitiatedAllowingIdleSystemSleep, as Foundation defines it: every
    # "do not nap" bit, without NSActivityIdleSystemSleepDisabled (1 << 20).
    assert macos_app_nap.USER_INITIATED_ALLOWING_IDLE_SYSTEM_SLEEP == 0x00EFFFFF
    info = FakeProcessInfo()
    guard = AppNapGuard(info, platform="darwin")
    assert guard.hold()
    assert info.begun == [(0x00EFFFFF, REASON)]
    assert "waiting for calls" in REASON


def test_held_once_from_start_to_quit_and_ended_with_its_own_token() -> None:
    info = FakeProcessInfo()
    guard = AppNapGuard(info, platform="darwin")
    assert guard.hold()
    assert guard.hold()  # a second start of the listening: still the one activity
    assert len(info.begun) == 1
    assert guard.held
    guard.release()
    assert info.ended == info.tokens
    assert not guard.held
    guard.release()  # quitting twice ends nothing twice
    assert len(info.ended) == 1


@pytest.mark.parametrize("platform", ["linux", "win32"])
def test_nothing_is_asked_elsewhere(platform: str, monkeypatch: pytest.MonkeyPatch) -> None:
    info = FakeProcessInfo()
    asked: list[str] = []
    monkeypatch.setattr(macos_app_nap, "_process_info", lambda: asked.append("info") or info)
    guard = AppNapGuard(platform=platform)
    assert not guard.hold()
    guard.release()
    assert not guard.held
    assert asked == []
    assert info.begun == []


def test_a_refusal_or_no_pyobjc_is_logged_and_the_app_runs_on(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    refusing = AppNapGuard(FakeProcessInfo(refuse=True), platform="darwin")
    with caplog.at_level(logging.ERROR):
        assert not refusing.hold()
    assert "pops may be slow while hidden" in caplog.text
    refusing.release()  # nothing to end

    def no_pyobjc() -> FakeProcessInfo:
        raise ModuleNotFoundError("No module named 'Foundation'")

    monkeypatch.setattr(macos_app_nap, "_process_info", no_pyobjc)
    assert not AppNapGuard(platform="darwin").hold()
