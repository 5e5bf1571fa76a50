"""Whatever answers a hello, the client, ``screenpop pop`` and the app's start-up check take a
reply they cannot verify as "not our app": never a traceback, never its text shown as the
app's (issue 13, review 13-win F1/F6)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.commands import pop
from app.sources.forward import NotOurApp, exchange
from app.sources.instance_proof import hello_fields, new_nonce, proven_pid
from app.sources.local_server import LocalSocketServer
from app.sources.socket_address import server_name
from tests.sources.pipe_fixtures import (
    NOT_ON_WINDOWS,
    NUMBER,
    heard,
    squat,
)
from tests.sources.processes import LineProcess

pytestmark = NOT_ON_WINDOWS


@pytest.fixture
def non_ascii(windows: list[int], profile: Path) -> Iterator[LineProcess]:
    taker = squat(server_name(profile), "nonascii")
    yield taker
    taker.stop()


def test_a_non_ascii_proof_is_not_our_app(non_ascii: LineProcess, profile: Path) -> None:
    with pytest.raises(NotOurApp):
        exchange(profile, NUMBER)


@pytest.mark.parametrize("mode", ["garbage", "deep"])
def test_an_unreadable_hello_reply_is_not_our_app(windows: list[int], profile: Path,
                                                   qtbot: QtBot, mode: str) -> None:
    taker = squat(server_name(profile), mode)
    server = LocalSocketServer(profile)
    try:
        with pytest.raises(NotOurApp, match="could not prove"):
            exchange(profile, NUMBER)
        assert not server.start()
        assert "another program already holds" in server.errorString()
    finally:
        server.close()
        told = heard(taker)
    assert not any("8302390884" in line for line in told)


def test_screenpop_pop_exits_cleanly_on_a_non_ascii_proof(
        non_ascii: LineProcess, profile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert pop.main([NUMBER, "--profile", str(profile), "--no-start"]) == pop.EXIT_NO_ANSWER
    assert "cannot reach Screen-Pop safely" in capsys.readouterr().err


def test_the_app_starts_and_says_another_program_holds_the_pipe(
        non_ascii: LineProcess, profile: Path, qtbot: QtBot) -> None:
    server = LocalSocketServer(profile)
    try:
        assert not server.start()
        assert "another program already holds" in server.errorString()
    finally:
        server.close()


@pytest.mark.parametrize("proof", ["\u00e9" * 64, "\udcff" * 64, "0" * 63 + "\u00e9", 7, None])
def test_no_proof_text_raises(tmp_path: Path, proof: object) -> None:
    key = b"k" * 32
    nonce = new_nonce()
    reply = {**hello_fields(key, nonce, 1234), "ok": True, "proof": proof}
    assert proven_pid(key, nonce, reply) is None


def test_a_refusal_without_proof_is_not_shown_as_the_apps(
        windows: list[int], profile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    taker = squat(server_name(profile), "refuse")
    try:
        code = pop.main([NUMBER, "--profile", str(profile), "--no-start"])
    finally:
        told = heard(taker)
    err = capsys.readouterr().err
    assert "555 0100" not in err, err
    assert "cannot reach Screen-Pop safely" in err
    assert code == pop.EXIT_NO_ANSWER
    assert [json.loads(line).keys() for line in told] == [{"cmd", "nonce"}]
