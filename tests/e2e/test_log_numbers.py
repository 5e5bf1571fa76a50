"""The real app in its own process: a pop from ``screenpop pop`` leaves no full caller number
in screenpop.log or the JSON stderr, unless ``log_full_numbers`` is on."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from app.sandbox.seed import DEMO_KNOWN_NUMBER
from tests.e2e.test_demo_app import KNOWN, started_demo_app
from tests.tools.other_process import poll_until

pytestmark = pytest.mark.xvfb
BROWSER_MISSING = "Unable to detect a web browser to launch"


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


def test_qt_messages_go_through_the_log_with_the_number_masked(
        x_display: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no web browser to find (a locked-down PC), Qt prints the caller page's address,
    full number included, on the app's stderr: launch.log when ``screenpop pop`` started it.
    Routed through logging, the line is masked and lands in screenpop.log too."""
    no_programs = tmp_path / "no-programs"
    no_programs.mkdir()
    monkeypatch.setenv("PATH", str(no_programs))  # no xdg-open, no browser to detect
    for name in ("BROWSER", "DEFAULT_BROWSER"):
        monkeypatch.delenv(name, raising=False)
    with started_demo_app(x_display, tmp_path, open_url_template=(
            "https://crm.example.com/find?q={e164}"), open_url_when="ringing") as app:
        log_path = app.profile / "logs" / "screenpop.log"
        popped = app.cli("pop", KNOWN, "--call-id", "c-1", "--no-start")
        assert popped.returncode == 0, popped.stderr

        def qt_said_it() -> bool:
            return BROWSER_MISSING in app.output() + log_path.read_text(encoding="utf-8")

        poll_until(qt_said_it, 20, "Qt's message about the missing browser")
        app.process.send_signal(signal.SIGTERM)
        assert app.process.wait(15) == 0
        stderr = app.log.read_text(encoding="utf-8")
        log_file = log_path.read_text(encoding="utf-8")
    national = DEMO_KNOWN_NUMBER[-10:]
    assert national not in stderr
    assert national not in log_file
    said = next(line for line in log_file.splitlines() if BROWSER_MISSING in line)
    assert "WARNING qt.qpa.services:" in said
    assert said.endswith("'https://crm.example.com/find?q=…" + KNOWN[-4:] + "'")
