"""Running the sandbox: the in-process server's lifecycle and ``screenpop sandbox`` itself."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

import httpx
import pytest

from app.sandbox.accounts import ACCOUNTS, DEMO_SSID, DEMO_USER_ID
from app.sandbox.faults import Fault, FaultKind
from app.sandbox.seed import DEMO_KNOWN_NUMBER
from app.sandbox.server import SandboxServer
from tests.platforms import posix_only
from tests.sandbox.helpers import SSID, error_code

CONTACT_PATH = "/api/v2/agentDashboard/contactInfo"
CONTACT_BODY = {**SSID, "callerNumber": DEMO_KNOWN_NUMBER}


def test_start_listens_on_loopback_and_stop_closes_the_port() -> None:
    server = SandboxServer()
    with pytest.raises(RuntimeError):
        _ = server.base_url
    with server:
        url = server.base_url
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        assert httpx.post(url + CONTACT_PATH, json=CONTACT_BODY).status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.post(url + CONTACT_PATH, json=CONTACT_BODY)
    server.stop()  # idempotent


def test_two_servers_have_separate_data_and_ports(sandbox: SandboxServer) -> None:
    with SandboxServer() as other:
        assert other.port != sandbox.port
        httpx.post(other.base_url + "/api/v2/Directory/update", json={
            **SSID, "contact": DEMO_KNOWN_NUMBER, "contactinfo": {"name": "Changed"}})
        mine = httpx.post(sandbox.base_url + CONTACT_PATH, json=CONTACT_BODY).json()
        assert mine["message"]["Cu"]["Name"] == "Aarav Mehta"


def test_a_busy_port_raises_oserror(sandbox: SandboxServer) -> None:
    assert sandbox.port is not None
    with pytest.raises(OSError, match="in use"):
        SandboxServer(port=sandbox.port).start()


def test_startup_faults_apply_and_survive_reset() -> None:
    with SandboxServer(faults=[Fault(FaultKind.INTERNAL)]) as server:
        assert error_code(httpx.post(server.base_url + CONTACT_PATH, json=CONTACT_BODY).json()) \
            == 1032
        server.clear_faults()
        assert error_code(httpx.post(server.base_url + CONTACT_PATH,
                                     json=CONTACT_BODY).json()) is None
        server.reset()
        assert server.faults() == [Fault(FaultKind.INTERNAL)]


def test_account_repr_hides_secrets() -> None:
    for account in ACCOUNTS:
        assert account.token not in repr(account)
        assert account.ssid not in repr(account)


# --- screenpop sandbox ---------------------------------------------------------------------------

def _cli(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "app", "sandbox", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def cli_sandbox() -> Iterator[tuple[subprocess.Popen[str], str, list[str]]]:
    """A ``screenpop sandbox`` child with a fault flag; (process, base URL, lines so far)."""
    process = _cli("--port", "0", "--internal", "--fault-action", "counters",
                   "--fault-times", "1")
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:  # blocks until the child prints; pytest-timeout guards
            lines.append(line)
            match = re.search(r"listening on (http://\S+)", line)
            if match:
                break
        else:
            raise AssertionError(f"no base URL printed: {lines} {process.stderr}")
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Press Ctrl+C"):
                break
        yield process, match.group(1), lines
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def test_cli_serves_prints_demo_user_and_applies_fault_flags(
        cli_sandbox: tuple[subprocess.Popen[str], str, list[str]]) -> None:
    _process, url, lines = cli_sandbox
    text = "".join(lines)
    assert DEMO_USER_ID in text
    assert "demo values" in text
    assert "The sandbox's demo accounts" in text  # the README section that lists them
    assert f"screenpop lookup +919876543210 --brand {url} --user-id {DEMO_USER_ID}" in text
    assert DEMO_SSID not in text
    assert all(a.token not in text for a in ACCOUNTS)
    counters = httpx.post(url + "/api/v2/agentDashboard/counters", json=SSID).json()
    assert error_code(counters) == 1032  # --internal, scoped to counters, once
    assert error_code(httpx.post(url + "/api/v2/agentDashboard/counters", json=SSID).json()) \
        is None
    assert error_code(httpx.post(url + CONTACT_PATH, json=CONTACT_BODY).json()) is None


@posix_only("SIGTERM and SIGINT sent to a child (Windows ends it, or refuses SIGINT)")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_cli_exits_cleanly_on_sigterm_and_ctrl_c(
        cli_sandbox: tuple[subprocess.Popen[str], str, list[str]], signum: int) -> None:
    process, _url, _lines = cli_sandbox
    process.send_signal(signum)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "Sandbox stopped." in out
    assert "Traceback" not in err


def test_cli_busy_port_is_a_plain_message(sandbox: SandboxServer) -> None:
    process = _cli("--port", str(sandbox.port))
    out, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert f"cannot listen on 127.0.0.1:{sandbox.port}" in err
    assert "Traceback" not in err + out


@pytest.mark.parametrize("args", [["--fault", "explode"], ["--port", "70000"],
                                  ["--latency", "soon"], ["--fault-times", "0", "--drop"]])
def test_cli_bad_flags_are_usage_errors(args: list[str]) -> None:
    process = _cli(*args)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "usage: screenpop sandbox" in err
    assert "Traceback" not in err + out


def test_stop_does_not_wait_for_a_slow_answer_in_flight() -> None:
    server = SandboxServer().start()
    server.set_faults("trickle=60000")
    outcome: list[BaseException | None] = []
    client_done = threading.Event()

    def slow_client() -> None:
        try:
            httpx.post(server.base_url + CONTACT_PATH, json=CONTACT_BODY, timeout=120)
            outcome.append(None)
        except httpx.HTTPError as error:
            outcome.append(error)
        client_done.set()

    thread = threading.Thread(target=slow_client)
    thread.start()
    assert server.wait_for_requests(1, timeout=10)
    server.stop()  # pytest-timeout fails the test if this waits for the 60 s trickle
    assert client_done.wait(10)
    thread.join()
    assert isinstance(outcome[0], httpx.TransportError)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", "192.0.2.10", "sandbox.example",
                                  "[::1", "::1]"])
def test_cli_refuses_a_host_off_loopback_without_allow_remote(host: str) -> None:
    # Its control API (/__sandbox__/...) has no authentication: not on the network by accident.
    process = _cli("--host", host, "--port", "0")
    try:
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:  # it listens: the very failure this test is about
            process.kill()
            process.communicate(timeout=10)
    assert process.returncode == 2
    assert "not a loopback address" in err
    assert "--allow-remote" in err
    assert "listening on" not in out
    assert "Traceback" not in err + out


def test_cli_with_allow_remote_listens_and_warns() -> None:
    process = _cli("--host", "0.0.0.0", "--port", "0", "--allow-remote")
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # blocks until the child prints; pytest-timeout guards
        assert "listening on http://0.0.0.0:" in first
    finally:
        process.terminate()
        _out, err = process.communicate(timeout=20)
    assert "warning: the sandbox listens on 0.0.0.0" in err
    assert "no authentication" in err


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_hosts_need_no_flag(host: str) -> None:
    from app.sandbox.cli import is_loopback_host

    assert is_loopback_host(host)


def _ipv6_loopback_available() -> bool:
    import socket

    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.parametrize(("host", "listens_on"), [
    ("localhost", "http://127.0.0.1:"),  # not whatever /etc/hosts makes of the name
    ("::1", "http://[::1]:"), ("[::1]", "http://[::1]:")])
def test_cli_listens_on_the_loopback_it_was_given(host: str, listens_on: str) -> None:
    if ":" in host and not _ipv6_loopback_available():
        pytest.skip("needs IPv6 on the loopback interface")
    process = _cli("--host", host, "--port", "0")
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # blocks until the child prints; pytest-timeout guards
        assert f"listening on {listens_on}" in first, first
        url = first.split("listening on ", 1)[1].strip()
        reply = httpx.post(url + CONTACT_PATH, json=CONTACT_BODY, timeout=10).json()
        assert error_code(reply) is None
    finally:
        process.terminate()
        _out, err = process.communicate(timeout=20)
    assert "warning" not in err
