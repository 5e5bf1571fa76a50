"""``screenpop event ...`` as a softphone's call hooks run it, in other processes.

First against the headless stand-in (tests/sources/instance_harness.py), which prints exactly
what reached the socket; then against the real app (``python -m app --demo``) on Xvfb, read back
with ``screenpop state``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.commands import pop
from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_LEAD_NUMBER, DEMO_PLAIN_NUMBER
from app.sources.forward import forward
from app.sources.single_instance import LOCK_FILE_NAME
from app.sources.socket_address import server_name
from tests.sources.processes import REPO, LineProcess, harness, screenpop
from tests.sources.test_real_app import app_env, app_state, cli, demo_apps, settled_on
from tests.tools.other_process import poll_until

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX socket files")

__all__ = ["app_env"]  # the real app's environment fixture, shared with test_real_app.py


@pytest.fixture
def running(tmp_path: Path) -> Iterator[LineProcess]:
    proc = harness(tmp_path)
    assert proc.expect("LISTENING ") == server_name(tmp_path)
    yield proc
    proc.stop()


def test_each_event_reaches_the_app_as_sent(running: LineProcess, tmp_path: Path) -> None:
    profile = str(tmp_path)
    ringing = screenpop("event", "ringing", "--call-id", "c-1", "--number", "08302390884",
                        "--line", "Sales IN", "--profile", profile)
    assert ringing.returncode == 0, ringing.stderr
    assert ringing.stdout == "Screen-Pop: +91 83023 90884\n"
    assert json.loads(running.expect("POP ")) == {
        "number": "+918302390884", "call_id": "c-1", "direction": None, "source": "cli",
        "line": "Sales IN", "from_agent": None}

    answered = screenpop("event", "answered", "--call-id", "c-1", "--profile", profile)
    assert answered.returncode == 0, answered.stderr
    assert answered.stdout == "Screen-Pop: answered (call c-1)\n"
    assert json.loads(running.expect("EVENT ")) == {
        "event": "answered", "call_id": "c-1", "number": None, "withheld": False,
        "line": None, "from_agent": None, "source": "cli", "direction": None}

    transferred = screenpop("event", "transferred", "--call-id", "c-1", "--number",
                            "+918302390884", "--from-agent", "Priya", "--profile", profile)
    assert transferred.returncode == 0, transferred.stderr
    assert transferred.stdout == "Screen-Pop: transferred (call c-1) · +91 83023 90884\n"
    event = json.loads(running.expect("EVENT "))
    assert (event["event"], event["number"], event["from_agent"]) == (
        "transferred", "+918302390884", "Priya")

    ended = screenpop("event", "ended", "--call-id", "c-1", "--profile", profile)
    assert ended.returncode == 0, ended.stderr
    assert json.loads(running.expect("EVENT "))["event"] == "ended"


@pytest.mark.parametrize("caller", ["anonymous", "Private", "sip:anonymous@pbx.example",
                                    "tel:withheld", "tel:", "", "000000", "+000"])
def test_a_withheld_caller_pops_and_exits_0(running: LineProcess, tmp_path: Path,
                                            caller: str) -> None:
    result = screenpop("pop", caller, "--call-id", "w-1", "--line", "Support",
                       "--profile", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Screen-Pop: Withheld number\n"
    popped = json.loads(running.expect("POP "))
    assert (popped["number"], popped["call_id"], popped["line"]) == (None, "w-1", "Support")


def test_a_withheld_transfer_names_no_number(running: LineProcess, tmp_path: Path) -> None:
    result = screenpop("event", "transferred", "--call-id", "w-2", "--number", "restricted",
                       "--from-agent", "Priya", "--profile", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Screen-Pop: transferred (call w-2) · Withheld number\n"
    event = json.loads(running.expect("EVENT "))
    assert (event["number"], event["withheld"], event["from_agent"]) == (None, True, "Priya")


HOSTILE = "a\"b' & ?x=1#y %20 ; $(touch pwned) `id` ☎ مبيعات"


def test_hostile_labels_arrive_as_one_value_each(running: LineProcess, tmp_path: Path) -> None:
    result = screenpop("event", "answered", "--call-id", HOSTILE, "--line", HOSTILE,
                       "--profile", str(tmp_path))
    assert result.returncode == 0, result.stderr
    event = json.loads(running.expect("EVENT "))
    assert (event["call_id"], event["line"]) == (HOSTILE, HOSTILE)
    assert not (REPO / "pwned").exists()
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["ringing", "--call-id", "c"], "ringing needs --number"),
    (["transferred", "--call-id", "c", "--from-agent", "Priya"], "transferred needs --number"),
    (["answered"], "--call-id"),
    (["ended", "--call-id", "  "], "--call-id must not be empty"),
    (["hangup", "--call-id", "c"], "invalid choice"),
    (["ringing", "--call-id", "c", "--number", "12345"], "is not a valid phone number"),
    (["transferred", "--call-id", "c", "--number", "Private Number"],
     "is not a valid phone number"),
    (["answered", "--call-id", "c\x07"], "--call-id must be printable text"),
    (["answered", "--call-id", "c" * 200], "--call-id must be at most 128 characters"),
    (["ringing", "--call-id", "c", "--number", "8302390884", "--line", "Sales\nIN"],
     "--line must be printable text"),
])
def test_bad_events_exit_2_with_a_plain_message(running: LineProcess, tmp_path: Path,
                                                args: list[str], message: str) -> None:
    result = screenpop("event", *args, "--profile", str(tmp_path))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert forward(tmp_path, "state") is not None  # the app is still there, and got nothing
    assert running.lines.empty()


@pytest.mark.parametrize("kind", ["answered", "ended"])
def test_an_unreadable_number_on_answered_or_ended_is_dropped_and_the_event_sent(
        running: LineProcess, tmp_path: Path, kind: str) -> None:
    """Review 11 (calls), 6: a softphone passes its display string ("Private Number"); the
    call id names the call, so the event still arrives (without the number), exit 0."""
    result = screenpop("event", kind, "--call-id", "c-1", "--number", "Private Number",
                       "--profile", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"Screen-Pop: {kind} (call c-1)\n"
    assert result.stderr == ("screenpop event: the caller id given is not a phone number; "
                             "sent without it (the call id names the call).\n")
    event = json.loads(running.expect("EVENT "))
    assert (event["event"], event["call_id"], event["number"], event["withheld"]) == (
        kind, "c-1", None, False)


@pytest.mark.parametrize("kind", ["answered", "ended"])
def test_answered_or_ended_never_start_the_app(tmp_path: Path, kind: str) -> None:
    # A call nobody popped needs no window: a plain message, exit 5, nothing started.
    result = screenpop("event", kind, "--call-id", "c-1", "--number", "08302390884",
                       "--profile", str(tmp_path))
    assert result.returncode == 5
    assert result.stderr == (f"screenpop event: Screen-Pop is not running, so there is no call "
                             f"to mark {kind} (start it with: screenpop --profile "
                             f"{tmp_path}).\n")
    assert not (tmp_path / LOCK_FILE_NAME).exists()
    assert not (tmp_path / pop.LAUNCH_LOG).exists()
    assert forward(tmp_path, "state") is None


@pytest.mark.parametrize("args", [
    ["ringing", "--call-id", "c-9", "--number", "08302390884"],
    ["transferred", "--call-id", "c-9", "--number", "08302390884", "--from-agent", "Priya"],
])
def test_ringing_and_transferred_start_the_app_like_pop(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    from app.commands import event

    launched: list[str | None] = []

    def harness_command(profile_arg: str | None) -> list[str]:
        launched.append(profile_arg)
        return [sys.executable, "-m", "tests.sources.instance_harness", str(tmp_path)]

    monkeypatch.setattr(pop, "app_command", harness_command)
    monkeypatch.chdir(REPO)
    try:
        assert event.main([*args, "--profile", str(tmp_path)]) == 0
        assert launched == [str(tmp_path)]
        assert "+91 83023 90884" in capsys.readouterr().out
    finally:
        state = forward(tmp_path, "state")
        if state is not None:
            os.kill(state["state"]["pid"], signal.SIGTERM)


def test_an_app_that_refuses_gives_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from app.commands import event

    monkeypatch.setattr(pop, "exchange",
                        lambda *_a, **_k: {"ok": False, "error": "too many pops; slow down"})
    assert event.main(["ended", "--call-id", "c", "--profile", str(tmp_path)]) == 1
    assert ("screenpop event: the app refused the request: too many pops"
            in capsys.readouterr().err)


# -- the real app -----------------------------------------------------------------------------

@pytest.mark.xvfb
def test_the_real_app_follows_a_call(app_env: dict[str, str], tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    with demo_apps(app_env, profile, 1, tmp_path) as (app,):
        poll_until(lambda: app.poll() is not None or app_state(app_env, profile), 60,
                   "the app to answer")
        assert app.poll() is None, (tmp_path / "app0.out").read_text()[-3000:]

        known = "+" + DEMO_KNOWN_NUMBER
        ringing = cli(app_env, "event", "ringing", "--call-id", "c-201", "--number",
                      DEMO_KNOWN_NUMBER[2:], "--line", "Sales IN", "--profile", str(profile))
        assert ringing.returncode == 0, ringing.stderr
        state = settled_on(app_env, profile, known)
        assert state["status"] == "found"
        assert state["fields"]["Name"] == "Aarav Mehta"
        assert (state["call_id"], state["call_state"], state["line"]) == (
            "c-201", "ringing", "Sales IN")

        for kind in ("answered", "ended"):
            result = cli(app_env, "event", kind, "--call-id", "c-201", "--profile",
                         str(profile))
            assert result.returncode == 0, result.stderr
            assert result.stdout == f"Screen-Pop: {kind} (call c-201)\n"
            state = app_state(app_env, profile) or {}
            assert (state.get("number"), state.get("call_id"), state.get("call_state"),
                    state.get("line")) == (known, "c-201", kind, "Sales IN")
        # A ringing again for the call that ended is no second pop and no revival.
        again = cli(app_env, "event", "ringing", "--call-id", "c-201", "--number",
                    DEMO_KNOWN_NUMBER[2:], "--profile", str(profile))
        assert again.returncode == 0, again.stderr
        assert (app_state(app_env, profile) or {}).get("call_state") == "ended"

        # A withheld caller: the app takes it (exit 0) and never shows the last caller's
        # data as theirs.
        withheld = cli(app_env, "pop", "anonymous", "--call-id", "c-202", "--profile",
                       str(profile))
        assert withheld.returncode == 0, withheld.stderr
        assert withheld.stdout == "Screen-Pop: Withheld number\n"
        state = app_state(app_env, profile) or {}
        assert (state.get("status"), state.get("number"), state.get("call_id"),
                state.get("name"), state.get("fields")) == ("withheld", None, "c-202", None, {})

        # A transfer pops the original caller, not the agent it came from.
        lead = "+" + DEMO_LEAD_NUMBER
        transferred = cli(app_env, "event", "transferred", "--call-id", "c-203", "--number",
                          lead, "--from-agent", "Priya", "--profile", str(profile))
        assert transferred.returncode == 0, transferred.stderr
        state = settled_on(app_env, profile, lead)
        assert (state["call_id"], state["from_agent"]) == ("c-203", "Priya")
        assert app.poll() is None
        refused = cli(app_env, "event", "ringing", "--call-id", "c-204", "--number", "12345",
                      "--profile", str(profile))
        assert refused.returncode == 2
        assert app.poll() is None


# A softphone's own client: JSON lines on the app's socket from a process of its own, no
# screenpop code in it (the address comes from `screenpop state --address`).
RAW_CLIENT = """
import json, socket, sys
with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
    s.settimeout(20)
    s.connect(sys.argv[1])
    replies = s.makefile("rb")
    for line in sys.argv[2:]:
        s.sendall(line.encode() + b"\\n")
        print(json.dumps(json.loads(replies.readline())), flush=True)
