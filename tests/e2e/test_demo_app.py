"""End to end: ``screenpop --demo`` as its own process on a real X display, driven from outside.

The app runs on Xvfb (QT_QPA_PLATFORM=xcb); numbers arrive through ``python -m app pop`` in
another process, the state is read back with ``python -m app state``, and the window grab the
app makes of itself (SCREENPOP_SCREENSHOT_DIR) is kept under tests/artifacts/ for CI.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.sandbox.accounts import DEMO_TOKEN
from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_UNKNOWN_NUMBER
from app.services.settings import Settings
from tests.e2e.real_app import RealApp
from tests.tools.other_process import poll_until, stop_app
from tests.tools.xclip import Copier

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
KNOWN = "+" + DEMO_KNOWN_NUMBER
UNKNOWN = "+" + DEMO_UNKNOWN_NUMBER

pytestmark = pytest.mark.xvfb


@dataclass
class RunningApp(RealApp):
    """The demo app: ``cli``/``state`` as for any real app, its window grabs in ``shots``, and
    ``log`` is its whole stderr."""

    shots: Path

    def settled(self, number: str, timeout: float = 20.0) -> dict[str, Any]:
        def done() -> dict[str, Any] | None:
            s = self.state()
            if s and s.get("number") == number and s.get("status") in ("found", "unknown",
                                                                         "error"):
                return s
            return None
        return dict(poll_until(done, timeout, f"the lookup of {number} to finish"))

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")  # all of it


@contextlib.contextmanager
def started_demo_app(display: str, tmp_path: Path,
                     **saved_settings: object) -> Iterator[RunningApp]:
    """``screenpop --demo`` on ``display`` with a profile holding ``saved_settings``."""
    profile, shots = tmp_path / "profile", tmp_path / "shots"
    profile.mkdir(parents=True)
    saved = Settings(profile)
    for name, value in saved_settings.items():
        saved.set_value(name, value)
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb",
           "SCREENPOP_SCREENSHOT_DIR": str(shots)}
    for name in ("DEEPCALL_TOKEN", "DEEPCALL_SSID"):
        env.pop(name, None)
    stderr_path = tmp_path / "app.stderr"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "--demo", "--profile", str(profile),
             "--log-format", "json"],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    app = RunningApp(process, profile, env, stderr_path, shots)
    try:
        poll_until(lambda: process.poll() is not None or app.state(), 30, "the app to answer")
        assert process.poll() is None, f"the app exited early:\n{app.output()[-3000:]}"
        yield app
    finally:
        stop_app(process)


@pytest.fixture
def demo_app(x_display: str, tmp_path: Path) -> Iterator[RunningApp]:
    with started_demo_app(x_display, tmp_path) as app:
        yield app


def _keep_artifact(source: Path, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / name
    shutil.copyfile(source, target)
    return target


def test_demo_pops_a_known_caller_and_shows_the_contact(demo_app: RunningApp) -> None:
    assert demo_app.state() is not None
    idle = demo_app.state()
    assert idle is not None
    assert idle["status"] == "idle"
    assert idle["window_visible"] is True

    popped = demo_app.cli("pop", KNOWN, "--no-start")
    assert popped.returncode == 0, popped.stderr
    state = demo_app.settled(KNOWN)
    assert state["status"] == "found"
    assert state["name"] == "Aarav Mehta"
    fields = state["fields"]
    assert fields["Name"] == "Aarav Mehta"
    assert fields["Mobile"] == "+91 98765 43210"
    assert fields["Lead source"]  # the second group is on screen too
    assert state["window_status"] == "found"

    shot = demo_app.shots / "screenpop-found.png"
    poll_until(shot.exists, 10, "the window grab")
    kept = _keep_artifact(shot, "e2e-demo-found.png")
    assert kept.stat().st_size > 10_000  # a real rendering, not an empty image
    assert kept.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_shows_an_unknown_caller_as_new(demo_app: RunningApp) -> None:
    assert demo_app.cli("pop", UNKNOWN, "--no-start").returncode == 0
    state = demo_app.settled(UNKNOWN)
    assert state["status"] == "unknown"
    assert state["fields"]["Name"] == ""
    shot = demo_app.shots / "screenpop-unknown.png"
    poll_until(shot.exists, 10, "the window grab")
    _keep_artifact(shot, "e2e-demo-unknown.png")


def test_a_second_start_hands_over_and_exits(demo_app: RunningApp) -> None:
    second = subprocess.run([sys.executable, "-m", "app", "--profile", str(demo_app.profile)],
                            cwd=REPO, env=demo_app.env, capture_output=True, text=True,
                            timeout=30)
    assert second.returncode == 0, second.stderr
    assert "already running" in second.stdout
    assert demo_app.process.poll() is None  # the first one keeps running


def test_json_log_has_pop_events_and_no_secret(demo_app: RunningApp) -> None:
    assert demo_app.cli("pop", KNOWN, "--no-start").returncode == 0
    demo_app.settled(KNOWN)
    demo_app.process.send_signal(signal.SIGTERM)
    assert demo_app.process.wait(15) == 0  # a clean exit through the shutdown path
    output = demo_app.output()
    events = [json.loads(line).get("event") for line in output.splitlines()
              if line.startswith("{")]
    assert {"app_started", "pop_received", "lookup_finished", "app_stopped"} <= set(events)
    assert DEMO_TOKEN not in output
    log_text = "".join(p.read_text(encoding="utf-8")
                       for p in (demo_app.profile / "logs").glob("*.log*"))
    assert DEMO_TOKEN not in log_text
    assert "Traceback" not in output


def test_a_number_copied_in_another_app_pops_in_the_running_app(
        x_display: str, tmp_path: Path) -> None:
    # The whole clipboard route: xclip (another X client) copies, the app's watcher sees the
    # change on the real X clipboard, and the caller pops in the window. (That a switched-off
    # watcher reads nothing is proven next to the watcher, tests/sources/test_clipboard.py.)
    copier = Copier(x_display)
    try:
        with started_demo_app(x_display, tmp_path, clipboard_enabled=True) as app:
            copier.copy("+91 98765 43210")
            state = app.settled(KNOWN)
            assert (state["status"], state["source"], state["name"]) == (
                "found", "clipboard", "Aarav Mehta")
            assert state["window_status"] == "found"
    finally:
        copier.end()
