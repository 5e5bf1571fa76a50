"""The profile's local database (SQLite, WAL): pop history, note drafts and the outbox.

On a network folder (a redirected AppData, a share, an NFS home: ``app.core.network_folder``)
it uses the rollback journal instead of WAL, which needs memory shared with every program
using the file and so is unsafe there. The file stays where it is (nothing to move, nothing
left behind in the profile, and it still follows the agent to the next computer); SQLite
folds an existing WAL into the file when the mode changes, so nothing of it is lost.

Anything queued for DeepCall (a note now, a Directory save next) is written to the outbox
*before* it is sent and deleted only after DeepCall accepted it, so a crash, a network fault
or a rejected token never loses what the agent typed. No Qt here; one connection guarded by a
lock, so the Qt main thread and a worker may both use it.

The schema grows by numbered migrations (``app.services.store_schema``). Durability: the
agent's work (field drafts, note drafts, the outbox) commits with ``synchronous=FULL``, which
survives a power cut; pop history stays ``NORMAL`` (it is on the pop's path, and losing the
last pop record to a power cut loses nothing the agent typed). Under the rollback journal (a
network folder) every commit is ``FULL``: ``NORMAL`` is only power-cut safe with WAL.

``LocalStore`` opens the file; its tables' SQL lives in one part per table (``store_pops``,
``store_drafts``, ``store_outbox``), sharing its connection (``store_connection``), and the
damaged files kept aside are ``store_damaged_files``'s.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
from pathlib import Path
from typing import Final

from app.core.history_search import fold_name
from app.core.network_folder import network_location
from app.services.store_connection import StoreUnavailable
from app.services.store_damaged_files import DamagedFiles
from app.services.store_drafts import DraftTables, FieldDraft
from app.services.store_outbox import OutboxItem, OutboxTable
from app.services.store_pops import PendingMarks, PopRecord, PopTable
from app.services.store_recovery import is_corrupt
from app.services.store_schema import MIGRATIONS, SCHEMA_VERSION, migrate

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "FieldDraft", "LocalStore", "OutboxItem",
           "PendingMarks", "PopRecord", "StoreUnavailable"]

DATABASE_FILE_NAME: Final = "screenpop.sqlite3"
BUSY_TIMEOUT_SECONDS: Final = 5.0


class LocalStore(PopTable, DraftTables, OutboxTable, DamagedFiles):
    """One SQLite file under the profile. Every public method is one short transaction.

    ``busy_timeout``: how long to wait for another program's lock before giving up
    (``StoreUnavailable``); the file is never moved for that. ``platform``: ``sys.platform``
    (a test passes another one). ``network_location``: where the file is when that is a
    network folder (the rollback journal is used then), else None.
    """

    network_location: str | None
    # The -wal file SQLite could not remove when leaving WAL on a network folder (an
    # antivirus scanner or the indexer holding it open, a folder that cannot be changed):
    # WAL is still what runs. None when the switch happened or was not needed.
    wal_left: Path | None

    def __init__(self, path: Path, *, busy_timeout: float = BUSY_TIMEOUT_SECONDS,
                 platform: str = sys.platform) -> None:
        self.path = Path(path)
        self._busy_timeout = busy_timeout
        self._platform = platform
        self._lock = threading.Lock()
        self.network_location = network_location(self.path.parent, platform=platform)
        self.wal_left = None
        self._journal_mode = self._wanted_journal_mode()
        self._db = self._open()
        self._db.create_function("screenpop_fold", 1, fold_name, deterministic=True)
        self._recover_damaged_files()

    @classmethod
    def in_profile(cls, profile_dir: Path, *,
                   busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> LocalStore:
        return cls(Path(profile_dir) / DATABASE_FILE_NAME, busy_timeout=busy_timeout)

    def __repr__(self) -> str:
        return f"LocalStore(path={str(self.path)!r})"

    def _open(self) -> sqlite3.Connection:
        try:
            self._set_orphans_aside()
            return self._connect()
        except sqlite3.DatabaseError as exc:
            if not is_corrupt(exc):
                # Locked, busy, a full disk, a failed upgrade: the file is fine and may hold
                # queued notes. Never move it aside for that; say so instead.
                raise StoreUnavailable(self.path, exc) from exc
            # A damaged file must not stop the app; keep it aside (nothing deleted) and start
            # a new one.
            self._set_damaged_aside(exc)
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        is_new = not self.path.exists()
        # Autocommit (isolation_level=None): each statement commits; ``_transaction`` groups.
        db = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None,
                             check_same_thread=False)
        try:
            if is_new and os.name == "posix":
                os.chmod(self.path, 0o600)  # call history and notes: owner only
            self._set_journal_mode(db)
            # WAL with NORMAL survives app crashes and power cuts, so only the agent's work
            # commits FULL. The rollback journal with NORMAL does not: a power cut at the wrong
            # moment can damage the file (SQLite's documentation), so there every commit is
            # FULL; that mode is only used on a network folder, where the wait is the server's.
            self._synchronous = "FULL" if self._journal_mode == "DELETE" else "NORMAL"
            db.execute(f"PRAGMA synchronous={self._synchronous}")
            if self._platform == "darwin":
                # macOS's fsync leaves the data in the drive's cache: without F_FULLFSYNC a
                # "durable" commit does not survive a power cut there.
                db.execute("PRAGMA fullfsync=ON")
                db.execute("PRAGMA checkpoint_fullfsync=ON")
            migrate(db)
            db.execute("SELECT count(*) FROM outbox").fetchone()
        except (sqlite3.DatabaseError, StoreUnavailable):
            db.close()
            raise
        return db

    def _wanted_journal_mode(self) -> str:
        return "DELETE" if self.network_location else "WAL"

    def _set_journal_mode(self, db: sqlite3.Connection) -> None:
        wanted = self._wanted_journal_mode()
        try:
            db.execute(f"PRAGMA journal_mode={wanted}")
        except sqlite3.OperationalError as exc:  # leaving WAL while another app has it open
            raise StoreUnavailable(self.path, exc, switching_journal=wanted != "WAL") from exc
        # Read back, and the -wal file looked for: SQLite answers "delete" (to the switch and
        # when asked again) even when it could not remove the -wal file, and the next start
        # runs WAL from it again.
        running = str(db.execute("PRAGMA journal_mode").fetchone()[0]).upper()
        wal = self.path.with_name(self.path.name + "-wal")
        if running != "WAL" and wanted == "DELETE" and wal.exists():
            running = "WAL"
        self.wal_left = wal if wanted == "DELETE" and running == "WAL" else None
        self._journal_mode = running

    @property
    def journal_mode(self) -> str:
        """What SQLite runs: WAL on this computer's disks, the rollback journal (DELETE) on a
        network folder, or still WAL there when the switch could not happen (``wal_left``)."""
        return self._journal_mode

    def close(self) -> None:
        with self._lock:
            self._db.close()
