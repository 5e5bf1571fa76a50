"""A client that hangs up mid-request or mid-answer is normal (that is what a deadline does):
the sandbox's console must stay quiet, not print aiohttp's "Error handling request" traceback;
a malformed request gets one plain line."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time

import httpx
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


def _wait_for_record(caplog: pytest.LogCaptureFixture, timeout: float = 10.0,
                     words: str = HUNG_UP) -> None:
    """Until the server has met the client's behaviour: quietly (``words``) or loudly (error)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(words in r.getMessage() or r.levelno >= logging.ERROR for r in caplog.records):
            return
        time.sleep(0.02)  # polling a condition, bounded by the deadline


def _send_and_close(sandbox: SandboxServer, data: bytes, read_answer: bool = False) -> bytes:
    assert sandbox.port is not None
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=10) as client:
        client.sendall(data)
        return client.recv(4096) if read_answer else b""


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
    caplog.set_level(logging.DEBUG, logger="app.sandbox")
    sandbox.set_faults("trickle=400*1")
    _post_and_hang_up_after_the_headers(sandbox)
    _wait_for_record(caplog)
    answer = httpx.post(sandbox.base_url + CONTACT_PATH,
                        json={**SSID, "callerNumber": "919876543210"}, timeout=10).json()
    assert answer["status"] == "success"


def test_a_client_hanging_up_mid_request_body_logs_no_error(
        sandbox: SandboxServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="app.sandbox")
    _send_and_close(sandbox, (f"POST {CONTACT_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "Content-Length: 500\r\n\r\n{\"ssid\": ").encode())
    _wait_for_record(caplog)
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not errors, [f"{r.name}: {r.getMessage()}" for r in errors]
    assert any(HUNG_UP in r.getMessage() and r.exc_info is None for r in caplog.records)


def test_a_malformed_request_is_one_plain_line(sandbox: SandboxServer,
                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="app.sandbox")
    answer = _send_and_close(sandbox, b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 20000
                             + b"\r\n\r\n", read_answer=True)
    assert answer.startswith(b"HTTP/1.0 400") or answer.startswith(b"HTTP/1.1 400")
    _wait_for_record(caplog, words="malformed")
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in records] == [
        "sandbox: answered 400 to a malformed HTTP request (LineTooLong)"]
    assert records[0].exc_info is None  # no traceback
    assert "aaaa" not in records[0].getMessage()  # the request's bytes are not echoed


def test_the_filter_leaves_other_records_alone() -> None:
    from app.sandbox.console_log import ClientNoiseFilter

    try:
        raise ValueError("a real bug")
    except ValueError:
        record = logging.LogRecord("app.sandbox.http", logging.ERROR, __file__, 1,
                                   "Error handling request", (), sys.exc_info())
    assert ClientNoiseFilter().filter(record)
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert record.getMessage() == "Error handling request"


def test_the_console_of_screenpop_sandbox_shows_no_traceback_for_client_noise() -> None:

    process = subprocess.Popen([sys.executable, "-m", "app", "sandbox", "--trickle", "2000"],
                               env={**os.environ, "PYTHONUNBUFFERED": "1"}, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert process.stdout is not None
        assert process.stderr is not None
        port = None
        for line in process.stdout:
            if match := re.search(r"listening on http://127\.0\.0\.1:(\d+)", line):
                port = int(match.group(1))
                break
        assert port is not None
        body = json.dumps({**SSID, "callerNumber": "919876543210"}).encode()
        head = (f"POST {CONTACT_PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}"
                "\r\n\r\n").encode()
        for data, read in ((head + body, True), (head + body[:5], False)):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
                client.sendall(data)
                if read:
                    assert client.recv(4096).startswith(b"HTTP/1.1 200")  # then hang up
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            client.sendall(b"GET / HTTP/1.1\r\nX-Long: " + b"a" * 20000 + b"\r\n\r\n")
            client.recv(4096)
        # The malformed request's line shows the console is being written to; then stop.
        first = process.stderr.readline()
        assert "malformed HTTP request" in first
        process.send_signal(signal.SIGINT)
        _out, rest = process.communicate(timeout=20)
        assert "Traceback" not in first + rest
        assert "Error handling request" not in first + rest
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)
