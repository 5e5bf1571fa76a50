"""The running instance's local socket: softphones, ``screenpop pop`` and second starts talk here.

The protocol (app/core/pop_request.py, README.md) is one line in, one JSON line out.
Everything runs on the Qt event loop without blocking: lines are parsed as bytes arrive, and
every limit (line length, connections, time to complete a line, message rate, unread replies)
ends in an error reply or a closed connection, so a misbehaving client can never stall the
window.
"""

from __future__ import annotations

import logging
import os
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtNetwork import QAbstractSocket, QLocalServer, QLocalSocket

from app.core.phone import DEFAULT_REGION
from app.core.pop_request import (
    MAX_LINE_BYTES,
    CallEvent,
    HelloRequest,
    ProtocolError,
    ShowRequest,
    StateQuery,
    error_reply,
    ok_reply,
    parse_line,
)
from app.sources.forward import Probe, probe_own_instance
from app.sources.instance_proof import hello_fields, hello_key
from app.sources.peer_process import peer_credentials
from app.sources.socket_address import check_runtime_dir, server_name
from app.sources.windows_api import PIPE_PREFIX, pipe_exists

if sys.platform != "win32":
    import fcntl
    import termios

log = logging.getLogger(__name__)

StateProvider = Callable[[], dict[str, Any]]
# Windows, at start-up, a pipe that already exists: how long the whole check may take (a
# previous instance may still be closing), each hello at most, and then how often to look
# whether it has gone (without connecting).
PIPE_SETTLE_SECONDS = 2.0
PROBE_SECONDS = 1.0
RETRY_LISTEN_MS = 3_000


@dataclass(frozen=True)
class ServerLimits:
    max_line_bytes: int = MAX_LINE_BYTES
    # Live ones; when full, the connection idle longest makes room (see _make_room).
    max_connections: int = 16
    # How long a connection has for each line, counted from the connection or the previous
    # answer: bytes that do not end a line never extend it, or clients trickling a byte now
    # and then would hold every slot for ever.
    idle_timeout_ms: int = 10_000
    max_messages_per_second: int = 20  # per connection
    # Across all connections: `screenpop pop` opens one connection per number, so a runaway
    # hook looping over it would escape the per-connection limit and hammer DeepCall.
    max_pops_per_second: int = 20
    max_unread_reply_bytes: int = 256 * 1024


def _peer_uid(sock: QLocalSocket) -> int | None:
    """The connecting process's uid (Linux SO_PEERCRED), or None where we cannot tell."""
    if not sys.platform.startswith("linux"):
        return None
    creds = peer_credentials(int(sock.socketDescriptor()))
    return creds[1] if creds else None


def _unread_in_kernel(sock: QLocalSocket) -> int:
    """Bytes the client sent that Qt has not read yet (FIONREAD): a line may have begun."""
    fd = int(sock.socketDescriptor())
    if sys.platform == "win32" or fd < 0:
        return 0  # a named pipe: Qt reads it eagerly into its own buffer
    try:
        count = fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4)
    except OSError:
        return 0
    return int(struct.unpack("i", count)[0])


class _RateWindow:
    """Counts events in the current one-second window; ``hit()`` is True once over ``limit``."""

    def __init__(self) -> None:
        self._start = time.monotonic()
        self._count = 0

    def hit(self, limit: int) -> bool:
        now = time.monotonic()
        if now - self._start >= 1.0:
            self._start, self._count = now, 0
        self._count += 1
        return self._count > limit


