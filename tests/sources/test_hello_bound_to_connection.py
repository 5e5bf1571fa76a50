"""The hello proves who serves THIS connection, not just that someone can reach the app: a
process in the middle that relays the hello to the real app gets nothing (issue 13, review
13-win F2). On Windows the pipe server's PID (``GetNamedPipeServerProcessId``), here the
socket peer's (``SO_PEERCRED``), must be the PID the proof names."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QDir
from pytestqt.qtbot import QtBot

from app.sources import forward
from app.sources.forward import NotOurApp, exchange
from app.sources.local_server import LocalSocketServer
from app.sources.socket_address import server_name
from tests.sources.pipe_fixtures import (
    NOT_ON_WINDOWS,
    NUMBER,
    heard,
    squat,
)
from tests.sources.processes import LineProcess

pytestmark = [NOT_ON_WINDOWS, pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the peer's PID is read with SO_PEERCRED")]


def test_a_relaying_squatter_gets_no_number(windows: list[int], profile: Path,
                                            qtbot: QtBot) -> None:
    """On Windows: the app listening on instances of a pipe the squatter created first; here:
    the real app at another name, the squatter (its own process) relaying to it."""
    real = LocalSocketServer(profile)
    real.name = server_name(profile) + "-real"  # stands for "another instance of that pipe"
    assert real.start(), real.errorString()
    pops: list[object] = []
    real.popRequested.connect(pops.append)
    relay = squat(server_name(profile), "relay", os.path.join(QDir.tempPath(), real.name))
    try:
        client = LineProcess([sys.executable, "-m", "tests.sources.pipe_client", str(profile),
                              NUMBER])
        qtbot.waitUntil(lambda: client.proc.poll() is not None, timeout=30_000)
    finally:
        told = heard(relay)
        qtbot.waitUntil(lambda: real.connection_count == 0)  # the relay's link has gone
        real.close()
    assert len(told) == 1  # the hello, relayed; then nothing
    assert not any("8302390884" in line for line in told), told
    assert "NotOurApp" in client.stderr_text
    assert "GRANTED" not in client.seen
    assert pops == []


def test_the_real_app_serving_the_connection_passes(windows: list[int], profile: Path,
                                                    qtbot: QtBot) -> None:
    instance = squat(server_name(profile), "prove", profile)  # our own app, its own process
    try:
        assert exchange(profile, "state")["ok"] is True
    finally:
        instance.stop()


def test_a_connection_served_by_another_pid_is_refused(
        windows: list[int], profile: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    instance = squat(server_name(profile), "prove", profile)
    monkeypatch.setattr(forward, "connection_server_pid", lambda sock: 1)
    try:
        with pytest.raises(NotOurApp, match="another process serves"):
            exchange(profile, "state")
    finally:
        instance.stop()


def test_where_the_server_pid_cannot_be_read_the_proof_alone_decides(
        windows: list[int], profile: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    instance = squat(server_name(profile), "prove", profile)
    monkeypatch.setattr(forward, "connection_server_pid", lambda sock: None)
    try:
        assert exchange(profile, "state")["ok"] is True
    finally:
        instance.stop()
