"""The local socket and single instance, with real clients in other processes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.pop_request import MAX_LINE_BYTES
from app.sources.forward import exchange, forward
from app.sources.socket_address import server_name
from tests.sources.processes import (
    REPO,
    LineProcess,
    harness,
    screenpop,
    screenpop_into_each_dead_end,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX socket files")


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    path = tmp_path / "profile with a long, long name" / ("deep" * 20)
    path.mkdir(parents=True)
    return path


@pytest.fixture
def running(profile: Path) -> Iterator[LineProcess]:
    proc = harness(profile, idle_ms=1500)
    assert proc.expect("LISTENING ") == server_name(profile)
    yield proc
    proc.stop()


class RawClient:
    """A byte-level client, for sending what no well-behaved client would."""

    def __init__(self, profile: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(server_name(profile))
        self.file = self.sock.makefile("rb")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reply(self) -> dict[str, object]:
        line = self.file.readline()
        assert line.endswith(b"\n"), f"no reply line (connection closed?): {line!r}"
        reply = json.loads(line)
        assert isinstance(reply, dict)
        return reply

    def closed_by_server(self) -> bool:
        return self.file.readline() == b""

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def test_a_client_in_another_process_pops_a_number(running: LineProcess, profile: Path) -> None:
    result = screenpop("pop", "08302390884", "--call-id", "c-77", "--direction", "inbound",
                       "--line", "Sales IN", "--profile", str(profile))
    assert result.returncode == 0, result.stderr
    assert "+91 83023 90884" in result.stdout
    pop = json.loads(running.expect("POP "))
    assert pop == {"number": "+918302390884", "call_id": "c-77", "direction": "inbound",
                   "source": "cli", "line": "Sales IN", "from_agent": None}

    tel = screenpop("tel:+91-83023-90884", "--profile", str(profile))
    assert tel.returncode == 0, tel.stderr
    assert json.loads(running.expect("POP "))["number"] == "+918302390884"

    state = screenpop("state", "--profile", str(profile))
    assert state.returncode == 0, state.stderr
    assert json.loads(state.stdout)["pops"] == 2


def test_the_qt_transport_speaks_the_same_protocol(running: LineProcess, profile: Path) -> None:
    assert exchange(profile, "8302390884", transport="qt") == {"ok": True,
                                                                "number": "+918302390884"}
    assert json.loads(running.expect("POP "))["number"] == "+918302390884"
    assert exchange(profile, "state", transport="qt")["state"]["pops"] == 1


def test_invalid_numbers_are_refused_before_and_by_the_server(running: LineProcess,
                                                              profile: Path) -> None:
    result = screenpop("pop", "12345", "--profile", str(profile))
    assert result.returncode == 2
    assert "is not a valid phone number" in result.stderr
    assert "Traceback" not in result.stderr
    reply = forward(profile, '{"number": "12345"}')
    assert reply == {"ok": False, "error": "not a valid phone number: '12345'"}
    assert forward(profile, "state") == {"ok": True, "state": {
        "status": "idle", "pops": 0, "pid": running.proc.pid}}


def test_state_without_an_instance_says_so(profile: Path) -> None:
    result = screenpop("state", "--profile", str(profile))
    assert result.returncode == 3
    assert "Screen-Pop is not running" in result.stderr
    assert result.stdout == ""
    no_start = screenpop("pop", "08302390884", "--no-start", "--profile", str(profile))
    assert no_start.returncode == 5
    assert "not running" in no_start.stderr


def test_junk_gets_errors_and_the_server_keeps_serving(running: LineProcess,
                                                       profile: Path) -> None:
    client = RawClient(profile)
    for junk, reason in [
        (b"\xff\xfe\xfd083\n", "not UTF-8"),
        (b'{"number": "083023\n', "broken JSON"),
        (b"\x00\x01\x02\x03\x04\x7f\n", "control characters"),
        (b"[[[[[[[[\n", "not a valid phone number"),
        (b'{"cmd": "rm -rf /"}\n', "unknown command"),
    ]:
        client.send(junk)
        reply = client.reply()
        assert reply["ok"] is False
        assert reason in str(reply["error"])
    # Several lines in one write, split across writes, with CRLF: each answered in order.
    client.send(b"08302390884\r\nsta")
    client.send(b"te\n")
    assert client.reply() == {"ok": True, "number": "+918302390884"}
    assert client.reply()["ok"] is True
    assert json.loads(running.expect("POP "))["number"] == "+918302390884"

    client.send(b"9" * (10 * 1024) + b"\n")
    reply = client.reply()
    assert reply == {"ok": False, "error": f"line longer than {MAX_LINE_BYTES} bytes"}
    assert client.closed_by_server()
    client.close()

    # A huge line without any newline is cut off too, before it fills memory.
    flood = RawClient(profile)
    flood.send(os.urandom(MAX_LINE_BYTES + 512).replace(b"\n", b"x"))
    assert "longer than" in str(flood.reply()["error"])
    assert flood.closed_by_server()
    flood.close()

    assert forward(profile, "+918302390884") == {"ok": True, "number": "+918302390884"}
    assert running.proc.poll() is None


def test_rate_idle_and_connection_limits(running: LineProcess, profile: Path) -> None:
    fast = RawClient(profile)
    fast.send(b"state\n" * 30)
    replies = [fast.reply() for _ in range(21)]
    assert all(r["ok"] is True for r in replies[:20])
    assert replies[20] == {"ok": False, "error": "too many messages; slow down"}
    assert fast.closed_by_server()
    fast.close()

    idle = RawClient(profile)  # the harness runs with a 1.5 s idle timeout
    assert idle.reply() == {"ok": False, "error": "idle timeout"}
    assert idle.closed_by_server()
    idle.close()

    assert running.proc.poll() is None


def test_a_server_full_of_busy_connections_refuses_the_newcomer(tmp_path: Path) -> None:
    # Each slot has a line under way: no connection is idle, none is taken away; the
    # newcomer hears why. A refused connection, closing, does not take a slot itself.
    server = harness(tmp_path, idle_ms=60_000)
    crowd: list[RawClient] = []
    try:
        server.expect("LISTENING ")
        crowd += [RawClient(tmp_path) for _ in range(16)]
        for client in crowd:  # each connection is registered once it answers; then a line begins
            client.send(b"state\n")
            assert client.reply()["ok"] is True
            client.send(b"0830")
        for _ in range(3):
            extra = RawClient(tmp_path)
            assert extra.reply() == {"ok": False, "error": "too many connections; try again"}
            assert extra.closed_by_server()
            extra.close()
        crowd.pop().close()  # once one hangs up, new clients are served again
        deadline = time.monotonic() + 10
        while (reply := forward(tmp_path, "state")) is None or not reply["ok"]:
            assert time.monotonic() < deadline, reply
    finally:
        for client in crowd:
            client.close()
        server.stop()


def test_clients_answered_in_time_cannot_hold_every_slot(profile: Path) -> None:
    # 16 clients asking `state` now and then, each line well inside its deadline, held every
    # slot for ever. Full, the server now makes room by closing the connection idle longest
    # (no line under way, no reply unread); which one is decided by order, not by a clock.
    server = harness(profile, idle_ms=60_000)
    crowd: list[RawClient] = []
    try:
        server.expect("LISTENING ")
        crowd += [RawClient(profile) for _ in range(16)]
        for client in crowd:
            client.send(b"state\n")
            assert client.reply()["ok"] is True
        crowd[0].send(b"state\n")  # the first is active again: the second is now idle longest
        assert crowd[0].reply()["ok"] is True
        for _ in range(3):  # the first takes the second's slot; the next ones find it free
            popped = screenpop("pop", "08302390884", "--profile", str(profile))
            assert popped.returncode == 0, popped.stderr
            assert json.loads(server.expect("POP "))["number"] == "+918302390884"
        assert crowd[1].reply() == {"ok": False, "error": "closed to make room for another client"}
        assert crowd[1].closed_by_server()
        for client in (crowd[0], *crowd[2:]):  # the others keep their connection
            client.send(b"state\n")
            assert client.reply()["ok"] is True
    finally:
        for client in crowd:
            client.close()
        server.stop()


def test_a_stale_socket_from_a_crash_is_recovered(profile: Path) -> None:
    first = harness(profile)
    address = first.expect("LISTENING ")
    first.proc.kill()  # SIGKILL: no cleanup, the socket file and the lock file stay behind
    first.proc.wait(timeout=10)
    first.stop()
    assert Path(address).exists()
    assert forward(profile, "state") is None  # nobody answers on it

    second = harness(profile)
    try:
        assert second.expect("LISTENING ") == address
        assert forward(profile, "08302390884") == {"ok": True, "number": "+918302390884"}
        assert json.loads(second.expect("POP "))["number"] == "+918302390884"
    finally:
        second.stop()


def test_a_socket_file_with_a_live_owner_is_not_stolen(running: LineProcess,
                                                       profile: Path) -> None:
    # Remove the lock so only the socket check stands between a second server and the first.
    (profile / "screenpop.lock").unlink()
    second = harness(profile)
    try:
        assert "another Screen-Pop instance already listens" in second.expect("FAILED ")
        assert second.proc.wait(timeout=10) == 4
    finally:
        second.stop()
    assert forward(profile, "state") is not None


def test_near_simultaneous_starts_end_with_one_instance(profile: Path) -> None:
    starts = [harness(profile) for _ in range(3)]
    try:
        firsts = [proc.next_line() for proc in starts]
        listening = [p for p, line in zip(starts, firsts, strict=True)
                     if line.startswith("LISTENING")]
        forwarded = [p for p, line in zip(starts, firsts, strict=True)
                     if line.startswith("FORWARDED")]
        assert len(listening) == 1, firsts
        assert len(forwarded) == 2, firsts
        for proc in forwarded:
            assert proc.proc.wait(timeout=10) == 0
        assert listening[0].expect("SHOW") == ""
        assert listening[0].expect("SHOW") == ""
        assert listening[0].proc.poll() is None
    finally:
        for proc in starts:
            proc.stop()


def test_pop_starts_the_app_when_none_runs(profile: Path,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from app.commands import pop

    assert pop.app_command(str(profile)) == [sys.executable, "-m", "app", "--profile",
                                             str(profile)]
    # The headless harness stands in for `python -m app --profile DIR` here (fast, no X);
    # test_real_app.py does the same with the real app on Xvfb.
    launched: list[str | None] = []

    def harness_command(profile_arg: str | None) -> list[str]:
        launched.append(profile_arg)
        return [sys.executable, "-m", "tests.sources.instance_harness", str(profile)]

    monkeypatch.setattr(pop, "app_command", harness_command)
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    try:
        assert pop.main(["08302390884", "--call-id", "c-9", "--profile", str(profile)]) == 0
        assert launched == [str(profile)]
        assert "+91 83023 90884" in capsys.readouterr().out
        state = forward(profile, "state")
        assert state is not None
        assert state["state"]["pops"] == 1
    finally:
        state = forward(profile, "state")
        if state is not None:
            os.kill(state["state"]["pid"], signal.SIGTERM)


def test_pop_gives_up_clearly_when_the_app_never_answers(
        profile: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from app.commands import pop

    monkeypatch.setattr(pop, "app_command", lambda _p: [sys.executable, "-c", "pass"])
    started = time.monotonic()
    assert pop.main(["08302390884", "--wait", "1", "--profile", str(profile)]) == 5
    assert time.monotonic() - started < 10
    assert "did not answer within 1 s" in capsys.readouterr().err


@pytest.fixture
def other_user() -> Iterator[str]:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("needs root to create another OS user (CI runs as root)")
    for tool in ("useradd", "userdel", "runuser"):
        if shutil.which(tool) is None:
            pytest.skip(f"needs {tool} (package passwd/util-linux)")
    name = f"sptest{uuid.uuid4().hex[:8]}"
    subprocess.run(["useradd", "--no-create-home", "--shell", "/bin/sh", name], check=True,
                   capture_output=True, timeout=30)
    try:
        yield name
    finally:
        subprocess.run(["userdel", name], check=False, capture_output=True, timeout=30)


CONNECT_AS_OTHER = """
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
try:
    s.connect(sys.argv[1])
    s.sendall(b"08302390884\\n")
    print("REPLY", s.recv(200))
