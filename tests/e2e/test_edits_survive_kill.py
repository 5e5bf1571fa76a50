"""End to end: an agent types into the real app, the app is killed with SIGKILL, nothing is lost.

The app (``python -m app --profile DIR``, not the demo) runs on Xvfb against the sandbox over
loopback HTTP; the keys come from xdotool in another process, as from a keyboard. The agent
writes a note, edits Email, the multi-line Address (a new line) and Company, moving with Tab,
then types on at the end of Name. While the agent is still typing, ``screenpop state`` must
already show part of that edit as written (a draft is written during continuous typing, not
only after a pause); the app is then killed mid-word with SIGKILL, started again, and the next
pop of that number brings every edit back, marked unsaved, with the note the agent was
writing, and the history's pending mark for the caller; Ctrl+S then saves the restored edits.
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
from app.services.outbox import SENDABLE_KINDS
from app.services.store import LocalStore
from app.ui.history_panel import pending_text
from tests.e2e.real_app import RealApp, real_app
from tests.tools.other_process import poll_until

KNOWN = "+" + DEMO_KNOWN_NUMBER
# Typed one key every 120 ms: about 4 s of uninterrupted typing, far longer than the half
# second within which each keystroke must be written.
TYPED_NAME = " Kumar Raghunathan Iyer"
NOTE = "Asked for a callback tomorrow"
EMAIL = "aarav@mehta-traders.example.in"
ADDRESS_LINE = "Flat 4B, Sea View Towers"  # typed on a new line under the saved address
COMPANY = "Mehta Traders"

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
        others = _edit_email_address_and_company(app, before["fields"]["Address"])
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
    assert {k: v for k, v in kept.items() if k != "Name"} == others
    assert note == NOTE

    with real_app(profile, app_env, log) as app:
        assert app.cli("pop", KNOWN).returncode == 0

        def restored() -> dict[str, Any] | None:
            state = app.shown(KNOWN)
            return state if state.get("unsaved") else None
        state = poll_until(restored, 30, "the unsaved edits to come back")
        assert state["unsaved"] == {"Name": kept["Name"], "Email": EMAIL,
                                    "Address": others["Address"], "Company": COMPANY}, state
        assert state["fields"]["Name"] == name  # DeepCall still has the old name
        history = [entry for entry in state["history"] if entry["number"] == KNOWN]
        assert history, state["history"]
        # state's history entries carry no pending mark: read it where the history panel
        # reads it, in the restarted app's own database.
        store = LocalStore.in_profile(profile)
        try:
            marks = store.pending_by_number(SENDABLE_KINDS).get(KNOWN)
        finally:
            store.close()
        assert pending_text(marks) == "unsaved changes", marks

        # The edit is back in the form itself: Ctrl+S sends it, and DeepCall now has it.
        app.focus_window()
        app.xdotool("key", "--clearmodifiers", "ctrl+s")

        app.state_where(lambda last: last.get("fields", {}).get("Name") == kept["Name"].strip()
                        and last.get("unsaved") == {} and last.get("outbox") == 0,
                        "the restored edits to be saved in DeepCall")
        record = sandbox.contact(KNOWN)
        assert record is not None
        assert (record.values["name"], record.values["email"], record.values["address"],
                record.values["company"]) == (kept["Name"].strip(), EMAIL,
                                              others["Address"], COMPANY)


def _edit_email_address_and_company(app: RealApp, address: str) -> dict[str, str]:
    """From Name, Tab by Tab: Email and Company replaced, a line added to Address; returns
    the drafts once ``state`` shows them written."""
    app.xdotool("key", "--clearmodifiers", "F2", "Tab", "End", "shift+Home")  # Email
    app.xdotool("type", "--delay", "20", EMAIL)
    app.xdotool("key", "--clearmodifiers", "Tab", "ctrl+End", "Return")  # Address
    app.xdotool("type", "--delay", "20", ADDRESS_LINE)
    app.xdotool("key", "--clearmodifiers", "Tab", "End", "shift+Home")  # Company
    app.xdotool("type", "--delay", "20", COMPANY)
    wanted = {"Email": EMAIL, "Address": f"{address}\n{ADDRESS_LINE}", "Company": COMPANY}
    app.until_unsaved(wanted)
    return wanted
