"""LocalSocketServer in this process (signals, state provider), clients in worker threads."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication
from pytestqt.qtbot import QtBot

from app.core.pop_request import CallEvent, PopRequest
from app.sources.forward import forward
from app.sources.local_server import LocalSocketServer, ServerLimits
from app.sources.single_instance import SingleInstance
from tests.platforms import posix_only

# A raw client of the OS's own (one that writes lines at once, or never reads): AF_UNIX.
RAW_CLIENT = posix_only("a raw AF_UNIX socket client")


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=2) as executor:
        yield executor


def ask(qtbot: QtBot, pool: ThreadPoolExecutor, profile: Path, line: str) -> dict[str, Any]:
    """Send ``line`` from a worker thread while this thread's Qt loop serves it."""
    future: Future[dict[str, Any] | None] = pool.submit(forward, profile, line, 5.0)
    qtbot.waitUntil(future.done, timeout=8000)
    reply = future.result()
    assert reply is not None
    return reply


def test_signals_and_state(qtbot: QtBot, qapp: QCoreApplication, tmp_path: Path,
                           pool: ThreadPoolExecutor) -> None:
    state: dict[str, Any] = {"status": "found", "number": "+918302390884"}
    server = LocalSocketServer(tmp_path, lambda: state, default_region="GB")
    assert server.start(), server.errorString()
    try:
        pops: list[PopRequest] = []
        server.popRequested.connect(pops.append)
        assert ask(qtbot, pool, tmp_path, '{"number":"020 7219 3000","callId":"9"}') == {
            "ok": True, "number": "+442072193000"}
        assert pops == [PopRequest("+442072193000", call_id="9")]

        with qtbot.waitSignal(server.showRequested, timeout=3000):
            assert ask(qtbot, pool, tmp_path, "show") == {"ok": True, "shown": True}

        assert ask(qtbot, pool, tmp_path, "state") == {"ok": True, "state": state}

        def broken() -> dict[str, Any]:
            raise RuntimeError("the window is gone")

        server.set_state_provider(broken)
        assert ask(qtbot, pool, tmp_path, "state") == {"ok": False,
                                                       "error": "state is not available"}
        server.set_state_provider(None)
        assert ask(qtbot, pool, tmp_path, "state") == {"ok": False,
                                                       "error": "state is not available yet"}
        assert ask(qtbot, pool, tmp_path, "12345")["ok"] is False
        assert len(pops) == 1
        qtbot.waitUntil(lambda: server.connection_count == 0, timeout=3000)
    finally:
        server.close()
    assert forward(tmp_path, "state", 1.0) is None


def test_call_events_and_withheld_callers(qtbot: QtBot, qapp: QCoreApplication,
                                          tmp_path: Path, pool: ThreadPoolExecutor) -> None:
    server = LocalSocketServer(tmp_path, lambda: {})
    assert server.start(), server.errorString()
    try:
        pops: list[PopRequest] = []
        events: list[CallEvent] = []
        server.popRequested.connect(pops.append)
        server.callEventReceived.connect(events.append)
        ringing = '{"event":"ringing","callId":"c-1","number":"anonymous","line":"Sales IN"}'
        assert ask(qtbot, pool, tmp_path, ringing) == {"ok": True, "number": None,
                                                       "withheld": True}
        assert pops == [PopRequest(None, call_id="c-1", line="Sales IN")]
        assert ask(qtbot, pool, tmp_path, '{"event":"answered","callId":"c-1"}') == {
            "ok": True, "event": "answered", "callId": "c-1"}
        transfer = '{"event":"transferred","callId":"c-2","number":"8302390884","fromAgent":"P"}'
        assert ask(qtbot, pool, tmp_path, transfer) == {
            "ok": True, "event": "transferred", "callId": "c-2"}
        assert events == [CallEvent("answered", "c-1"),
                          CallEvent("transferred", "c-2", number="+918302390884",
                                    from_agent="P")]
        assert ask(qtbot, pool, tmp_path, '{"event":"ended"}') == {
            "ok": False, "error": 'missing "callId" (every call event needs it)'}
        assert len(events) == 2
        assert len(pops) == 1
    finally:
        server.close()


@RAW_CLIENT
def test_events_count_against_the_pop_rate_limit(qtbot: QtBot, qapp: QCoreApplication,
                                                 tmp_path: Path,
                                                 pool: ThreadPoolExecutor) -> None:
    server = LocalSocketServer(tmp_path, lambda: {},
                               limits=ServerLimits(max_pops_per_second=2))
    assert server.start(), server.errorString()
    try:
        events: list[CallEvent] = []
        server.callEventReceived.connect(events.append)
        lines = [f'{{"event":"ended","callId":"c-{n}"}}' for n in range(3)]
        # One request, three lines: all within the same second of the server's clock.
        future: Future[list[dict[str, Any]]] = pool.submit(_ask_many, tmp_path, lines)
        qtbot.waitUntil(future.done, timeout=8000)
        replies = future.result()
        assert [reply["ok"] for reply in replies[:2]] == [True, True]
        assert replies[2] == {"ok": False, "error": "too many pops; slow down"}
        assert [event.call_id for event in events] == ["c-0", "c-1"]
    finally:
        server.close()


def _ask_many(profile: Path, lines: list[str]) -> list[dict[str, Any]]:
    from app.sources.socket_address import server_name

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(server_name(profile))
        sock.sendall("".join(line + "\n" for line in lines).encode())
        with sock.makefile("rb") as replies:
            return [json.loads(replies.readline()) for _ in lines]


def test_single_instance_lock(tmp_path: Path) -> None:
    first, second = SingleInstance(tmp_path), SingleInstance(tmp_path)
    assert first.acquire()
    assert not second.acquire()
    assert second.holder_pid() is not None
    first.release()
    assert second.acquire()
    second.release()


@RAW_CLIENT
def test_a_client_that_never_reads_its_replies_does_not_keep_a_slot(
        qtbot: QtBot, qapp: QCoreApplication, tmp_path: Path) -> None:
    # Hung up on for not reading, the client still holds unread replies: the flush must not
    # wait for it forever, or a few such clients use up every connection slot.
    big_state: dict[str, Any] = {"fields": {"notes": "x" * 200_000}}
    server = LocalSocketServer(tmp_path, lambda: big_state,
                               limits=ServerLimits(idle_timeout_ms=300,
                                                   max_unread_reply_bytes=64 * 1024))
    assert server.start(), server.errorString()
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.connect(server.name)
        client.sendall(b"state\n" * 8)  # and never read a byte
        qtbot.waitUntil(lambda: server.connection_count == 1, timeout=3000)
        qtbot.waitUntil(lambda: server.connection_count == 0, timeout=5000)
    finally:
        client.close()
        server.close()
