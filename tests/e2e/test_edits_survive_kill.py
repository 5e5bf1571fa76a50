"""End to end: an agent types into the real app, the app is killed with SIGKILL, nothing is lost.

The app (``python -m app --profile DIR``, not the demo) runs on Xvfb against the sandbox over
loopback HTTP; the keys come from xdotool in another process, as from a keyboard. While the
agent is still typing, ``screenpop state`` must already show part of the edit as written
(a draft is written during continuous typing, not only after a pause); the app is then killed
mid-word with SIGKILL, started again, and the next pop of that number brings every edit back,
marked unsaved, with the note the agent was writing; Ctrl+S then saves the restored edit.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.sandbox.seed import DEMO_KNOWN_NUMBER
from app.sandbox.server import SandboxServer
from app.services.store import LocalStore
from tests.e2e.real_app import real_app
from tests.tools.other_process import poll_until

KNOWN = "+" + DEMO_KNOWN_NUMBER
# Typed one key every 120 ms: about 4 s of uninterrupted typing, far longer than the half
# second within which each keystroke must be written.
TYPED_NAME = " Kumar Raghunathan Iyer"
NOTE = "Asked for a callback tomorrow"

pytestmark = [pytest.mark.xvfb,
              pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"),
              pytest.mark.skipif(shutil.which("xdotool") is None,
                                 reason="needs xdotool: apt-get install xdotool")]


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
