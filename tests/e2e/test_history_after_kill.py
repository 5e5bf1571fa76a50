"""End to end: a pop whose app was killed mid-lookup does not say "Looking up…" for ever.

The real app (``python -m app --profile DIR``) on Xvfb pops a caller while the sandbox is
slow to answer, is killed with SIGKILL during the lookup, and is started again: the history
(``screenpop state`` and the panel's words) says the app closed first.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from app.sandbox.seed import DEMO_KNOWN_NUMBER
from app.sandbox.server import SandboxServer
from app.services.store import LocalStore
from app.ui.history_panel import STATUS_WORDS
from tests.e2e.real_app import real_app
from tests.tools.other_process import poll_until

KNOWN = "+" + DEMO_KNOWN_NUMBER

pytestmark = [pytest.mark.xvfb,
              pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")]


def test_a_pop_killed_mid_lookup_is_not_looking_up_after_the_next_start(
        app_env: dict[str, str], sandbox: SandboxServer, tmp_path: Path) -> None:
    profile, log = tmp_path / "profile", tmp_path / "app.log"
    sandbox.set_faults("latency=30000@contactInfo")  # DeepCall takes its time today
    with real_app(profile, app_env, log) as app:
        assert app.cli("pop", KNOWN).returncode == 0

        def looking_up() -> list[dict[str, Any]] | None:
            history = (app.state() or {}).get("history") or []
            return history if history and history[0]["status"] == "loading" else None

        poll_until(looking_up, 30, "the pop to be recorded while its lookup waits")
        os.kill(app.process.pid, signal.SIGKILL)
        app.process.wait(10)
    sandbox.clear_faults()

    with real_app(profile, app_env, log) as app:
        state = app.state()
        assert state is not None
        [entry] = state["history"]
        assert (entry["number"], entry["status"]) == (KNOWN, "cancelled")
    assert STATUS_WORDS["cancelled"] == "App closed first"
    store = LocalStore.in_profile(profile)  # what the file says, as the panel reads it
    try:
        assert [r.status for r in store.recent_pops()] == ["cancelled"]
    finally:
        store.close()
