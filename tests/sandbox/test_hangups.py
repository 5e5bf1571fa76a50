"""A client that hangs up mid-answer is normal (that is what a deadline does): the sandbox's
console must stay quiet, not print aiohttp's "Error handling request" traceback."""

from __future__ import annotations

import json
import logging
import socket
import time

import pytest

from app.sandbox.server import SandboxServer
from tests.sandbox.helpers import SSID

CONTACT_PATH = "/api/v2/agentDashboard/contactInfo"
HUNG_UP = "client hung up"


def _post_and_hang_up_after_the_headers(sandbox: SandboxServer) -> None:
    body = json.dumps({**SSID, "callerNumber": "919876543210"}).encode()
    request = (f"POST {CONTACT_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
               ).encode() + body
    assert sandbox.port is not None
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=10) as client:
        client.sendall(request)
        first = client.recv(4096)  # the headers and the first trickled piece
        assert first.startswith(b"HTTP/1.1 200")


def _wait_for_record(caplog: pytest.LogCaptureFixture, timeout: float = 10.0) -> None:
    """Until the handler has met the hang-up: quietly (debug) or loudly (an error record)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(HUNG_UP in r.getMessage() or r.levelno >= logging.ERROR for r in caplog.records):
            return
        time.sleep(0.02)  # polling a condition, bounded by the deadline


@pytest.mark.parametrize("trickle_ms", [400, 2000])
def test_a_client_hanging_up_mid_trickle_logs_no_error(sandbox: SandboxServer,
                                                       caplog: pytest.LogCaptureFixture,
                                                       trickle_ms: int) -> None:
    caplog.set_level(logging.DEBUG, logger="app.sandbox")
    sandbox.set_faults(f"trickle={trickle_ms}")
    _post_and_hang_up_after_the_headers(sandbox)
    _wait_for_record(caplog)
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not errors, [f"{r.name}: {r.getMessage()}" for r in errors]
    assert any(HUNG_UP in r.getMessage() for r in caplog.records)


def test_the_sandbox_still_answers_after_a_hang_up(sandbox: SandboxServer,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    import httpx

    caplog.set_level(logging.DEBUG, logger="app.sandbox")
    sandbox.set_faults("trickle=400*1")
    _post_and_hang_up_after_the_headers(sandbox)
    _wait_for_record(caplog)
    answer = httpx.post(sandbox.base_url + CONTACT_PATH,
                        json={**SSID, "callerNumber": "919876543210"}, timeout=10).json()
    assert answer["status"] == "success"