except OSError as err:
    print("REFUSED", type(err).__name__)
"""


CONNECT_AS_OTHER_PERL = r"""
use Socket;
socket(my $s, PF_UNIX, SOCK_STREAM, 0) or die;
if (connect($s, sockaddr_un($ARGV[0]))) { print "REPLY connected\n"; }
else { print "REFUSED $!\n"; }
"""


def _client_for_other_user() -> list[str]:
    """An interpreter the other user may run (the project's venv lives under root's tools)."""
    for python in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.access(python, os.X_OK):
            return [python, "-c", CONNECT_AS_OTHER]
    if os.access("/usr/bin/perl", os.X_OK):
        return ["/usr/bin/perl", "-e", CONNECT_AS_OTHER_PERL]
    pytest.skip("needs a system-wide python3 or perl for the other user's client")


def test_another_os_user_is_refused(running: LineProcess, profile: Path, other_user: str) -> None:
    result = subprocess.run(
        ["runuser", "-u", other_user, "--", *_client_for_other_user(), server_name(profile)],
        capture_output=True, text=True, timeout=30, check=False, cwd="/",
    )
    import pwd  # here, not at the top: Windows has no pwd module, and this file must import

    assert pwd.getpwnam(other_user).pw_uid != os.getuid()
    assert result.stdout.startswith("REFUSED"), (result.stdout, result.stderr)
    # The server is unharmed and saw no pop from the stranger.
    assert forward(profile, "state") == {"ok": True, "state": {
        "status": "idle", "pops": 0, "pid": running.proc.pid}}


PROBE_AS_OTHER = """
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
try:
    s.connect(sys.argv[1])
