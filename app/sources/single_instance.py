"""One running instance per user and profile: a lock file in the profile directory (on
Windows in local app data, ``app.core.local_state``: a roamed or redirected profile never
brings a lock from another computer).

The lock decides who is the instance; the local socket (local_server.py) is how the others
reach it. QLockFile records our PID and host, so a lock left by a crashed process is taken over
on the next start instead of blocking it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QLockFile, QSysInfo

from app.core.local_state import LOCK_FILE_NAME, lock_file_path
from app.core.profile import ProfileUnusable

__all__ = ["LOCK_FILE_NAME", "SingleInstance"]


class SingleInstance:
    """``acquire()`` is True for the one process that may run this profile."""

    def __init__(self, profile_dir: Path) -> None:
        self.lock_path = lock_file_path(Path(profile_dir))
        self._lock = QLockFile(str(self.lock_path))
        # The app holds the lock all shift: never call it stale by age, only by a dead PID.
        self._lock.setStaleLockTime(0)

    def acquire(self) -> bool:
        """True: this process runs the profile; False: another one holds it.

        ProfileUnusable when the lock file cannot be read or made by this user (typically
        left by a run with sudo): no instance can be told from it, so waiting for one to
        answer would only end in "does not answer" after a long wait.
        """
        self.lock_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self._lock.tryLock(0):
            return True
        if self._lock.error() == QLockFile.LockError.PermissionError or not self._readable():
            raise ProfileUnusable(
                self.lock_path.parent,
                f"the lock file {self.lock_path} cannot be read or replaced by this user "
                "(left by a run as another user, e.g. with sudo?); if no Screen-Pop is running "
                "as another user (check with ps), remove it and start again")
        return False

    def holder_on_another_host(self) -> str | None:
        """The computer named in the lock file when it is not this one (a renamed computer,
        a copied profile, a roaming home folder), else None.

        Its PID means nothing here, so Qt never takes such a lock over as stale.
        """
        _pid, host, _app = self._lock.getLockInfo()
        return str(host) if host and host != QSysInfo.machineHostName() else None

    def _readable(self) -> bool:
        try:
            with self.lock_path.open("rb"):
                return True
        except FileNotFoundError:  # released meanwhile: the holder was just leaving
            return True
        except OSError:
            return False

    def release(self) -> None:
        if self._lock.isLocked():
            self._lock.unlock()

    @property
    def held(self) -> bool:
        return bool(self._lock.isLocked())

    def holder_pid(self) -> int | None:
        """The PID recorded in the lock file (for messages), or None."""
        pid, _host, _app = self._lock.getLockInfo()  # PySide returns (0, "", "") when unknown
        return int(pid) or None
