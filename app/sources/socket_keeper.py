"""Keeps the app's local socket reachable for as long as the app runs (issue 13).

The socket file is made once, at start, in a temporary folder (``socket_address.runtime_dir``),
and temporary folders get swept: macOS deletes what under ``/tmp`` and ``$TMPDIR`` has not
been touched for three days, systemd-tmpfiles does the same on Linux after ten, and a
clean-up script may delete it any time. Without the file nobody can connect: every
``screenpop pop`` would start a second app, which hands its number over to nothing.

So, while the app runs, the keeper
- touches the socket and its folder now and then (``TOUCH_INTERVAL_MS``), so that sweepers
  that go by the file times leave them;
- watches the folder, and at every change (and every touch) checks that the file at the
  address is still the socket the app listens on; when it vanished (with its folder or
  alone) or a file nobody listens on took its place, the app listens there again at once;
- leaves alone a socket where another program now listens: taking the address would cut that
  program off. It says so once (``problem``), as it does when listening again fails.
Windows' named pipes are not files: there is nothing to keep.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import socket
import sys
from pathlib import Path
from typing import Final, Protocol

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

log = logging.getLogger(__name__)

# Sweepers wait days; touching every few minutes also makes the timer a backstop for a
# change the folder watch missed (a folder deleted and made again by someone else).
TOUCH_INTERVAL_MS: Final = 10 * 60 * 1000
# How long a program that listens at the address may take to accept the probe: a busy one
# is still someone, and its address is never taken from it.
PROBE_SECONDS: Final = 1.0


class KeptServer(Protocol):
    """What the keeper needs of the server (``LocalSocketServer``)."""

    name: str

    def is_listening(self) -> bool: ...
    def listen_again(self) -> bool: ...
    def errorString(self) -> str: ...  # Qt's name, as the server has it


def _identity(path: Path) -> tuple[int, int] | None:
    """Which file is at ``path`` (device, inode), without following a link; None: nothing."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def someone_listens(path: Path) -> bool:
    """True when a program accepts connections at the socket ``path``. A refused, missing or
    non-socket file is nobody's; a program too busy to accept in time is still someone."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(PROBE_SECONDS)
        try:
            probe.connect(str(path))
        except (ConnectionRefusedError, FileNotFoundError, NotADirectoryError):
            return False
        except OSError as err:
            return err.errno not in (errno.ENOTSOCK, errno.EPROTOTYPE, errno.ECONNREFUSED)
        return True


class SocketKeeper(QObject):
    """Keeps ``server``'s socket file where clients look for it, from ``start`` to ``stop``.

    ``listeningAgain()`` after the app listened again; ``problem(str)``: why clients cannot
    reach the app now, in plain words, once per cause.
    """

    listeningAgain = Signal()
    problem = Signal(str)

    def __init__(self, server: KeptServer, interval_ms: int = TOUCH_INTERVAL_MS,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._server = server
        self._path = Path(server.name)
        self._ours: tuple[int, int] | None = None
        self._active = False
        self._said = ""
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.tick)
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(lambda _folder: self.check())

    @property
    def active(self) -> bool:
        return self._active

    def start(self) -> bool:
        """Keep the socket the server listens on now; False where there is nothing to keep
        (Windows, or a server that does not listen)."""
        if sys.platform == "win32" or not self._server.is_listening():
            return False
        self._ours = _identity(self._path)
        self._active = True
        self._watch_folder()
        self._timer.start()
        return True

    def stop(self) -> None:
        """Before the server closes (closing removes the file: that is no sweep)."""
        self._active = False
        self._timer.stop()
        if self._watcher.directories():
            self._watcher.removePaths(self._watcher.directories())

    def tick(self) -> None:
        if self.check():
            self._touch()

    def check(self) -> bool:
        """True when the file at the address is the app's socket; else listens again there
        if the address is free. Cheap: one ``lstat`` unless something changed."""
        if not self._active:
            return False
        found = _identity(self._path)
        if found is not None and found == self._ours:
            return True
        if found is not None and someone_listens(self._path):
            self._say(f"another program now listens at this profile's socket ({self._path}): "
                      "softphone pops and `screenpop state` reach it, not this window.")
            return False
        what = "vanished" if found is None else "was replaced"
        log.warning("local socket: the socket file %s; listening again at %s", what, self._path)
        if not self._server.listen_again():
            self._say("softphone pops cannot reach this window: listening again at "
                      f"{self._path} failed ({self._server.errorString()}).")
            return False
        self._ours = _identity(self._path)
        self._said = ""
        self._watch_folder()
        log.info("local socket: listening again")
        self.listeningAgain.emit()
        return True

    def _touch(self) -> None:
        for path in (self._path, self._path.parent):
            with contextlib.suppress(OSError):  # gone meanwhile: the next check sees to it
                os.utime(path)

    def _watch_folder(self) -> None:
        """Watch the folder that is there now, afresh: it may be a new one made in place of
        a swept one, whose watch is still listed until the news that it went is read (its
        inode number may even be the old one's, so that cannot tell them apart). By its
        real path: macOS's temporary folders are behind links (/var, /tmp -> /private/...),
        and its file events name real paths."""
        folder = os.path.realpath(self._path.parent)
        if folder in self._watcher.directories():
            self._watcher.removePath(folder)
        self._watcher.addPath(folder)

    def _say(self, message: str) -> None:
        if message != self._said:
            self._said = message
            log.warning("local socket: %s", message)
            self.problem.emit(message)
