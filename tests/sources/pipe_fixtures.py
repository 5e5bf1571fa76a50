"""The Windows pipe branch on Linux, shared by the named-pipe tests (issue 13).

Windows cannot run here, but its transport can: Qt's ``QLocalSocket``/``QLocalServer`` take a
bare name (``screenpop-<hash>``, a pipe on Windows, a socket in Qt's temp folder elsewhere).
With ``sys.platform`` set to "win32" the app and the client take the Windows branch against a
bare name; someone who took the name first is a real process (tests/sources/pipe_squatter.py).
What Windows alone knows (does the pipe exist? may this process grant the foreground?) is
faked at ``app.sources.windows_api``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QDir

from app.sources import local_server, windows_api
from tests.sources.processes import LineProcess

NUMBER = "+918302390884"
NOT_ON_WINDOWS = pytest.mark.skipif(
    sys.platform == "win32", reason="a Linux/macOS stand-in for Windows' pipes (sockets in "
                                    "Qt's temp folder); Windows runs the real ones")


def squat(name: str, mode: str = "forge", arg: str | Path | None = None) -> LineProcess:
    """Someone (another process) who created the pipe ``name`` first, answering as ``mode``
    says; ``prove`` with the profile: our own live instance."""
    taker = LineProcess([sys.executable, "-m", "tests.sources.pipe_squatter",
                         os.path.join(QDir.tempPath(), name), mode,
                         *([str(arg)] if arg else [])])
    taker.expect("LISTENING")
    return taker


def heard(taker: LineProcess) -> list[str]:
    """What the squatter was told, once it has been stopped."""
    taker.stop()
    while True:
        try:
            taker.next_line(timeout=5)
        except AssertionError:
            break
    return [line.removeprefix("HEARD ") for line in taker.seen if line.startswith("HEARD ")]


def pretend_windows(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The Windows branch: pipe names, the hello; the pids granted the foreground (a test
    module's ``windows`` fixture)."""
    granted: list[int] = []
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(windows_api, "allow_foreground", granted.append)
    # Whether the pipe exists: the bare name's socket file, as Qt makes it here.
    monkeypatch.setattr(local_server, "pipe_exists",
                        lambda name: os.path.exists(os.path.join(QDir.tempPath(), name)))
    return granted


def new_profile(tmp_path: Path) -> Path:
    path = tmp_path / "profile"
    path.mkdir()
    return path