"""


def over_the_socket(env: dict[str, str], profile: Path, *events: dict[str, str]) -> list[Any]:
    address = cli(env, "state", "--address", "--profile", str(profile))
    assert address.returncode == 0, address.stderr
    client = subprocess.run([sys.executable, "-c", RAW_CLIENT, address.stdout.strip(),
                             *(json.dumps(event) for event in events)],
                            env=env, capture_output=True, text=True, timeout=60, check=False)
    assert client.returncode == 0, client.stderr
    return [json.loads(line) for line in client.stdout.splitlines()]


def history_of(state: dict[str, Any], call_id: str) -> list[dict[str, Any]]:
    return [row for row in state["history"] if row["call_id"] == call_id]


@pytest.mark.xvfb
def test_the_real_app_follows_a_call_over_the_socket(app_env: dict[str, str],
                                                     tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    known, lead, plain = ("+" + n for n in (DEMO_KNOWN_NUMBER, DEMO_LEAD_NUMBER,
                                            DEMO_PLAIN_NUMBER))
    with demo_apps(app_env, profile, 1, tmp_path) as (app,):
        poll_until(lambda: app.poll() is not None or app_state(app_env, profile), 60,
                   "the app to answer")
        assert app.poll() is None, (tmp_path / "app0.out").read_text()[-3000:]

        assert over_the_socket(app_env, profile, {
            "event": "ringing", "callId": "s1", "number": DEMO_KNOWN_NUMBER[2:],
            "line": "Sales IN"}) == [{"ok": True, "number": known}]
        settled_on(app_env, profile, known)
        assert over_the_socket(app_env, profile, {"event": "answered", "callId": "s1"},
                               {"event": "ended", "callId": "s1"}) == [
            {"ok": True, "event": "answered", "callId": "s1"},
            {"ok": True, "event": "ended", "callId": "s1"}]
        state = app_state(app_env, profile) or {}
        assert (state.get("call_id"), state.get("call_state"), state.get("line")) == (
            "s1", "ended", "Sales IN")

        assert over_the_socket(app_env, profile, {
            "event": "ringing", "callId": "s2", "number": lead, "line": "Support"}) == [
            {"ok": True, "number": lead}]
        state = settled_on(app_env, profile, lead)
        assert (state["call_id"], state["call_state"], state["line"]) == (
            "s2", "ringing", "Support")

        # Events for calls that are not on screen: a late answered of the call that ended
        # never revives it; once the agent is on s2, an answered for a call nobody saw ring
        # (a colleague's, a second line) is history only. The window stays on s2.
        replies = over_the_socket(
            app_env, profile, {"event": "answered", "callId": "s1"},
            {"event": "answered", "callId": "s2"},
            {"event": "answered", "callId": "s3", "number": plain, "line": "Sales IN"})
        assert replies == [{"ok": True, "event": "answered", "callId": "s1"},
                           {"ok": True, "event": "answered", "callId": "s2"},
                           {"ok": True, "event": "answered", "callId": "s3"}]
        state = app_state(app_env, profile) or {}
        assert (state.get("number"), state.get("call_id"), state.get("call_state"),
                state.get("line")) == (lead, "s2", "answered", "Support")
        assert [row["call_state"] for row in history_of(state, "s1")] == ["ended"]
        assert [row["number"] for row in history_of(state, "s3")] == [plain]

        # The softphone sends ringing twice for one call: no second pop, no second history row.
        calls = len(state["history"])
        assert over_the_socket(app_env, profile, {
            "event": "ringing", "callId": "s2", "number": lead}) == [
            {"ok": True, "number": lead}]
        state = app_state(app_env, profile) or {}
        assert (state.get("number"), state.get("call_id"), state.get("call_state"),
                len(state.get("history", []))) == (lead, "s2", "answered", calls)
        assert app.poll() is None