class _Connection(QObject):
    """One client: buffers bytes into lines, answers each, enforces the per-connection limits."""

    def __init__(self, sock: QLocalSocket, server: LocalSocketServer) -> None:
        super().__init__(server)
        self.sock = sock
        self._server = server
        self._buffer = bytearray()
        self._closing = False
        self._rate = _RateWindow()
        self.last_answered = time.monotonic()  # or connected: who has been idle longest
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(server.limits.idle_timeout_ms)
        self._idle.timeout.connect(self._on_idle)
        sock.readyRead.connect(self._on_ready_read)
        sock.disconnected.connect(self._on_disconnected)
        self._idle.start()

    @property
    def closing(self) -> bool:
        return self._closing

    def is_idle(self) -> bool:
        """Nothing under way: no line begun (bytes not yet read count too), no reply still
        unsent; such a connection can be closed to make room."""
        return (not self._closing and not self._buffer and self.sock.bytesAvailable() == 0
                and _unread_in_kernel(self.sock) == 0 and self.sock.bytesToWrite() == 0)

    def close_with(self, reply: bytes | None) -> None:
        if self._closing:
            return
        self._closing = True
        # From now on the idle timer bounds the goodbye: a client that never reads would keep
        # the flush below (and a connection slot) waiting forever.
        self._idle.start()
        if reply is not None and self.sock.state() == QLocalSocket.LocalSocketState.ConnectedState:
            self.sock.write(reply)
            self.sock.flush()
        # disconnectFromServer flushes the reply first; disconnected() then cleans up.
        self.sock.disconnectFromServer()
        if self.sock.state() == QLocalSocket.LocalSocketState.UnconnectedState:
            self._on_disconnected()

    def _on_idle(self) -> None:
        if self._closing:
            # The reply was not taken in time: drop it with the connection. Aborting right here,
            # inside this child timer's signal with unsent data, segfaulted PySide 6.11 when
            # the connection was then deleted; a queued abort does not.
            QTimer.singleShot(0, self.sock, self.sock.abort)
            return
        self.close_with(error_reply("idle timeout"))

    def _on_disconnected(self) -> None:
        self._idle.stop()
        self._server._forget(self)

    def _over_rate(self) -> bool:
        return self._rate.hit(self._server.limits.max_messages_per_second)

    def _on_ready_read(self) -> None:
        if self._closing:
            self.sock.readAll()  # drain and ignore: we are hanging up
            return
        self._buffer += bytes(self.sock.readAll().data())
        limit = self._server.limits.max_line_bytes
        while not self._closing:
            end = self._buffer.find(b"\n")
            if end < 0:
                if len(self._buffer) > limit:
                    self.close_with(error_reply(f"line longer than {limit} bytes"))
                return
            line = bytes(self._buffer[:end]).rstrip(b"\r")
            del self._buffer[: end + 1]
            if not line.strip():
                continue  # blank lines (keep-alives, CRLF leftovers) need no answer
            if len(line) > limit:
                self.close_with(error_reply(f"line longer than {limit} bytes"))
                return
            if self._over_rate():
                self.close_with(error_reply("too many messages; slow down"))
                return
            self.sock.write(self._server._answer(line))
            self._idle.start()  # only an answered line earns the next one a full period
            self.last_answered = time.monotonic()
            # Write now, not on the next loop pass: a client that half-closes after its line
            # (``printf ... | socat``, ``nc -N``) makes Qt drop the whole connection as soon as
            # it reads the EOF, taking unsent replies with it.
            self.sock.flush()
            if self.sock.bytesToWrite() > self._server.limits.max_unread_reply_bytes:
                self.close_with(None)  # the client does not read its replies


