"""End to end: an agent types into the real app, the app is killed with SIGKILL, nothing is lost.

The app (``python -m app --profile DIR``, not the demo) runs on Xvfb against the sandbox over
loopback HTTP; the keys come from xdotool in another process, as from a keyboard. While the
agent is still typing, ``screenpop state`` must already show part of the edit as written
(a draft is written during continuous typing, not only after a pause); the app is then killed
mid-word with SIGKILL, started again, and the next pop of that number brings every edit back,
marked unsaved, with the note the agent was writing; Ctrl+S then saves the restored edit.
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

from app.sandbox.accounts import DEMO_TOKEN, DEMO_USER_ID
from app.sandbox.seed import DEMO_KNOWN_NUMBER
from app.sandbox.server import SandboxServer
from app.services.credentials import TOKEN_ENV
from app.services.settings import Settings
from app.services.store import LocalStore
from tests.tools.other_process import poll_until, stop_app

REPO = Path(__file__).resolve().parents[2]
KNOWN = "+" + DEMO_KNOWN_NUMBER
TITLE = "DeepCall Screen-Pop"
# Typed one key every 120 ms: about 4 s of uninterrupted typing, far longer than the half
# second within which each keystroke must be written.
TYPED_NAME = " Kumar Raghunathan Iyer"
NOTE = "Asked for a callback tomorrow"

pytestmark = [pytest.mark.xvfb,
              pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"),
              pytest.mark.skipif(shutil.which("xdotool") is None,
                                 reason="needs xdotool: apt-get install xdotool")]


@dataclass
class RealApp:
    process: subprocess.Popen[bytes]
    profile: Path
    env: dict[str, str]
    log: Path

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "app", *args, "--profile", str(self.profile)],
                              cwd=REPO, env=self.env, capture_output=True, text=True,
                              timeout=30, check=False)

    def state(self) -> dict[str, Any] | None:
        result = self.cli("state", "--timeout", "2")
        if result.returncode != 0:
            return None
        state = json.loads(result.stdout)
        return state if isinstance(state, dict) else None

    def shown(self, number: str) -> dict[str, Any]:
        def settled() -> dict[str, Any] | None:
            state = self.state()
            if state and state.get("number") == number and state.get("status") == "found":
                return state
            return None
        return poll_until(settled, 30, f"the app to show {number}")

    def xdotool(self, *args: str) -> str:
        result = subprocess.run(["xdotool", *args], env=self.env, capture_output=True,
                                text=True, timeout=30, check=False)
        assert result.returncode == 0, f"xdotool {args}: {result.stderr}"
        return result.stdout

    def focus_window(self) -> None:
        def window() -> str | None:
            found = subprocess.run(
                ["xdotool", "search", "--onlyvisible", "--pid", str(self.process.pid),
                 "--name", TITLE], env=self.env, capture_output=True, text=True, timeout=10,
                check=False)
            ids = found.stdout.split()
            return ids[0] if found.returncode == 0 and ids else None
        window_id = poll_until(window, 30, "the app's window to be mapped")
        self.xdotool("windowfocus", "--sync", window_id)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]


@contextlib.contextmanager
def real_app(profile: Path, env: dict[str, str], log: Path) -> Iterator[RealApp]:
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "app", "--profile", str(profile)],
                                   cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT)
    app = RealApp(process, profile, env, log)
    try:
        poll_until(lambda: process.poll() is not None or app.state(), 30, "the app to answer")
        assert process.poll() is None, f"the app exited early:\n{app.output()}"
        yield app
    finally:
        stop_app(process)


@pytest.fixture
def app_env(x_display: str, sandbox: SandboxServer, tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "DISPLAY": x_display, "QT_QPA_PLATFORM": "xcb"}
    for name in ("DEEPCALL_SSID", "DEEPCALL_USER_ID", "DEEPCALL_BRAND_URL",
                 "SCREENPOP_SCREENSHOT_DIR"):
        env.pop(name, None)
    env[TOKEN_ENV] = DEMO_TOKEN  # the environment, never a command line
    settings = Settings(tmp_path / "profile")
    settings.set_value("brand_url", sandbox.base_url)
    settings.set_value("user_id", DEMO_USER_ID)
    settings.set_value("auth_mode", "token")
    return env


def test_edits_typed_before_a_sigkill_come_back_at_the_next_pop(
        app_env: dict[str, str], sandbox: SandboxServer, tmp_path: Path) -> None:
    profile, log = tmp_path / "profile", tmp_path / "app.log"
    with real_app(profile, app_env, log) as app:
        assert app.cli("pop", KNOWN).returncode == 0
        before = app.shown(KNOWN)
        name = before["fields"]["Name"]
        assert before["unsaved"] == {}
        app.focus_window()
        app.xdotool("key", "--clearmodifiers", "ctrl+n")  # the note first, typed in full
        app.xdotool("type", "--delay", "30", NOTE)
        app.xdotool("key", "--clearmodifiers", "F2")  # the first editable field: Name
        app.xdotool("key", "--clearmodifiers", "End")
        typing = subprocess.Popen(["xdotool", "type", "--delay", "120", TYPED_NAME],
                                  env=app_env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            def part_written() -> str | None:
                # Still typing, and already part of the edit is a written draft.
                assert typing.poll() is None, "the typing ended before any of it was written"
                state = app.state() or {}
                draft = (state.get("unsaved") or {}).get("Name")
                # A letter, not only the leading space: Save trims, so a space alone saves nothing.
                if isinstance(draft, str) and draft.strip() != name:
                    return draft
                return None
            written = poll_until(part_written, 20, "a draft written while the agent types")
            os.kill(app.process.pid, signal.SIGKILL)
            app.process.wait(10)
        finally:
            typing.kill()
            typing.wait(10)
        assert written.startswith(name), written
        assert len(written) < len(name + TYPED_NAME), written  # written before typing ended

    # Straight from the file, before anything starts again: the draft and the note are there.
    store = LocalStore.in_profile(profile)
    try:
        kept = {key[1]: draft.value for key, draft in store.field_drafts(KNOWN).items()}
        note = store.load_draft(KNOWN)
    finally:
        store.close()
    assert kept["Name"].startswith(written), (kept, written)
    assert note == NOTE

    with real_app(profile, app_env, log) as app:
        assert app.cli("pop", KNOWN).returncode == 0

        def restored() -> dict[str, Any] | None:
            state = app.shown(KNOWN)
            return state if state.get("unsaved") else None
        state = poll_until(restored, 30, "the unsaved edit to come back")
        assert state["unsaved"] == {"Name": kept["Name"]}, state
        assert state["fields"]["Name"] == name  # DeepCall still has the old name
        history = [entry for entry in state["history"] if entry["number"] == KNOWN]
        assert history, state["history"]

        # The edit is back in the form itself: Ctrl+S sends it, and DeepCall now has it.
        app.focus_window()
        app.xdotool("key", "--clearmodifiers", "ctrl+s")

        last: dict[str, Any] = {}

        def saved() -> dict[str, Any] | None:
            last.update(app.state() or {})
            return last if last.get("fields", {}).get("Name") == kept["Name"].strip() \
                and last.get("unsaved") == {} and last.get("outbox") == 0 else None
        try:
            poll_until(saved, 30, "the restored edit to be saved in DeepCall")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the app's state: {last}\n{app.output()}") from None
        record = sandbox.contact(KNOWN)
        assert record is not None
        assert record.values["name"] == kept["Name"].strip()
