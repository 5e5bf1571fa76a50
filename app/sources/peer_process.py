"""Which process is at the other end of a local connection (issue 13).

The pipe client checks the process serving its connection is the one the hello proved (see
``forward._hello_qt``); the server checks who connects. Each platform has its own call:
Windows ``GetNamedPipeServerProcessId`` (app/sources/windows_api.py), Linux ``SO_PEERCRED``;
elsewhere nothing here can tell (None), and callers keep to what they did without it.
"""

from __future__ import annotations

import os
import socket
import struct

from app.sources.windows_api import pipe_server_pid


def peer_credentials(fd: int) -> tuple[int, int] | None:
    """(pid, uid) of the process at the other end of the unix socket ``fd`` (``SO_PEERCRED``,
    Linux); None where the system cannot say."""
    if fd < 0 or not hasattr(socket, "SO_PEERCRED"):
        return None
    try:
        with socket.socket(fileno=os.dup(fd)) as peer:
            creds = peer.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    except OSError:
        return None
    pid, uid, _gid = struct.unpack("3i", creds)
    return int(pid), int(uid)


def server_pid(descriptor: int) -> int | None:
    """The PID serving a client connection (``QLocalSocket.socketDescriptor()``: a pipe
    handle on Windows, a socket elsewhere); None where it cannot be read."""
    pid = pipe_server_pid(descriptor)
    if pid is None:
        creds = peer_credentials(descriptor)
        pid = creds[0] if creds else None
    return pid or None  # 0: a peer in another PID namespace, nothing to compare
