"""One running instance per user and profile: a lock file in the profile directory (on
Windows in local app data, ``app.core.local_state``: a roamed or redirected profile never
brings a lock from another computer).

The lock decides who is the instance; the local socket (local_server.py) is how the others
reach it. QLockFile records our PID and host, so a lock left by a crashed process is taken over
on the next start instead of blocking it.

A Windows profile on the network (a redirected AppData, a share: ``app.core.network_folder``)
is one folder for every computer, and a lock in one computer's local app data keeps nobody
on another computer off it: both would open one database and send one outbox twice. Such a
profile also gets a lock in the profile itself, with a short stale time: its PID means nothing
on another computer, but Qt holds its lock file open without delete sharing (POSIX: an flock),
so a live holder anywhere keeps it and only a dead one's file is removed and taken over.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QLockFile, QSysInfo

from app.core.local_state import LOCK_FILE_NAME, lock_file_path
from app.core.network_folder import network_location
from app.core.profile import ProfileUnusable, check_usable

__all__ = ["LOCK_FILE_NAME", "SHARED_LOCK_STALE_MS", "SingleInstance"]

# How old the lock in a network profile must be before another computer tries to remove it.
# Short: the removal itself is what fails while the holder lives, so waiting longer only keeps
# the next computer out longer after a crash.
SHARED_LOCK_STALE_MS = 2000


class SingleInstance:
    """``acquire()`` is True for the one process that may run this profile."""

    def __init__(self, profile_dir: Path) -> None:
        profile_dir = Path(profile_dir)
        self.lock_path = lock_file_path(profile_dir)
        self._lock = QLockFile(str(self.lock_path))
        # The app holds the lock all shift: never call it stale by age, only by a dead PID.
        self._lock.setStaleLockTime(0)
        # The lock kept in the profile when the main one is not there and the profile is on
        # the network (Windows); None otherwise.
        self.shared_lock_path: Path | None = None
        self._shared: QLockFile | None = None
        if self.lock_path.parent != profile_dir and network_location(profile_dir):
            self.shared_lock_path = profile_dir / LOCK_FILE_NAME
            self._shared = QLockFile(str(self.shared_lock_path))
            self._shared.setStaleLockTime(SHARED_LOCK_STALE_MS)
        self._refused_by = self._lock  # the lock another process holds, after a refusal

    @property
    def refused_by_shared_lock(self) -> bool:
        """The last refusal came from the lock in the network profile: its holder is alive
        (a dead one's would have been taken over), on this computer or another."""
        return self._shared is not None and self._refused_by is self._shared

    def acquire(self) -> bool:
        """True: this process runs the profile; False: another one holds it.

        ProfileUnusable when the lock's folder cannot hold it, or the lock file cannot be read
        or made by this user (typically left by a run with sudo): no instance can be told from
        it, so waiting for one to answer would only end in "does not answer" after a long wait.
        """
        self._make_lock_folder()
        if not self._try(self._lock, self.lock_path):
            return False
        if self._shared is not None and self.shared_lock_path is not None \
                and not self._try(self._shared, self.shared_lock_path):
            self._lock.unlock()  # not ours to run: no lock of it kept here either
            return False
        return True

    def _make_lock_folder(self) -> None:
        folder = self.lock_path.parent
        try:
            check_usable(folder)
        except ProfileUnusable as exc:  # e.g. a file where %LOCALAPPDATA% should be
            raise ProfileUnusable(folder, f"its lock cannot be kept in {folder}: {exc.reason}") \
                from None

    def _try(self, lock: QLockFile, path: Path) -> bool:
        if lock.tryLock(0):
            return True
        self._refused_by = lock
        if lock.error() == QLockFile.LockError.PermissionError or not _readable(path):
            raise ProfileUnusable(path.parent, _not_this_users(path))
        return False

    def holder_on_another_host(self) -> str | None:
        """The computer named in the lock file that refused us when it is not this one (a
        renamed computer, a copied profile, a roaming home folder, another computer running
        a network profile), else None.

        Its PID means nothing here, so Qt never takes the main lock over as stale.
        """
        _pid, host, _app = self._refused_by.getLockInfo()
        return str(host) if host and host != QSysInfo.machineHostName() else None

    def release(self) -> None:
        for lock in (self._shared, self._lock):
            if lock is not None and lock.isLocked():
                lock.unlock()

    @property
    def held(self) -> bool:
        return bool(self._lock.isLocked())

    def holder_pid(self) -> int | None:
        """The PID recorded in the lock file that refused us (for messages), or None."""
        pid, _host, _app = self._refused_by.getLockInfo()  # (0, "", "") when unknown
        return int(pid) or None


def _readable(path: Path) -> bool:
    try:
        with path.open("rb"):
            return True
    except FileNotFoundError:  # released meanwhile: the holder was just leaving
        return True
    except OSError:
        return False


def _not_this_users(path: Path) -> str:
    if sys.platform == "win32":
        return (f"the lock file {path} cannot be read or replaced by this user (left by "
                "Screen-Pop run as another user or as administrator?); if no Screen-Pop is "
                "running as another user (Task Manager, Details tab, the User name column), "
                "remove it and start again")
    return (f"the lock file {path} cannot be read or replaced by this user (left by a run as "
            "another user, e.g. with sudo?); if no Screen-Pop is running as another user "
            "(check with ps), remove it and start again")
