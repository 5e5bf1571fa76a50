"""RegisterApplicationRestart through a fake kernel32: what the app asks Windows for.

The real app's call (through the same seam) is proved in tests/e2e/test_session_end.py.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from app.services.windows_restart import register_restart


class FakeKernel32:
    def __init__(self, answer: int = 0, error: OSError | None = None) -> None:
        self.calls: list[tuple[str | None, int]] = []
        self.answer, self.error = answer, error

    def RegisterApplicationRestart(self, command_line: str | None, flags: int) -> int:
        self.calls.append((command_line, flags))
        if self.error is not None:
            raise self.error
        return self.answer


def test_restart_only_after_an_update_or_a_reboot_never_after_a_crash_or_a_hang() -> None:
    kernel32 = FakeKernel32()
    assert register_restart(None, kernel32) is True
    # RESTART_NO_CRASH | RESTART_NO_HANG; no arguments: the agent's own profile.
    assert kernel32.calls == [(None, 1 | 2)]


def test_the_restart_keeps_the_profile_quoted_for_windows(tmp_path: Path) -> None:
    kernel32 = FakeKernel32()
    profile = tmp_path / "Agent Profiles" / "desk 4"
    assert register_restart(profile, kernel32) is True
    assert kernel32.calls == [(f'--profile "{profile}"', 3)]


def test_a_refusal_is_logged_and_the_app_runs_on(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    assert register_restart(None, FakeKernel32(answer=-2147024809)) is False  # E_INVALIDARG
    assert "Windows answered 0x80070057" in caplog.text
    assert register_restart(None, FakeKernel32(error=OSError("no such function"))) is False
    assert "no such function" in caplog.text


def test_a_profile_path_over_windows_limit_is_not_cut(caplog: pytest.LogCaptureFixture) -> None:
    kernel32 = FakeKernel32()
    assert register_restart(Path("C:/" + "p" * 1100), kernel32) is False
    assert kernel32.calls == []
    assert "too long" in caplog.text


@pytest.mark.skipif(sys.platform == "win32", reason="the real kernel32 answers on Windows")
def test_elsewhere_it_does_nothing() -> None:
    assert register_restart(None) is False
