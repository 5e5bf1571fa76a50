"""The desktop session ends (Windows log-off/shut-down) or an update's Restart Manager closes the
app: Qt emits ``aboutToQuit`` and quits on its own (qtbase qwindowscontext.cpp, WM_ENDSESSION).
The app must leave through the same orderly path as the tray's Quit (drafts kept, outbox and
store closed, ``app_stopped`` logged, exit 0), never "stopped unexpectedly".

Windows' messages cannot be sent here, so the real app runs in a child whose one addition is a
SIGUSR2 handler doing exactly what Qt does on WM_ENDSESSION.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.real_app import RealApp
from tests.tools.other_process import poll_until, stop_app

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.xvfb,
              pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals drive the child")]

# Qt on Windows, WM_ENDSESSION: emit aboutToQuit, then QGuiApplication::quit(). QUIT is that
# quit (Qt asks the windows to close first), or exit(0): the loop ends without asking them, as
# it does when no window is there to ask (its close event is what the tray's Quit path hears).
CHILD = """
import signal, sys
from PySide6.QtWidgets import QApplication
from app.cli import main
QUIT = sys.argv.pop(1)

def end_session(*_):
    app = QApplication.instance()
    app.aboutToQuit.emit()
    app.quit() if QUIT == "quit" else app.exit(0)

signal.signal(signal.SIGUSR2, end_session)
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("quit_call", ["quit", "exit"])
def test_qt_quitting_for_the_desktop_session_runs_the_orderly_shutdown(
        quit_call: str, x_display: str, tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    profile.mkdir()
    env = {**os.environ, "DISPLAY": x_display, "QT_QPA_PLATFORM": "xcb"}
    log = tmp_path / "app.stderr"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-c", CHILD, quit_call, "--demo", "--profile", str(profile),
             "--log-format", "json"],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    app = RealApp(process, profile, env, log)
    try:
        poll_until(lambda: process.poll() is not None or app.state(), 30, "the app to answer")
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        process.send_signal(signal.SIGUSR2)
        assert process.wait(20) == 0, log.read_text(errors="replace")[-3000:]
    finally:
        stop_app(process)
    output = log.read_text(encoding="utf-8", errors="replace")
    assert "stopped unexpectedly" not in output
    events = [json.loads(line).get("event") for line in output.splitlines()
              if line.startswith("{")]
    assert "app_stopped" in events  # logged after AppSession.aclose() finished
    assert app.cli("state").returncode == 3  # the lock and socket were released


# kernel32 replaced by a recorder: the real app, started as Windows would start it, registers
# for restart with its profile (and only that: not the number it may have been started with).
RESTART_CHILD = """
import sys
import app.services.windows_restart as restart

class RecordingKernel32:
    def RegisterApplicationRestart(self, command_line, flags):
        print(f"RegisterApplicationRestart {command_line!r} {flags}", file=sys.stderr, flush=True)
        return 0

restart._kernel32 = RecordingKernel32
from app.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_the_app_registers_for_restart_with_its_profile(x_display: str, tmp_path: Path) -> None:
    profile = tmp_path / "my profile"
    profile.mkdir()
    env = {**os.environ, "DISPLAY": x_display, "QT_QPA_PLATFORM": "xcb"}
    log = tmp_path / "app.stderr"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-c", RESTART_CHILD, "--profile", str(profile)],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        line = poll_until(
            lambda: process.poll() is not None or next(
                (x for x in log.read_text(errors="replace").splitlines()
                 if x.startswith("RegisterApplicationRestart ")), None),
            30, "the app to register for restart")
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
    finally:
        stop_app(process)
    assert line == f"RegisterApplicationRestart '--profile \"{profile}\"' 3"