class LocalSocketServer(QObject):
    """Listens on this profile's private local socket and turns valid lines into signals.

    ``popRequested(PopRequest)`` is emitted only for valid numbers and withheld callers;
    ``callEventReceived(CallEvent)`` for ``answered``, ``ended`` and ``transferred`` (a
    ``ringing`` is a pop); ``showRequested()`` when a
    second start (or a client) asks to bring the window forward. ``state_provider`` returns the
    JSON-able dict answered to ``state`` queries.
    """

    popRequested = Signal(object)
    callEventReceived = Signal(object)  # CallEvent: answered, ended, transferred (issue 11)
    showRequested = Signal()
    # Listening after all, once the pipe a closing instance left has gone (Windows).
    listening = Signal()

    def __init__(self, profile_dir: Path, state_provider: StateProvider | None = None, *,
                 default_region: str = DEFAULT_REGION, limits: ServerLimits | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.profile_dir = Path(profile_dir)
        self.name = server_name(profile_dir)
        self._hello_key: bytes | None = None  # read from the profile at the first hello
        self.limits = limits or ServerLimits()
        self.default_region = default_region
        self._state_provider = state_provider
        self._connections: set[_Connection] = set()
        self._pop_rate = _RateWindow()
        self._error = ""
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.setMaxPendingConnections(self.limits.max_connections)
        self._server.newConnection.connect(self._on_new_connection)
        self._retry = QTimer(self)  # Windows: waits for a pipe left by a closing instance
        self._retry.setInterval(RETRY_LISTEN_MS)
        self._retry.timeout.connect(self._listen_once_free)

    # -- public surface ---------------------------------------------------------------------

    def set_state_provider(self, provider: StateProvider | None) -> None:
        self._state_provider = provider

    def set_default_region(self, region: str) -> None:
        """Country for numbers sent without a country code."""
        self.default_region = region

    def start(self) -> bool:
        """Listen. False (with errorString()) when another live instance owns the address.

        A socket file left by a crash is removed only after connecting to it fails, so a live
        instance is never cut off.
        """
        self._error = ""
        if sys.platform == "win32":
            if not self._pipe_is_free():
                return False
        else:
            try:
                check_runtime_dir(Path(self.name).parent, create=True)
            except OSError as err:  # e.g. another user squats the directory: no socket, no crash
                self._error = f"cannot use the socket directory: {err}"
                log.warning("local socket: %s", self._error)
                return False
            # Qt binds in a temporary directory and renames over the final path, so it would
            # silently take the address from a live instance: check for one first ourselves.
            if os.path.lexists(self.name) and not self._remove_if_stale():
                return False
        if self._server.listen(self.name):
            return True
        if self._server.serverError() != QAbstractSocket.SocketError.AddressInUseError:
            log.warning("local socket: cannot listen: %s", self._server.errorString())
            return False
        if not self._remove_if_stale():
            return False
        return bool(self._server.listen(self.name))

    def _pipe_is_free(self) -> bool:
        """Windows: Qt's pipe server would add an instance to a pipe someone else created
        first (it asks for no first instance), and clients would reach either of the two at
        random. So a pipe that exists is never served: our own app answering there is a live
        instance; something answering without the proof took the name first and must not
        receive this user's calls; nothing answering may be a previous Screen-Pop still
        closing, so that is asked again for a moment, then the pipe is watched until it goes.
        (The pipe's ACL keeps others from adding instances once it is ours; the client's
        hello, bound to the process serving its connection, covers what is left: a name
        taken between this check and the listen.)"""
        deadline = time.monotonic() + PIPE_SETTLE_SECONDS
        found: Probe = "gone"
        while pipe_exists(self.name):
            found = probe_own_instance(self.name, self._key(), timeout=min(
                PROBE_SECONDS, max(0.05, deadline - time.monotonic())))
            if found != "silent" or time.monotonic() >= deadline:
                break
            time.sleep(0.05)  # refused at once (no instance free): not a busy loop
        else:
            return True
        if found == "gone":
            return True
        if found == "ours":
            self._error = "another Screen-Pop instance already listens for this profile"
        elif found == "foreign":
            self._error = (f"another program already holds this profile's pipe "
                           f"({PIPE_PREFIX}{self.name}), so Screen-Pop does not listen there: "
                           "softphone pops will not reach this window. Ask IT to sign out the "
                           "session holding it, then start Screen-Pop again")
        else:
            self._error = (f"this profile's pipe ({PIPE_PREFIX}{self.name}) is still there but "
                           "nothing answers on it: a previous Screen-Pop may still be closing. "
                           "Screen-Pop listens as soon as it is gone")
            self._retry.start()
        log.warning("local socket: %s", self._error)
        return False

    def _listen_once_free(self) -> None:
        """A pipe nobody answered on at start-up: listen once it has gone (checked without
        connecting, so the window's thread never waits on it)."""
        if self._server.isListening() or pipe_exists(self.name):
            return
        self._retry.stop()
        if self._server.listen(self.name):
            self._error = ""
            log.info("local socket: the old pipe has gone; now listening")
            self.listening.emit()
        else:
            log.warning("local socket: cannot listen: %s", self._server.errorString())

    def _key(self) -> bytes:
        if self._hello_key is None:
            self._hello_key = hello_key(self.profile_dir)
        return self._hello_key

    def _remove_if_stale(self) -> bool:
        """Remove a leftover socket, but only when connecting to it fails. False if it is live."""
        if self._someone_listens():
            self._error = "another Screen-Pop instance already listens for this profile"
            log.warning("local socket: %s (%s)", self._error, self.name)
            return False
        log.info("local socket: removing the stale socket left by a previous run")
        QLocalServer.removeServer(self.name)
        return True

    def listen_again(self) -> bool:
        """Listen afresh at the same address, its socket file swept away (``socket_keeper``):
        only the listener is renewed, connections under way go on."""
        self._server.close()
        return self.start()

    def errorString(self) -> str:  # Qt-style name, like the server it wraps
        return self._error or str(self._server.errorString())

    def is_listening(self) -> bool:
        return bool(self._server.isListening())

    def close(self) -> None:
        self._retry.stop()
        for connection in list(self._connections):
            connection.sock.abort()
        self._connections.clear()
        self._server.close()

    @property
    def connection_count(self) -> int:
        return len(self._connections)

    # -- internals --------------------------------------------------------------------------

    def _someone_listens(self) -> bool:
        probe = QLocalSocket()
        probe.connectToServer(self.name)
        alive = bool(probe.waitForConnected(1000))
        probe.abort()
        return alive

    def _on_new_connection(self) -> None:
        while self._server.hasPendingConnections():
            sock = self._server.nextPendingConnection()
            if sock is None:
                return
            peer = _peer_uid(sock)
            if peer is not None and peer != os.getuid():
                log.warning("local socket: refused a connection from uid %s", peer)
                sock.abort()
                sock.deleteLater()
                continue
            live = [known for known in self._connections if not known.closing]
            connection = _Connection(sock, self)
            self._connections.add(connection)
            if len(live) >= self.limits.max_connections:
                self._make_room(live, connection)

    def _make_room(self, live: list[_Connection], newcomer: _Connection) -> None:
        """Full: close the connection idle longest for ``newcomer``, else refuse it.

        Clients that each send a line well inside the deadline would otherwise keep every
        slot for ever, and every pop would be refused. A connection with a line under way or
        a reply unsent is never taken; a connection already closing no longer counts.
        """
        idle = [known for known in live if known.is_idle()]
        if not idle:
            newcomer.close_with(error_reply("too many connections; try again"))
            return
        oldest = min(idle, key=lambda known: known.last_answered)
        log.info("local socket: full; closing the connection idle longest for a new one")
        oldest.close_with(error_reply("closed to make room for another client"))

    def _forget(self, connection: _Connection) -> None:
        if connection in self._connections:
            self._connections.discard(connection)
            connection.sock.deleteLater()
            connection.deleteLater()

    def _answer(self, line: bytes) -> bytes:
        try:
            message = parse_line(line, self.default_region)
        except ProtocolError as err:
            return error_reply(str(err))
        if isinstance(message, StateQuery):
            return self._state_reply()
        if isinstance(message, ShowRequest):
            self.showRequested.emit()
            return ok_reply(shown=True)
        if isinstance(message, HelloRequest):
            return self._hello_reply(message.nonce)
        # Events count as pops: each may pop or run a configured program, so a runaway hook
        # sending them must be held back just the same.
        if self._pop_rate.hit(self.limits.max_pops_per_second):
            log.warning("local socket: over %d pops per second; refused one",
                        self.limits.max_pops_per_second)
            return error_reply("too many pops; slow down")
        if isinstance(message, CallEvent):
            self.callEventReceived.emit(message)
            return ok_reply(event=message.event, callId=message.call_id)
        self.popRequested.emit(message)
        if message.withheld:
            return ok_reply(number=None, withheld=True)
        return ok_reply(number=message.number)

    def _hello_reply(self, nonce: str) -> bytes:
        try:
            key = self._key()
        except OSError as err:  # the salt cannot be read or made: nothing to prove with
            log.warning("local socket: cannot answer a hello: %s", err)
            return error_reply("cannot read this profile's secret")
        return ok_reply(**hello_fields(key, nonce, os.getpid()))

    def _state_reply(self) -> bytes:
        if self._state_provider is None:
            return error_reply("state is not available yet")
        try:
            state = self._state_provider()
            return ok_reply(state=state)
        except Exception:  # the UI's provider must never take the socket down with it
            log.exception("local socket: the state provider failed")
            return error_reply("state is not available")
