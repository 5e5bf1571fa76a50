"""The real app in its own process: a pop from ``screenpop pop`` leaves no full caller number
in screenpop.log or the JSON stderr, unless ``log_full_numbers`` is on."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from app.sandbox.seed import DEMO_KNOWN_NUMBER
from tests.e2e.test_demo_app import KNOWN, started_demo_app

pytestmark = pytest.mark.xvfb


@pytest.mark.parametrize("full_numbers", [False, True])
def test_a_pop_in_the_real_app_logs_the_number_as_set(x_display: str, tmp_path: Path,
                                                       full_numbers: bool) -> None:
    with started_demo_app(x_display, tmp_path, log_full_numbers=full_numbers) as app:
        popped = app.cli("pop", KNOWN, "--call-id", "555123456789", "--no-start")
        assert popped.returncode == 0, popped.stderr
        app.settled(KNOWN)
        app.process.send_signal(signal.SIGTERM)
        assert app.process.wait(15) == 0
        stderr = app.output()
        log_file = (app.profile / "logs" / "screenpop.log").read_text(encoding="utf-8")
    events = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    received = next(e for e in events if e["event"] == "pop_received")
    assert received["call_id"] == "555123456789"
    national = DEMO_KNOWN_NUMBER[-10:]
    if full_numbers:
        assert received["number"] == KNOWN
        assert KNOWN in log_file
    else:
        assert received["number"] == "…" + KNOWN[-4:]
        assert national not in stderr
        assert national not in log_file
        assert "pop_received number=…" + KNOWN[-4:] in log_file
