"""macOS: the ``tel:`` link that launches the app (a QFileOpenEvent, posted before the loop
runs) is caught by gui's early filter and handed over to the session once it runs.

The real gui bootstrap (``app.commands.gui.main`` and ``_run``) in its own process, with the
platform gui decides by set to ``darwin`` (only gui's view of ``sys``: the rest of the app
stays on this OS), and the real ``screenpop state`` from another process to see the pop."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from app.sandbox.seed import DEMO_KNOWN_NUMBER
from tests.tools.other_process import poll_until, stop_app

REPO = Path(__file__).resolve().parents[2]
LINK = "tel:+91-98765-43210"  # the demo's known caller, as a clicked link writes it
AS_ON_MACOS = """
import sys
from PySide6.QtCore import QCoreApplication, QUrl
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication
from app.commands import gui

class MacOS:  # gui's sys, on macOS
    platform = "darwin"
    def __getattr__(self, name):
        return getattr(sys, name)

gui.sys = MacOS()
app = QApplication([sys.argv[0]])
# What macOS delivers for the clicked link, waiting in the queue before the loop runs.
QCoreApplication.postEvent(app, QFileOpenEvent(QUrl(sys.argv[1])))
sys.exit(gui.main(sys.argv[2:]))
"""


def _state(profile: Path, env: dict[str, str]) -> dict[str, Any] | None:
    result = subprocess.run([sys.executable, "-m", "app", "state", "--profile", str(profile),
                             "--timeout", "2"], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=30, check=False)
    if result.returncode != 0:
        return None
    state = json.loads(result.stdout)
    return state if isinstance(state, dict) else None


def test_the_link_that_launched_the_app_on_macos_pops_once_the_session_runs(
        tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("SCREENPOP_PROFILE", None)
    output = tmp_path / "app.log"
    with output.open("wb") as sink:
        app = subprocess.Popen([sys.executable, "-c", AS_ON_MACOS, LINK, "--demo", "--profile",
                                str(profile)], cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                               stdout=sink, stderr=subprocess.STDOUT)
    last: dict[str, Any] = {}

    def popped() -> dict[str, Any] | None:
        assert app.poll() is None, "the app exited"
        last.clear()
        last.update(_state(profile, env) or {})
        return dict(last) if last.get("status") == "found" else None

    try:
        try:
            state = poll_until(popped, 30, "the launching link to pop")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; last state: {last}\n{output.read_text()}") from None
    finally:
        stop_app(app)
    assert (state["number"], state["source"]) == ("+" + DEMO_KNOWN_NUMBER, "tel-link")
