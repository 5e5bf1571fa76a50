"""The app's start-up check of a pipe that already exists (Windows, issue 13; review 13-win
F3/F9): one deadline for the whole probe, no connect to a busy pipe, a moment's patience with
a previous instance still closing, and "another program" only for one that answered."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.sources import forward, local_server, windows_api
from app.sources.forward import probe_own_instance
from app.sources.instance_proof import hello_key
from app.sources.local_server import LocalSocketServer
from app.sources.socket_address import server_name
from tests.sources.pipe_fixtures import NOT_ON_WINDOWS, squat
from tests.sources.processes import LineProcess

pytestmark = NOT_ON_WINDOWS


@pytest.fixture
def silent(windows: list[int], profile: Path) -> Iterator[LineProcess]:
    """A pipe whose holder takes the hello and never answers (hung, or closing)."""
    taker = squat(server_name(profile), "silent")
    yield taker
    taker.stop()


def test_the_whole_probe_keeps_to_one_deadline(silent: LineProcess, profile: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def free_at_last(name: str, ms: int) -> str:
        time.sleep(ms * 0.8 / 1000)  # stands for WaitNamedPipeW waiting: an instance frees late
        return "free"

    monkeypatch.setattr(windows_api, "wait_for_pipe", free_at_last)
    started = time.monotonic()
    assert probe_own_instance(server_name(profile), hello_key(profile), timeout=1.0) == "silent"
    assert time.monotonic() - started < 1.4  # the wait, connect and hello share the second


def test_a_busy_pipe_is_never_connected_to(windows: list[int], profile: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Qt's connect waits 5 s at a time on a busy pipe, on the window's thread."""
    waits: list[int] = []
    monkeypatch.setattr(windows_api, "wait_for_pipe",
                        lambda name, ms: waits.append(ms) or "busy")
    monkeypatch.setattr(forward, "_connect_qt", lambda *args: pytest.fail("connected"))
    assert probe_own_instance(server_name(profile), b"k", timeout=0.8) == "silent"
    [waited] = waits
    assert 0 < waited <= 800
    monkeypatch.setattr(windows_api, "wait_for_pipe", lambda name, ms: "gone")
    assert probe_own_instance(server_name(profile), b"k") == "gone"


def test_a_pipe_nobody_answers_on_is_no_other_program(
        silent: LineProcess, profile: Path, qtbot: QtBot,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_server, "PIPE_SETTLE_SECONDS", 0.3)
    monkeypatch.setattr(local_server, "PROBE_SECONDS", 0.2)
    monkeypatch.setattr(local_server, "RETRY_LISTEN_MS", 50)
    server = LocalSocketServer(profile)
    try:
        assert not server.start()
        assert "a previous Screen-Pop may still be closing" in server.errorString()
        assert "another program" not in server.errorString()
        silent.stop()  # it has closed: its pipe goes, and the app listens there after all
        qtbot.waitUntil(server.is_listening, timeout=5_000)
        assert server.errorString() == ""
    finally:
        server.close()


def test_a_pipe_that_goes_while_the_app_starts_is_listened_on(
        windows: list[int], profile: Path, qtbot: QtBot,
        monkeypatch: pytest.MonkeyPatch) -> None:
    still_there = iter([True, True, False])
    monkeypatch.setattr(local_server, "pipe_exists", lambda name: next(still_there))
    probes: list[float] = []
    monkeypatch.setattr(local_server, "probe_own_instance",
                        lambda name, key, timeout: probes.append(timeout) or "silent")
    server = LocalSocketServer(profile)
    try:
        assert server.start(), server.errorString()
        assert len(probes) == 2  # asked again, not given up at the first silence
        assert all(0 < timeout <= local_server.PROBE_SECONDS for timeout in probes)
    finally:
        server.close()
