"""Named pipes (issue 13): only this user's own app gets this user's numbers.

The Windows branch driven on Linux: see tests/sources/pipe_fixtures.py.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.commands import pop
from app.core.pop_request import HelloRequest, ProtocolError, parse_line
from app.sources import forward, windows_api
from app.sources.forward import NotOurApp, exchange
from app.sources.instance_proof import (
    hello_fields,
    hello_key,
    hello_line,
    new_nonce,
    proven_pid,
)
from app.sources.local_server import LocalSocketServer
from app.sources.socket_address import server_name
from tests.sources.pipe_fixtures import (
    NOT_ON_WINDOWS,
    NUMBER,
    heard,
    squat,
)
from tests.sources.processes import LineProcess, harness

pytestmark = NOT_ON_WINDOWS


@pytest.fixture
def squatter(windows: list[int], profile: Path) -> Iterator[LineProcess]:
    name = server_name(profile)
    assert "/" not in name  # a bare name: Qt's pipe on Windows
    taker = squat(name)
    yield taker
    taker.stop()


def test_a_client_sends_nothing_to_a_pipe_it_cannot_trust(squatter: LineProcess,
                                                          profile: Path) -> None:
    with pytest.raises(NotOurApp, match="could not prove it is your Screen-Pop"):
        exchange(profile, NUMBER)
    told = heard(squatter)
    assert len(told) == 1
    assert json.loads(told[0]).keys() == {"cmd", "nonce"}  # a random nonce, nothing more


def test_screenpop_pop_says_so_and_exits_5_without_starting_an_app(
        squatter: LineProcess, profile: Path, windows: list[int],
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[object] = []
    monkeypatch.setattr(pop, "start_instance", lambda *args: started.append(args))
    assert pop.main([NUMBER, "--profile", str(profile)]) == pop.EXIT_NO_ANSWER
    err = capsys.readouterr().err
    assert "cannot reach Screen-Pop safely" in err
    assert "nothing was sent" in err
    assert started == []  # another app would refuse the pipe too
    assert windows == []  # no foreground for whoever answered
    assert not any("8302390884" in line for line in heard(squatter))


def test_the_app_refuses_a_pipe_someone_else_created_first(
        squatter: LineProcess, profile: Path, qtbot: QtBot,
        caplog: pytest.LogCaptureFixture) -> None:
    server = LocalSocketServer(profile)
    assert not server.start()
    assert not server.is_listening()
    assert "another program already holds this profile's pipe" in server.errorString()
    assert "\\\\.\\pipe\\screenpop-" in server.errorString()
    assert "another program already holds" in caplog.text
    # Its liveness check said hello and nothing else.
    assert [json.loads(line).keys() for line in heard(squatter)] == [{"cmd", "nonce"}]
    server.close()


def test_the_app_leaves_a_pipe_its_own_live_instance_holds(
        windows: list[int], profile: Path, qtbot: QtBot) -> None:
    instance = squat(server_name(profile), "prove", profile)
    try:
        server = LocalSocketServer(profile)
        assert not server.start()
        assert server.errorString() == \
            "another Screen-Pop instance already listens for this profile"
        server.close()
    finally:
        instance.stop()


def test_on_a_free_pipe_the_app_proves_itself_and_the_pop_gets_the_foreground(
        windows: list[int], profile: Path, qtbot: QtBot) -> None:
    server = LocalSocketServer(profile)
    assert server.start(), server.errorString()
    assert "/" not in server.name
    pops: list[object] = []
    server.popRequested.connect(pops.append)
    # `screenpop pop` as Windows runs it, in its own process (its waits are blocking).
    client = LineProcess([sys.executable, "-m", "tests.sources.pipe_client", str(profile),
                          NUMBER, "state"])
    qtbot.waitUntil(lambda: client.proc.poll() is not None, timeout=20_000)
    server.close()
    assert client.proc.returncode == 0, client.stderr_text
    # Granted once, to the app the proof named (this process), before the pop; not for state.
    assert client.expect("GRANTED ") == str(os.getpid())
    assert json.loads(client.expect("REPLY ")) == {"ok": True, "number": NUMBER}
    assert json.loads(client.expect("REPLY "))["ok"] is False  # no state provider here
    assert len(pops) == 1


def test_a_real_app_in_another_process_proves_itself_over_the_qt_transport(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    granted: list[int] = []
    monkeypatch.setattr(windows_api, "allow_foreground", granted.append)
    proc: LineProcess = harness(tmp_path)
    try:
        proc.expect("LISTENING ")
        pid = exchange(tmp_path, "state", transport="unix")["state"]["pid"]
        assert exchange(tmp_path, NUMBER, transport="qt") == {"ok": True, "number": NUMBER}
        assert json.loads(proc.expect("POP "))["number"] == NUMBER
        assert granted == [pid]
    finally:
        proc.stop()


def test_the_proof_holds_only_for_the_key_the_nonce_and_the_pid(tmp_path: Path) -> None:
    key = hello_key(tmp_path)
    assert hello_key(tmp_path) == key  # the same salt, the same key
    assert key != hello_key(tmp_path / "other")
    nonce = new_nonce()
    reply = {"ok": True, **hello_fields(key, nonce, 1234)}
    assert proven_pid(key, nonce, reply) == 1234
    assert proven_pid(hello_key(tmp_path / "other"), nonce, reply) is None
    assert proven_pid(key, new_nonce(), reply) is None  # a replayed answer
    assert proven_pid(key, nonce, {**reply, "pid": 1}) is None  # another process named
    assert proven_pid(key, nonce, {**reply, "pid": True}) is None
    assert proven_pid(key, nonce, {**reply, "ok": False}) is None
    assert proven_pid(key, nonce, {"ok": True}) is None


def test_the_posix_client_stays_without_the_hello(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    """The unix transport never reads the salt or says hello: `screenpop pop` stays fast."""
    monkeypatch.setattr(forward, "_exchange_unix", lambda name, payload, timeout: {"ok": True})
    exchange(tmp_path, NUMBER, transport="unix")
    assert not (tmp_path / "socket.salt").exists()


def test_a_hello_needs_a_fresh_random_nonce() -> None:
    nonce = new_nonce()
    assert parse_line(hello_line(nonce).encode()) == HelloRequest(nonce)
    for bad in ('"x"', '"' + "A" * 32 + '"', "123", '""', "null"):
        with pytest.raises(ProtocolError, match="nonce"):
            parse_line(b'{"cmd":"hello","nonce":' + bad.encode() + b"}")
