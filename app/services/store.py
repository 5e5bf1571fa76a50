"""The profile's local database (SQLite, WAL): pop history, note drafts and the notes outbox.

A note is written here *before* notesAdd is called and deleted only after DeepCall accepted it,
so a crash, a network fault or a rejected token never loses what the agent typed. No Qt here;
one connection guarded by a lock, so the Qt main thread and a worker may both use it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

log = logging.getLogger(__name__)

DATABASE_FILE_NAME: Final = "screenpop.sqlite3"
HISTORY_LIMIT: Final = 5000  # rows kept; older pops are pruned on insert
_SCHEMA_VERSION: Final = 1
_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS pop_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL,
    at REAL NOT NULL,
    status TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    call_id TEXT,
    source TEXT
);
CREATE INDEX IF NOT EXISTS pop_history_at ON pop_history (at);
CREATE TABLE IF NOT EXISTS note_drafts (
    number TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS note_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL,
    call_id TEXT,
    content TEXT NOT NULL,
    created REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
);
"""


@dataclass(frozen=True)
class PopRecord:
    id: int
    number: str
    at: float  # Unix time
    status: str
    name: str
    call_id: str | None
    source: str | None


@dataclass(frozen=True)
class OutboxNote:
    id: int
    number: str  # E.164
    call_id: str | None  # None: resolved from recentCalls when sending
    content: str
    created: float
    attempts: int
    last_error: str


class LocalStore:
    """One SQLite file under the profile. Every public method is one short transaction."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = self._open()

    @classmethod
    def in_profile(cls, profile_dir: Path) -> LocalStore:
        return cls(Path(profile_dir) / DATABASE_FILE_NAME)

    def __repr__(self) -> str:
        return f"LocalStore(path={str(self.path)!r})"

    def _open(self) -> sqlite3.Connection:
        try:
            return self._connect()
        except sqlite3.DatabaseError as exc:
            # A damaged file must not stop the app; keep it aside (nothing deleted) and start
            # a new one. The log says where the old one went.
            aside = self.path.with_name(f"{self.path.name}.damaged-{int(time.time())}")
            log.error("local database %s is unreadable (%s); moved to %s and starting fresh",
                      self.path, exc, aside)
            for suffix in ("", "-wal", "-shm"):
                source = Path(str(self.path) + suffix)
                if source.exists():
                    source.replace(Path(str(aside) + suffix))
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        is_new = not self.path.exists()
        # Autocommit (isolation_level=None): each statement commits; ``_transaction`` groups.
        db = sqlite3.connect(self.path, timeout=5.0, isolation_level=None,
                             check_same_thread=False)
        try:
            if is_new and os.name == "posix":
                os.chmod(self.path, 0o600)  # call history and notes: owner only
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # durable across app crashes in WAL mode
            db.executescript(_SCHEMA)
            db.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
            db.execute("SELECT count(*) FROM note_outbox").fetchone()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- pop history ---------------------------------------------------------------------
    def record_pop(self, number: str, status: str, *, name: str = "",
                   call_id: str | None = None, source: str | None = None,
                   at: float | None = None) -> int:
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO pop_history (number, at, status, name, call_id, source) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (number, time.time() if at is None else at, status, name, call_id, source))
            db.execute("DELETE FROM pop_history WHERE id <= ?",
                       (int(cursor.lastrowid or 0) - HISTORY_LIMIT,))
            return int(cursor.lastrowid or 0)

    def update_pop(self, pop_id: int, status: str, name: str = "") -> None:
        with self._transaction() as db:
            db.execute("UPDATE pop_history SET status = ?, name = ? WHERE id = ?",
                       (status, name, pop_id))

    def recent_pops(self, limit: int = 50) -> list[PopRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, number, at, status, name, call_id, source FROM pop_history "
                "ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [PopRecord(*row) for row in rows]

    # --- note drafts ---------------------------------------------------------------------
    def save_draft(self, number: str, text: str) -> None:
        """Keep what the agent is typing for ``number``; an empty text removes the draft."""
        with self._transaction() as db:
            if text.strip():
                db.execute("INSERT INTO note_drafts (number, text, updated) VALUES (?, ?, ?) "
                           "ON CONFLICT(number) DO UPDATE SET text = excluded.text, "
                           "updated = excluded.updated", (number, text, time.time()))
            else:
                db.execute("DELETE FROM note_drafts WHERE number = ?", (number,))

    def load_draft(self, number: str) -> str:
        with self._lock:
            row = self._db.execute("SELECT text FROM note_drafts WHERE number = ?",
                                   (number,)).fetchone()
        return str(row[0]) if row else ""

    # --- notes outbox --------------------------------------------------------------------
    def enqueue_note(self, number: str, content: str, call_id: str | None = None) -> int:
        """Save a note before sending it; the draft for the number goes (it is now here)."""
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO note_outbox (number, call_id, content, created) VALUES (?, ?, ?, ?)",
                (number, call_id, content, time.time()))
            db.execute("DELETE FROM note_drafts WHERE number = ?", (number,))
            return int(cursor.lastrowid or 0)

    def pending_notes(self, number: str | None = None) -> list[OutboxNote]:
        query = ("SELECT id, number, call_id, content, created, attempts, last_error "
                 "FROM note_outbox")
        params: tuple[str, ...] = ()
        if number is not None:
            query += " WHERE number = ?"
            params = (number,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY id", params).fetchall()
        return [OutboxNote(*row) for row in rows]

    def note(self, note_id: int) -> OutboxNote | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, number, call_id, content, created, attempts, last_error "
                "FROM note_outbox WHERE id = ?", (note_id,)).fetchone()
        return OutboxNote(*row) if row else None

    def set_note_call_id(self, note_id: int, call_id: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE note_outbox SET call_id = ? WHERE id = ?", (call_id, note_id))

    def note_failed(self, note_id: int, error: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE note_outbox SET attempts = attempts + 1, last_error = ? "
                       "WHERE id = ?", (error, note_id))

    def note_sent(self, note_id: int) -> None:
        """DeepCall accepted the note: only now does it leave the outbox."""
        with self._transaction() as db:
            db.execute("DELETE FROM note_outbox WHERE id = ?", (note_id,))
