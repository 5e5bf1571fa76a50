"""Where the running instance listens: one short, private address per OS user and profile.

Pure Python (no Qt), because the forwarding client (``screenpop pop``) must find the address
without loading Qt. The same function feeds ``QLocalServer.listen``.

* POSIX: a socket file in a per-user directory (``<tmp>/screenpop-<uid>``, mode 0700, owned by
  us), named by a hash of the profile path. The directory keeps other users out even before
  ``UserAccessOption`` applies, and stops them squatting the name. Paths stay far below macOS's
  104-byte ``sun_path`` cap (the profile path itself can be any length: it is hashed).
* Windows: a named pipe ``screenpop-<hash>`` (pipe names are machine-wide, so the user is
  part of the hash); Qt's ``UserAccessOption`` restricts the pipe's ACL to the user.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import os
import stat
import sys
import tempfile
from pathlib import Path

# sockaddr_un.sun_path is 104 bytes on macOS/BSD (108 on Linux), including the final NUL.
MAX_SOCKET_PATH = 103


class SocketDirError(OSError):
    """The per-user socket directory is unsafe (someone else owns it, or it is open to others)."""


def _user_key() -> str:
    if hasattr(os, "getuid"):
        return str(os.getuid())
    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment: still unique per profile
        return "user"


def _digest(profile_dir: Path) -> str:
    resolved = os.path.normcase(str(Path(profile_dir).expanduser().resolve()))
    key = f"{_user_key()}\0{resolved}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(key).hexdigest()[:20]


def runtime_dir() -> Path:
    """The per-user directory holding our sockets (POSIX only)."""
    uid = os.getuid()
    candidate = Path(tempfile.gettempdir()) / f"screenpop-{uid}"
    # On macOS TMPDIR is already per-user but long; fall back to /tmp if the path gets too long.
    if len(str(candidate)) + 30 > MAX_SOCKET_PATH:
        candidate = Path("/tmp") / f"screenpop-{uid}"  # noqa: S108 - private 0700 dir, checked
    return candidate


def check_runtime_dir(path: Path, create: bool) -> None:
    """Make sure ``path`` is our own private directory; raises SocketDirError otherwise."""
    if create:
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=0o700)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise SocketDirError(f"{path} is not a directory")
    if info.st_uid != os.getuid():
        raise SocketDirError(f"{path} belongs to another user; remove it or set TMPDIR")
    if stat.S_IMODE(info.st_mode) & 0o077:
        if not create:
            raise SocketDirError(f"{path} is open to other users")
        os.chmod(path, 0o700)


def server_name(profile_dir: Path) -> str:
    """The name for ``QLocalServer.listen``/``QLocalSocket.connectToServer`` for this profile.

    A full socket path on POSIX, a pipe name on Windows. Creates nothing.
    """
    digest = _digest(profile_dir)
    if sys.platform == "win32":
        return f"screenpop-{digest}"
    return str(runtime_dir() / f"sp-{digest}")
