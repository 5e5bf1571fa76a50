"""What every part of the local store shares: the one SQLite connection and the lock around it.

``LocalStore`` is put together from one part per table (pops, drafts, the outbox) and one for
the damaged files it recovers; each part runs its SQL through this connection, so the Qt main
thread and a worker may both use the store.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator, Sized
from pathlib import Path


class StoreUnavailable(OSError):
    """The local database exists but cannot be used right now (locked, full disk, a failed
    upgrade); it is left exactly as it is."""

    def __init__(self, path: Path, cause: BaseException, *, switching_journal: bool = False) \
            -> None:
        if switching_journal and _is_in_use(cause):
            # Leaving WAL needs the file to itself: on a network folder, whoever has it open
            # is most likely the agent's Screen-Pop on another computer.
            super().__init__(f"Another Screen-Pop has this profile open (possibly on another "
                             f"computer), so the local database {path} cannot be switched to "
                             "the mode that is safe on a network folder. Nothing in it was "
                             "changed; close Screen-Pop there, then start again.")
        elif _is_in_use(cause):
            super().__init__(f"The local database {path} is in use by another program (another "
                             "Screen-Pop, or a tool that opened the file). Nothing in it was "
                             "changed; close that program, then start again.")
        else:
            super().__init__(f"The local database {path} cannot be opened ({cause}). Nothing "
                             "in it was changed; free disk space or check the folder, then "
                             "start again.")
        self.path = path


def _is_in_use(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def placeholders(values: Sized) -> str:
    """``?, ?, ?`` for an ``IN (...)`` of ``values``; ``NULL`` (matches nothing) for none."""
    return ",".join("?" * len(values)) or "NULL"


class StoreConnection:
    """The connection, its lock and the transaction that groups statements."""

    path: Path
    _db: sqlite3.Connection
    _lock: threading.Lock
    _synchronous = "NORMAL"  # between durable transactions (FULL under the rollback journal)

    @contextlib.contextmanager
    def _transaction(self, *, durable: bool = False) -> Iterator[sqlite3.Connection]:
        """One transaction; ``durable``: its commit waits until the data is on the disk
        (``synchronous=FULL``, which cannot change inside a transaction, so per transaction)."""
        with self._lock:
            if durable:
                self._db.execute("PRAGMA synchronous=FULL")
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            finally:
                if durable:
                    self._db.execute(f"PRAGMA synchronous={self._synchronous}")

