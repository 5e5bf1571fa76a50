"""End to end: a save queued while DeepCall is down survives a SIGKILL and is delivered once.

The real app (``python -m app --profile DIR``) on Xvfb against the sandbox over loopback HTTP.
The sandbox answers HTTP 503 to every Directory update (DeepCall down for maintenance): the
agent edits the name and presses Ctrl+S (keys from xdotool), ``screenpop state`` shows the
save waiting in the outbox, and the app is killed with SIGKILL. With DeepCall back, the app
started again delivers the save by itself: one update in the sandbox's request log, the
outbox empty, and the next pop shows the new name.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path

import pytest

from app.sandbox.seed import DEMO_KNOWN_NUMBER
from app.sandbox.server import SandboxServer
from tests.e2e.real_app import real_app

KNOWN = "+" + DEMO_KNOWN_NUMBER
ADDED = " Kumar"

pytestmark = [pytest.mark.xvfb,
              pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"),
              pytest.mark.skipif(shutil.which("xdotool") is None,
                                 reason="needs xdotool: apt-get install xdotool")]


def _updates(sandbox: SandboxServer) -> list[dict[str, object] | None]:
    return [r.body for r in sandbox.requests() if (r.group, r.action) == ("Directory", "update")]


def test_a_save_queued_during_an_outage_is_delivered_once_after_a_sigkill_and_restart(
        app_env: dict[str, str], sandbox: SandboxServer, tmp_path: Path) -> None:
    profile, log = tmp_path / "profile", tmp_path / "app.log"
    with real_app(profile, app_env, log) as app:
        assert app.cli("pop", KNOWN).returncode == 0
        name = app.shown(KNOWN)["fields"]["Name"]
        new_name = name + ADDED
        sandbox.set_faults("http503@Directory/update")
        app.focus_window()
        app.xdotool("key", "--clearmodifiers", "F2", "End")
        app.xdotool("type", "--delay", "40", ADDED)
        app.state_where(lambda s: s.get("unsaved") == {"Name": new_name},
                     "the edit to be written as a draft")
        app.xdotool("key", "--clearmodifiers", "ctrl+s")
        waiting = app.state_where(lambda s: s.get("outbox") == 1,
                               "the save to wait in the outbox")
        assert waiting["unsaved"] == {}  # queued, no longer a draft
        assert _updates(sandbox), "the save was never tried"
        os.kill(app.process.pid, signal.SIGKILL)
        app.process.wait(10)
    record = sandbox.contact(KNOWN)
    assert record is not None
    assert record.values["name"] == name  # the outage kept it out of DeepCall

    sandbox.clear_faults()
    sandbox.clear_requests()
    with real_app(profile, app_env, log) as app:
        app.state_where(lambda s: s.get("outbox") == 0, "the queued save to be delivered")
        assert app.cli("pop", KNOWN).returncode == 0
        state = app.state_where(lambda s: s.get("number") == KNOWN
                             and s.get("status") == "found"
                             and s.get("fields", {}).get("Name") == new_name,
                             "the next pop to show the saved name")
        assert (state["outbox"], state["outbox_held"], state["unsaved"]) == (0, 0, {})
    # Once the app has stopped nothing more can be sent: exactly one update, of the name.
    updates = _updates(sandbox)
    assert len(updates) == 1, updates
    assert updates[0] is not None
    assert updates[0]["contactinfo"] == {"name": new_name}
    record = sandbox.contact(KNOWN)
    assert record is not None
    assert record.values["name"] == new_name
