"""How ``screenpop pop`` starts the app on Windows (issue 13), with a fake ``Popen``.

The flags: DETACHED_PROCESS (no console: the softphone's hook may run in one, and closing it
must not end the app; nor may the app inherit it) and CREATE_NEW_PROCESS_GROUP (a Ctrl+C or
Ctrl+Break in the hook's console group never reaches the app). Not CREATE_NO_WINDOW: Windows
ignores it beside DETACHED_PROCESS, and the bundle's app is a windowed program anyway.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any, ClassVar

import pytest

from app.commands import pop

# winbase.h values (subprocess has them only on Windows).
DETACHED_PROCESS = 0x00000008
CREATE_NEW_PROCESS_GROUP = 0x00000200
CREATE_NO_WINDOW = 0x08000000


class FakePopen:
    started: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, command: list[str], **kwargs: Any) -> None:
        FakePopen.started.append({"command": command, **kwargs})


@pytest.fixture
def windows_start(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(subprocess, "DETACHED_PROCESS", DETACHED_PROCESS, raising=False)
    monkeypatch.setattr(subprocess, "CREATE_NEW_PROCESS_GROUP", CREATE_NEW_PROCESS_GROUP,
                        raising=False)
    monkeypatch.setattr(subprocess, "CREATE_NO_WINDOW", CREATE_NO_WINDOW, raising=False)
    FakePopen.started = []
    monkeypatch.setattr(subprocess, "Popen", FakePopen)
    return FakePopen.started


def test_the_app_starts_detached_in_its_own_process_group(
        windows_start: list[dict[str, Any]]) -> None:
    pop.start_instance("C:\\Users\\priya\\profile", subprocess.DEVNULL, "json")
    [started] = windows_start
    assert started["creationflags"] == DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP
    assert not started["creationflags"] & CREATE_NO_WINDOW
    assert "start_new_session" not in started  # POSIX only: Popen refuses it on Windows
    assert started["stdin"] == subprocess.DEVNULL
    assert started["close_fds"] is True
    assert started["command"][-4:] == ["--profile", "C:\\Users\\priya\\profile",
                                       "--log-format", "json"]