except OSError as err:
    print("NOT CONNECTED", type(err).__name__)
    sys.exit()
print("CONNECTED")
try:
    s.sendall(b"08302390884\\n")
    print("REPLY", s.recv(200))
except OSError as err:
    print("DROPPED", type(err).__name__)
"""


def test_the_peer_check_refuses_another_user_who_reaches_the_socket(
        profile: Path, other_user: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The outer walls down (the directory and the socket file opened up, as a careless admin
    # or a loose umask might leave them): the server's own check of who connected
    # (SO_PEERCRED) must still refuse the stranger. The stranger is a real unprivileged user.
    # A temporary directory of this test's own: the shared one must never be opened up.
    python = "/usr/bin/python3"
    if not os.access(python, os.X_OK):
        pytest.skip("needs a system-wide python3 for the other user's client")
    base = Path(tempfile.mkdtemp(prefix="spp", dir="/tmp"))
    base.chmod(0o711)  # the other user may pass through, not list it
    monkeypatch.setattr(tempfile, "tempdir", str(base))
    running = LineProcess([sys.executable, "-m", "tests.sources.instance_harness", str(profile)],
                          env={"TMPDIR": str(base)})
    try:
        address = running.expect("LISTENING ")
        assert address == server_name(profile)
        assert Path(address).parent.parent == base
        Path(address).parent.chmod(0o711)
        os.chmod(address, 0o777)  # noqa: S103 (opened on purpose: a private test directory)
        result = subprocess.run(["runuser", "-u", other_user, "--", python, "-c",
                                 PROBE_AS_OTHER, address],
                                capture_output=True, text=True, timeout=30, check=False,
                                cwd="/")
        Path(address).parent.chmod(0o700)  # our own clients refuse a loosened directory
        lines = result.stdout.splitlines()
        assert lines[:1] == ["CONNECTED"], (result.stdout, result.stderr)  # walls were down
        assert lines[1] in ("REPLY b''", "DROPPED ConnectionResetError",
                            "DROPPED BrokenPipeError"), lines
        assert forward(profile, "state") == {"ok": True, "state": {
            "status": "idle", "pops": 0, "pid": running.proc.pid}}
    finally:
        running.stop()
        shutil.rmtree(base, ignore_errors=True)


def test_the_socket_file_admits_only_its_owner_whatever_the_umask(
        profile: Path) -> None:
    # Qt's UserAccessOption: without it the socket file takes the process umask, and a
    # umask of 0 would let any user who can reach the directory connect.
    proc = LineProcess([sys.executable, "-c",
                        "import os, runpy, sys; os.umask(0); sys.argv[1:] = sys.argv[2:]; "
                        "runpy.run_module('tests.sources.instance_harness', run_name='__main__')",
                        "-", str(profile)])
    try:
        address = proc.expect("LISTENING ")
        assert stat.S_IMODE(os.stat(address).st_mode) & 0o077 == 0
    finally:
        proc.stop()


def test_a_client_that_half_closes_after_its_lines_gets_every_reply(
        running: LineProcess, profile: Path) -> None:
    # `printf '...\n' | socat - UNIX-CONNECT:...` and `nc -N` send, then shut down their
    # writing side at once; the replies must still come back before the server hangs up.
    for _ in range(5):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(10)
            sock.connect(server_name(profile))
            sock.sendall(b"08302390884\n12345\n")
            sock.shutdown(socket.SHUT_WR)
            with sock.makefile("rb") as replies:
                assert json.loads(replies.readline()) == {"ok": True, "number": "+918302390884"}
                assert json.loads(replies.readline())["ok"] is False
        assert json.loads(running.expect("POP "))["number"] == "+918302390884"


def test_pops_are_rate_limited_across_connections(running: LineProcess, profile: Path) -> None:
    # One connection per pop, as `screenpop pop` does: a runaway loop must still be held back.
    replies = [forward(profile, f"+9198765432{n:02d}") for n in range(30)]
    refused = [r for r in replies if r == {"ok": False, "error": "too many pops; slow down"}]
    popped = [r for r in replies if r is not None and r["ok"] is True]
    assert refused, replies
    assert len(popped) + len(refused) == 30
    assert len(popped) >= 20  # the limit, not less (a slow machine may spread them further)
    for _ in popped:
        running.expect("POP ")
    # A new second serves again; state queries were never counted.
    assert forward(profile, "state") is not None
    deadline, pause = time.monotonic() + 10, 0.05
    while (reply := forward(profile, "+919876543299")) != {"ok": True,
                                                            "number": "+919876543299"}:
        assert time.monotonic() < deadline, reply
        time.sleep(pause)  # the window is the server's clock: poll it, gently
        pause = min(pause * 2, 0.4)
    assert json.loads(running.expect("POP "))["number"] == "+919876543299"


def test_clients_trickling_bytes_cannot_hold_every_slot(profile: Path) -> None:
    # Each line must be complete within the deadline from the connection (or the previous
    # line): bytes that never end a line do not extend it, as an idle timer's restart did.
    # Generous: the 40 refusals and a cold `python -m app pop` below must all happen while
    # the trickling clients still hold their slots, on a slow, loaded machine too.
    server = harness(profile, idle_ms=12_000)
    address = server.expect("LISTENING ")
    slow = LineProcess([sys.executable, "-m", "tests.sources.trickle_client", address, "0.2",
                        "16"])
    try:
        assert slow.expect("CONNECTED ") == "16"
        # While they hold every slot, a pop is refused as such, not as a broken pipe: the
        # server may hang up before the client has sent its line, so ask many times.
        refusal = {"ok": False, "error": "too many connections; try again"}
        assert [exchange(profile, "+918302390884") for _ in range(40)] == [refusal] * 40
        full = screenpop("pop", "08302390884", "--profile", str(profile))
        assert full.returncode == 1, full.stderr
        assert "too many connections" in full.stderr
        assert "Traceback" not in full.stderr
        for _ in range(16):
            assert slow.expect("CLOSED ", timeout=30) == json.dumps(
                {"ok": False, "error": "idle timeout"}, separators=(",", ":"))
        result = screenpop("pop", "08302390884", "--profile", str(profile))
        assert result.returncode == 0, result.stderr
        assert json.loads(server.expect("POP "))["number"] == "+918302390884"
    finally:
        slow.stop()
        server.stop()


def _screenpop_writing_to(stdout: int, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "app", *args], cwd=REPO, stdout=stdout,
                            stderr=subprocess.PIPE, text=True, timeout=40, check=False)
    assert "Traceback" not in result.stderr
    assert "Exception ignored" not in result.stderr
    return result


def _closed_pipe(*args: str) -> subprocess.CompletedProcess[str]:
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `screenpop ... | true`: the reader is gone before we write
    try:
        return _screenpop_writing_to(write_end, *args)
    finally:
        os.close(write_end)


def test_a_closed_pipe_is_quiet_and_the_pop_still_counts(running: LineProcess,
                                                         profile: Path) -> None:
    popped = _closed_pipe("pop", "08302390884", "--profile", str(profile))
    assert (popped.returncode, popped.stderr) == (0, "")
    assert json.loads(running.expect("POP "))["number"] == "+918302390884"
    state = _closed_pipe("state", "--profile", str(profile))
    assert (state.returncode, state.stderr) == (141, "")  # as `lookup` and a shell report it
    address = _closed_pipe("state", "--address", "--profile", str(profile))
    assert (address.returncode, address.stderr) == (141, "")


def test_a_full_disk_loses_the_output_not_the_pop(running: LineProcess, profile: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full (Linux) to simulate a full disk")
    with open("/dev/full", "w") as full:
        popped = _screenpop_writing_to(full.fileno(), "pop", "08302390884",
                                       "--profile", str(profile))
        state = _screenpop_writing_to(full.fileno(), "state", "--profile", str(profile))
    assert popped.returncode == 0  # the app has the number: a softphone must not retry
    assert "could not print" in popped.stderr
    assert json.loads(running.expect("POP "))["number"] == "+918302390884"
    assert state.returncode == 1
    assert state.stderr == ("screenpop state: could not write the state "
                            "(No space left on device).\n")


def test_a_pop_exits_0_when_stdout_and_stderr_are_both_lost(running: LineProcess,
                                                            profile: Path) -> None:
    # `screenpop pop N >/dev/full 2>&1`: the confirmation and the note about it are both lost,
    # but the app has the number, so the softphone must see 0 (and not pop the call again).
    codes = screenpop_into_each_dead_end("pop", "08302390884", "--profile", str(profile))
    assert set(codes.values()) == {0}, codes
    for _ in codes:
        assert json.loads(running.expect("POP "))["number"] == "+918302390884"
    state = screenpop_into_each_dead_end("state", "--profile", str(profile))
    assert state == {"full disk": 1, "closed pipe": 141} or state == {"closed pipe": 141}, state


def test_a_line_with_a_bom_or_foreign_digits_pops(running: LineProcess, profile: Path) -> None:
    client = RawClient(profile)
    client.send("\ufeff08302390884\n".encode())  # as a file saved by Windows Notepad starts
    assert client.reply() == {"ok": True, "number": "+918302390884"}
    client.send('{"number": "\u06f0\u06f8\u06f3\u06f0\u06f2\u06f3\u06f9\u06f0\u06f8\u06f8\u06f4"}\n'
                .encode())
    assert client.reply() == {"ok": True, "number": "+918302390884"}
    client.close()


def test_state_output_cannot_drive_the_terminal_and_survives_any_encoding(profile: Path) -> None:
    # A caller's name comes from DeepCall: a bidi override or a C1 CSI in it, written raw,
    # reorders or recolours the agent's terminal; a non-UTF-8 stdout must not end in a traceback.
    name = "\u202eevil\x9b31m \u0928\u093e\u092e"
    server = LineProcess([sys.executable, "-m", "tests.sources.instance_harness", str(profile)],
                         env={"HARNESS_STATE": json.dumps({"name": name})})
    try:
        server.expect("LISTENING ")
        for encoding in ("utf-8", "latin-1", "ascii"):
            result = subprocess.run([sys.executable, "-m", "app", "state", "--profile",
                                     str(profile)], cwd=REPO, capture_output=True, timeout=40,
                                    check=False, env={**os.environ, "PYTHONIOENCODING": encoding})
            assert result.returncode == 0, (encoding, result.stderr)
            assert result.stdout.isascii(), (encoding, result.stdout)
            assert json.loads(result.stdout)["name"] == name
    finally:
        server.stop()
