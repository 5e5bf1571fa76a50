"""End to end: started from the desktop (no terminal to read stderr), ``screenpop`` that
cannot start says why in a window, not only on stderr; the window is a process of its own,
so the app itself exits 7 at once (a ``pop`` that started it reports the failure now)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.commands.gui import NO_WINDOW_VARIABLE
from app.services.store import DATABASE_FILE_NAME, LocalStore
from tests.fixtures.desktop import WRAPPER_HINT
from tests.fixtures.store_files import held_by_another_process
from tests.sources.processes import REPO

TITLE = "Screen-Pop cannot start"
NUMBER = "+918302390884"
MARK = "SCREENPOP_TEST_MARK"
LINUX_ONLY = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="finds the window's process through /proc")


@pytest.fixture
def display() -> str:
    display = os.environ.get("SCREENPOP_TEST_DISPLAY")
    if not display:
        pytest.skip(f"needs an X display (Xvfb): {WRAPPER_HINT}")
    if shutil.which("xwininfo") is None:
        pytest.skip("needs xwininfo (x11-utils) to see the window")
    return display


def _window_titles(display: str) -> str:
    return subprocess.run(["xwininfo", "-root", "-tree"], env={**os.environ, "DISPLAY": display},
                          capture_output=True, text=True, timeout=10, check=False).stdout


def _marked(mark: str) -> list[int]:
    """The live processes whose environment carries ``mark`` (the window is detached: it is
    no child of the test's)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:  # ended meanwhile, or not ours
            continue
        if f"{MARK}={mark}".encode() in environ.split(b"\0") and state != "Z":
            found.append(int(entry.name))
    return found


@pytest.fixture
def desktop_env(qtbot: QtBot) -> Iterator[dict[str, str]]:
    """The environment of an app started from the desktop; whatever it started (the window
    waits for a click nobody makes here) is ended afterwards."""
    mark = uuid.uuid4().hex
    env = {k: v for k, v in os.environ.items() if k != NO_WINDOW_VARIABLE}
    yield {**env, MARK: mark, "QT_QPA_PLATFORM": "xcb"}
    for pid in _marked(mark):
        os.kill(pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: not _marked(mark), timeout=10_000)


def _start(profile: Path, env: dict[str, str], stderr: Path,
           *args: str) -> subprocess.CompletedProcess[str]:
    with stderr.open("w") as output:  # a file, not a terminal: as started from a menu
        return subprocess.run(
            [sys.executable, "-m", "app", *args, "--profile", str(profile)], cwd=REPO, env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=output, text=True,
            timeout=120, check=False)


def _wait_for_the_window(qtbot: QtBot, display: str) -> None:
    qtbot.waitUntil(lambda: TITLE in _window_titles(display), timeout=30_000)


@LINUX_ONLY
def test_an_unusable_profile_is_shown_in_a_window(
        tmp_path: Path, display: str, qtbot: QtBot, desktop_env: dict[str, str]) -> None:
    profile = tmp_path / "a-file"
    profile.write_text("not a folder")
    result = _start(profile, {**desktop_env, "DISPLAY": display}, tmp_path / "stderr.txt")
    assert result.returncode == 7  # at once: the window does not keep the app
    assert "the profile folder cannot be used" in (tmp_path / "stderr.txt").read_text()
    _wait_for_the_window(qtbot, display)


@LINUX_ONLY
def test_a_database_in_use_is_shown_in_a_window(
        tmp_path: Path, display: str, qtbot: QtBot, desktop_env: dict[str, str]) -> None:
    profile = tmp_path / "profile"
    LocalStore.in_profile(profile).close()
    with held_by_another_process(profile / DATABASE_FILE_NAME, "PRAGMA locking_mode=EXCLUSIVE"):
        result = _start(profile, {**desktop_env, "DISPLAY": display}, tmp_path / "stderr.txt")
    assert result.returncode == 7
    assert "is in use by another program" in (tmp_path / "stderr.txt").read_text()
    _wait_for_the_window(qtbot, display)


@LINUX_ONLY
def test_a_pop_that_started_the_app_reports_its_failure_at_once(
        tmp_path: Path, display: str, qtbot: QtBot, desktop_env: dict[str, str]) -> None:
    # A softphone's pop starts the app: its output goes to the launch log (no terminal), so
    # the app shows the window too; pop must still see the app exit, not wait for an answer.
    profile = tmp_path / "profile"
    LocalStore.in_profile(profile).close()
    with held_by_another_process(profile / DATABASE_FILE_NAME, "PRAGMA locking_mode=EXCLUSIVE"):
        result = _start(profile, {**desktop_env, "DISPLAY": display}, tmp_path / "stderr.txt",
                        "pop", NUMBER, "--wait", "100")
    stderr = (tmp_path / "stderr.txt").read_text()
    assert result.returncode == 6, stderr
    assert "exited at start-up with code 7" in stderr
    assert "is in use by another program" in stderr
    _wait_for_the_window(qtbot, display)


@LINUX_ONLY
def test_a_display_that_cannot_be_reached_still_gives_exit_7(
        tmp_path: Path, desktop_env: dict[str, str]) -> None:
    # DISPLAY names an X server that is gone: Qt aborts when it cannot connect, which must
    # not turn the app's own exit code into a crash.
    gone = next(n for n in range(4000, 5000) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    profile = tmp_path / "a-file"
    profile.write_text("not a folder")
    result = _start(profile, {**desktop_env, "DISPLAY": f":{gone}"}, tmp_path / "stderr.txt")
    stderr = (tmp_path / "stderr.txt").read_text()
    assert result.returncode == 7, stderr
    assert stderr.strip() == (f"screenpop: the profile folder cannot be used: {profile} is a "
                              "file, not a folder.")


@LINUX_ONLY
def test_no_window_opens_where_the_environment_says_so(
        tmp_path: Path, display: str, desktop_env: dict[str, str]) -> None:
    # Test runs set it, so an app a test starts on a real display leaves no window behind.
    profile = tmp_path / "a-file"
    profile.write_text("not a folder")
    env = {**desktop_env, "DISPLAY": display, NO_WINDOW_VARIABLE: "1"}
    result = _start(profile, env, tmp_path / "stderr.txt")
    assert result.returncode == 7
    assert _marked(env[MARK]) == []  # the window's process would be started by now
