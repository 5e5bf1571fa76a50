"""Where the running instance listens: one short, private address per OS user and profile.

Pure Python (no Qt), because the forwarding client (``screenpop pop``) must find the address
without loading Qt. The same function feeds ``QLocalServer.listen``.

* POSIX: a socket file in a per-user directory (``<tmp>/screenpop-<uid>``, mode 0700, owned by
  us), named by a hash of the profile path. The directory keeps other users out even before
  ``UserAccessOption`` applies, and stops them squatting the name. Paths stay far below macOS's
  104-byte ``sun_path`` cap (the profile path itself can be any length: it is hashed).
* Windows: a named pipe ``screenpop-<hash>``. Pipe names are machine-wide, and on a shared
  terminal server another user who could work the name out could create the pipe first and
  receive this user's callers. So the hash also covers a random salt kept in the profile
  (``socket.salt``): the name cannot be guessed from the account and profile path. The salt
  is made with an owner-only protected DACL (nothing inherited from a shared profile
  folder), and on POSIX with mode 0600; a POSIX salt found readable by others is replaced by
  a new one (the app and its clients agree again from the app's next start). A salt made
  before these rules, or a DACL Windows refused to set, stays as it is: IT can check the
  file's permissions. Qt's ``UserAccessOption`` restricts the pipe's ACL to the user.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import stat
import sys
import tempfile
import threading
from pathlib import Path

from app.core.profile import profile_key

# sockaddr_un.sun_path is 104 bytes on macOS/BSD (108 on Linux), including the final NUL.
MAX_SOCKET_PATH = 103
SALT_FILE_NAME = "socket.salt"
_SALT = re.compile(r"[0-9a-f]{32}")


class SocketDirError(OSError):
    """The per-user socket directory is unsafe (someone else owns it, or it is open to others)."""


def _user_key() -> str:
    if sys.platform == "win32":
        # The account's SID from the process token, never getpass: it reads USER first, which
        # Git Bash sets, then USERNAME, both whatever the environment says. Reading one's own
        # token does not fail in practice; if it ever did, the key is the profile's salt and
        # path alone (a fixed "" rather than some name that could differ between the app and
        # a client): still private and this profile's.
        from app.sources.windows_api import account_sid

        return account_sid() or ""
    return str(os.getuid())


def _digest(profile_dir: Path, salt: str = "") -> str:
    key = f"{_user_key()}\0{profile_key(profile_dir)}" + (f"\0{salt}" if salt else "")
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def profile_salt(profile_dir: Path) -> str:
    """The profile's random salt (32 hex digits), made on first use.

    Whoever comes first, the app or a ``screenpop pop`` client, creates it; both then read the
    same one: the file appears whole or not at all (written aside, then hard-linked into
    place, which fails if another process got there first). A damaged file is replaced, and
    so is one others may read (POSIX).
    """
    path = Path(profile_dir).expanduser() / SALT_FILE_NAME
    for _ in range(5):
        existing = _read_salt(path)
        if isinstance(existing, str):
            return existing
        path.parent.mkdir(parents=True, exist_ok=True)
        aside = path.with_name(f".{SALT_FILE_NAME}.{os.getpid()}.{threading.get_ident()}")
        try:
            _write_private(aside, secrets.token_hex(16))
            if existing is _DAMAGED:
                os.replace(aside, path)  # a new salt takes the damaged one's place
            else:
                _link_exclusively(aside, path)
        except FileExistsError:
            continue  # another process made it meanwhile: read theirs
        finally:
            aside.unlink(missing_ok=True)
    salt = _read_salt(path)
    if not isinstance(salt, str):
        raise OSError(f"cannot keep a salt in {path}")
    return salt


_DAMAGED = object()


def _read_salt(path: Path) -> str | object | None:
    """The salt; None when there is no file; ``_DAMAGED`` when it holds something else or
    (POSIX) others may read it."""
    try:
        with path.open("rb") as file:
            mode = os.fstat(file.fileno()).st_mode
            text = file.read(256).decode("ascii", errors="replace").strip()
    except FileNotFoundError:
        return None
    if sys.platform != "win32" and stat.S_IMODE(mode) & 0o077:
        return _DAMAGED  # no secret any more: a new one takes its place
    return text if _SALT.fullmatch(text) else _DAMAGED


def _write_private(path: Path, text: str) -> None:
    """Create ``path`` (it must not exist) holding ``text``, readable by its owner only:
    0600 whatever the umask; on Windows an owner-only DACL before anything is written."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                 0o600)
    with os.fdopen(fd, "wb") as out:
        if sys.platform == "win32":
            from app.sources.windows_api import protect_owner_only

            protect_owner_only(str(path))
        out.write(text.encode("ascii"))


def _link_exclusively(source: Path, target: Path) -> None:
    try:
        os.link(source, target)  # the link shares the file's mode and DACL
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: an exclusive create will do
        _write_private(target, source.read_text(encoding="ascii"))


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

    A full socket path on POSIX (creates nothing), a pipe name on Windows (creates the
    profile's salt if it has none yet).
    """
    if sys.platform == "win32":
        return f"screenpop-{_digest(profile_dir, profile_salt(profile_dir))}"
    return str(runtime_dir() / f"sp-{_digest(profile_dir)}")
