"""End to end: started from the desktop (no terminal to read stderr), ``screenpop`` that
cannot start says why in a window, not only on stderr."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.services.store import DATABASE_FILE_NAME, LocalStore
from tests.fixtures.desktop import WRAPPER_HINT
from tests.fixtures.store_files import held_by_another_process
from tests.sources.processes import REPO

TITLE = "Screen-Pop cannot start"


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


@pytest.fixture
def started_from_the_desktop(display: str) -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:  # the window waits for a click nobody makes here
        process.kill()
        process.wait(timeout=10)


def _start(profile: Path, display: str, started: list[subprocess.Popen[str]],
           stderr: Path) -> None:
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
    with stderr.open("w") as output:  # a file, not a terminal: as started from a menu
        started.append(subprocess.Popen(
            [sys.executable, "-m", "app", "--profile", str(profile)], cwd=REPO, env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=output, text=True))


def _wait_for_the_window(qtbot: QtBot, display: str, process: subprocess.Popen[str]) -> None:
    """Until the window shows or the app has exited (then without telling anyone)."""
    qtbot.waitUntil(lambda: TITLE in _window_titles(display) or process.poll() is not None,
                    timeout=30_000)
    assert TITLE in _window_titles(display), f"exited with {process.returncode}, no window"


def test_an_unusable_profile_is_shown_in_a_window(
        tmp_path: Path, display: str, qtbot: QtBot,
        started_from_the_desktop: list[subprocess.Popen[str]]) -> None:
    profile = tmp_path / "a-file"
    profile.write_text("not a folder")
    _start(profile, display, started_from_the_desktop, tmp_path / "stderr.txt")
    _wait_for_the_window(qtbot, display, started_from_the_desktop[0])
    assert "the profile folder cannot be used" in (tmp_path / "stderr.txt").read_text()


def test_a_database_in_use_is_shown_in_a_window(
        tmp_path: Path, display: str, qtbot: QtBot,
        started_from_the_desktop: list[subprocess.Popen[str]]) -> None:
    profile = tmp_path / "profile"
    LocalStore.in_profile(profile).close()
    with held_by_another_process(profile / DATABASE_FILE_NAME, "PRAGMA locking_mode=EXCLUSIVE"):
        _start(profile, display, started_from_the_desktop, tmp_path / "stderr.txt")
        _wait_for_the_window(qtbot, display, started_from_the_desktop[0])
    assert "is in use by another program" in (tmp_path / "stderr.txt").read_text()
