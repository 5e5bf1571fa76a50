"""The forwarding client: send one line to the running instance, read its one-line JSON reply.

On POSIX it speaks to the socket with the standard library's ``AF_UNIX`` socket: no Qt import
(PySide6 costs 100+ ms to load), no QCoreApplication, real timeouts. That is what makes a
softphone's ``screenpop pop NUMBER`` or ``tel:`` hand-off cost well under a millisecond on top
of Python's start-up. Windows has no AF_UNIX for Qt's named pipes, so there (or when asked,
e.g. in tests) it uses a ``QLocalSocket`` with blocking waits, which also works without a
QCoreApplication; on that transport the client first checks it reached this user's own app
(the hello: app/sources/instance_proof.py) and grants it the foreground for a pop.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from app.core.pop_request import MAX_LINE_BYTES, STATE_LINE
from app.sources.socket_address import SocketDirError, check_runtime_dir, server_name

if TYPE_CHECKING:
    from PySide6.QtNetwork import QLocalSocket as QLocalSocketLike

Transport = Literal["auto", "unix", "qt"]
MAX_REPLY_BYTES = 1 << 20  # the state reply can hold a few fields; a megabyte is plenty


class NotListening(ConnectionError):
    """Nobody listens at the address (no instance, or it is still starting): safe to retry."""


class NoAnswer(ConnectionError):
    """The line was sent but no valid reply came back in time: retrying might pop twice."""


class UnsafeSocketDir(NotListening):
    """The address is not safe to talk through (the socket directory is someone else's or
    open to others): starting an instance would not help, it refuses the address too."""


class NotOurApp(UnsafeSocketDir):
    """Something answers at the address but cannot prove it is this user's own app (a named
    pipe someone else created first): nothing was sent to it, and waiting will not help."""


class UnreadableReply(NoAnswer):
    """What came back is not one JSON object on a line (or is far too long for one)."""


class GaveUp(NotListening):
    """Waiting for an instance was abandoned early because ``give_up()`` said so."""


def _decode_reply(raw: bytes) -> dict[str, Any]:
    try:
        reply = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: "[[[[..."
        raise UnreadableReply("the running instance sent an unreadable reply") from None
    if not isinstance(reply, dict):
        raise UnreadableReply("the running instance sent an unexpected reply")
    return reply


def _exchange_unix(address: str, payload: bytes, timeout: float) -> dict[str, Any]:
    try:
        check_runtime_dir(Path(address).parent, create=False)
    except FileNotFoundError:
        raise NotListening("no instance is running") from None
    except SocketDirError as err:
        raise UnsafeSocketDir(str(err)) from None
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(address)
        except (FileNotFoundError, ConnectionRefusedError) as err:
            raise NotListening("no instance is running") from err
        except PermissionError as err:
            raise NotListening(f"not allowed to connect to {address}") from err
        except TimeoutError as err:
            raise NotListening("the running instance does not accept connections") from err
        buffer = b""
        try:
            # A full server answers at once ("too many connections") and hangs up, maybe
            # before our line is out: its answer is still waiting to be read.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                sock.sendall(payload)
            while b"\n" not in buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise NoAnswer("the running instance did not answer in time")
                sock.settimeout(remaining)
                chunk = sock.recv(65536)
                if not chunk:
                    raise NoAnswer("the running instance closed the connection without answer")
                buffer += chunk
                if len(buffer) > MAX_REPLY_BYTES:
                    raise UnreadableReply("the running instance sent an oversized reply")
        except TimeoutError as err:
            raise NoAnswer("the running instance did not answer in time") from err
        except OSError as err:
            if isinstance(err, NoAnswer):
                raise
            raise NoAnswer(f"connection failed: {err.strerror or err}") from err
    return _decode_reply(buffer.split(b"\n", 1)[0])


def _remaining_ms(deadline: float) -> int:
    return max(1, int((deadline - time.monotonic()) * 1000))


def _ask_qt(sock: QLocalSocketLike, payload: bytes, deadline: float,
            pending: bytearray) -> dict[str, Any]:
    """Send ``payload`` on a connected QLocalSocket and read one reply line (blocking)."""
    sock.write(payload)
    sock.waitForBytesWritten(_remaining_ms(deadline))
    while b"\n" not in pending:
        waited = time.monotonic() < deadline and sock.waitForReadyRead(_remaining_ms(deadline))
        if not waited and sock.bytesAvailable() == 0:
            raise NoAnswer("the running instance did not answer in time")
        pending += bytes(sock.readAll().data())
        if len(pending) > MAX_REPLY_BYTES:
            raise UnreadableReply("the running instance sent an oversized reply")
    end = pending.index(b"\n")
    line = bytes(pending[:end])
    del pending[: end + 1]
    return _decode_reply(line)


def _connect_qt(name: str, deadline: float) -> QLocalSocketLike:
    from PySide6.QtNetwork import QLocalSocket  # lazy: only Windows (or tests) pay for Qt

    sock = QLocalSocket()
    sock.connectToServer(name)
    if not sock.waitForConnected(_remaining_ms(deadline)):
        error = sock.errorString()
        sock.abort()
        raise NotListening(f"no instance is running ({error})")
    return sock


def connection_server_pid(sock: QLocalSocketLike) -> int | None:
    """The PID of the process serving this connection; None where it cannot be read."""
    from app.sources.peer_process import server_pid

    return server_pid(int(sock.socketDescriptor()))


def _not_ours(name: str, why: str) -> NotOurApp:
    return NotOurApp(f"the program answering at {name} {why}, so nothing was sent to it "
                     "(another user may hold that name: ask IT to sign out their session, "
                     "then start Screen-Pop again)")


def _hello_qt(sock: QLocalSocketLike, name: str, key: bytes, deadline: float,
              pending: bytearray) -> int:
    """The PID of the app serving ``sock``, once it proved it is this user's own; NotOurApp
    when what answers cannot (whatever it sent), NoAnswer when nothing answered in time."""
    from app.sources.instance_proof import hello_line, new_nonce, proven_pid

    nonce = new_nonce()
    try:
        reply = _ask_qt(sock, (hello_line(nonce) + "\n").encode("ascii"), deadline, pending)
    except UnreadableReply:
        raise _not_ours(name, "could not prove it is your Screen-Pop") from None
    if reply.get("ok") is not True:
        # A refusal proves nothing either (our own app refuses only when full, before reading
        # the hello); its text is never shown: it may be anyone's.
        raise _not_ours(name, "refused without proving it is your Screen-Pop")
    pid = proven_pid(key, nonce, reply)
    if pid is None:
        raise _not_ours(name, "could not prove it is your Screen-Pop")
    # The proof says "this user's app can be reached", not "it serves this connection": a
    # process in the middle could pass the hello on to the real app (on Windows: one that
    # created the pipe before the app added its own instances to it). So the process at the
    # other end must be the one the proof names. Where that cannot be read (macOS' forced-Qt
    # path, a refused Windows call) the proof alone decides, as before.
    server = connection_server_pid(sock)
    if server is not None and server != pid:
        raise _not_ours(name, "could not prove it is your Screen-Pop (another process serves "
                              "this connection)")
    return pid


def _exchange_qt(name: str, payload: bytes, timeout: float, key: bytes,
                 grant_foreground: bool) -> dict[str, Any]:
    """The pipe client: the hello first, then (only to a proven app) the request."""
    deadline = time.monotonic() + timeout
    sock = _connect_qt(name, deadline)
    try:
        pending = bytearray()
        proven = _hello_qt(sock, name, key, deadline, pending)
        if grant_foreground:
            # Before the pop, so the app's own activation (``pop_takes_focus``) is allowed:
            # Windows lets a background process take the foreground only when granted. A
            # refusal (the usual case when the softphone is not in front) is not reported:
            # the app lifts the window without the keys then (app/ui/window_focus.py), and
            # this client has no log; its stderr is the softphone hook's.
            from app.sources.windows_api import allow_foreground

            allow_foreground(proven)
        return _ask_qt(sock, payload, deadline, pending)
    finally:
        sock.abort()


# What answers at a pipe that exists: this user's own app; something that answered without
# proving it is ("foreign"); nothing in time ("silent": busy, hung, or a previous instance
# still closing); nothing any more ("gone": the pipe went away meanwhile).
Probe = Literal["ours", "foreign", "silent", "gone"]


def probe_own_instance(name: str, key: bytes, timeout: float = 1.0) -> Probe:
    """Who answers the hello at ``name``, all within ``timeout``: the running app's check,
    before it listens on a pipe that already exists, of whose that pipe is."""
    deadline = time.monotonic() + timeout
    if sys.platform == "win32":
        from app.sources.windows_api import wait_for_pipe

        # Qt's connectToServer on Windows waits for a busy pipe 5 s at a time, for as long as
        # it stays busy, whatever waitForConnected is told: this runs on the window's thread,
        # so connect only once Windows says an instance is free.
        free = wait_for_pipe(name, _remaining_ms(deadline))
        if free == "busy":
            return "silent"
        if free == "gone":
            return "gone"
    try:
        sock = _connect_qt(name, deadline)
    except NotListening:
        return "silent"
    try:
        _hello_qt(sock, name, key, deadline, bytearray())
    except NotOurApp:
        return "foreign"
    except ConnectionError:
        return "silent"
    finally:
        sock.abort()
    return "ours"


def exchange(profile_dir: Path, line: str, timeout: float = 3.0,
             transport: Transport = "auto") -> dict[str, Any]:
    """Send ``line`` to the instance of ``profile_dir``; its reply, or NotListening/NoAnswer."""
    payload = line.replace("\n", " ").encode("utf-8") + b"\n"
    if len(payload) > MAX_LINE_BYTES:
        raise ValueError(f"request longer than {MAX_LINE_BYTES} bytes")
    name = server_name(profile_dir)
    use_unix = transport == "unix" or (transport == "auto" and sys.platform != "win32")
    if use_unix:
        return _exchange_unix(name, payload, timeout)
    from app.sources.instance_proof import hello_key

    # Anything but a state query may bring the window forward (a pop, an event, ``show``).
    asks_state = line.strip().lower() in ("state", STATE_LINE)
    return _exchange_qt(name, payload, timeout, hello_key(profile_dir),
                        grant_foreground=not asks_state)


def forward(profile_dir: Path, line: str, timeout: float = 3.0,
            transport: Transport = "auto") -> dict[str, Any] | None:
    """One attempt: the reply dict, or None when no instance answered."""
    try:
        return exchange(profile_dir, line, timeout, transport)
    except ConnectionError:
        return None


def forward_until_answered(profile_dir: Path, line: str, wait: float = 15.0,
                           transport: Transport = "auto",
                           give_up: Callable[[], bool] | None = None) -> dict[str, Any]:
    """Retry while nobody listens yet (an instance starting up), for at most ``wait`` seconds.

    Only connection failures are retried; once the line is sent, a missing answer raises
    NoAnswer rather than risk the app popping the same call twice. ``give_up()`` is asked
    between attempts (e.g. "has the instance we started already died?"); True raises GaveUp.
    """
    deadline = time.monotonic() + wait
    pause = 0.02
    while True:
        try:
            return exchange(profile_dir, line, max(0.5, min(5.0, deadline - time.monotonic())),
                            transport)
        except UnsafeSocketDir:
            raise  # waiting cannot make the directory safe
        except NotListening:
            if give_up is not None and give_up():
                raise GaveUp("stopped waiting for the instance") from None
            if time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)  # polling a socket that does not exist yet: nothing to wait on
            pause = min(pause * 2, 0.25)
