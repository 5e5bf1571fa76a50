"""The local database's schema: numbered migrations, each run in its own transaction.

``PRAGMA user_version`` is the number applied, so a file from any earlier version opens with
everything it held, queued writes included. Each step is safe to run again (a file that went
back to an older app, which marks it version 1, and forward again).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from typing import Final

log = logging.getLogger(__name__)


def _v1_history_drafts_and_notes(db: sqlite3.Connection) -> None:
    """The first release: pop history, note drafts per number, the notes outbox."""
    db.execute("""CREATE TABLE IF NOT EXISTS pop_history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        number TEXT NOT NULL,
        at REAL NOT NULL,
        status TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        call_id TEXT,
        source TEXT)""")
    db.execute("CREATE INDEX IF NOT EXISTS pop_history_at ON pop_history (at)")
    db.execute("""CREATE TABLE IF NOT EXISTS note_drafts (
        number TEXT PRIMARY KEY,
        text TEXT NOT NULL,
        updated REAL NOT NULL)""")
    db.execute("""CREATE TABLE IF NOT EXISTS note_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        number TEXT NOT NULL,
        call_id TEXT,
        content TEXT NOT NULL,
        created REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '')""")


def _v2_one_outbox(db: sqlite3.Connection) -> None:
    """One outbox for every kind of queued write: a kind and a JSON payload per row.

    Queued notes move over with their call ids, attempts and errors, and their ids where
    free. Safe to run again on a file that went back to an older app (which recreates and
    fills ``note_outbox``) and forward again.
    """
    db.execute("""CREATE TABLE IF NOT EXISTS outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        number TEXT NOT NULL,
        call_id TEXT,
        payload TEXT NOT NULL,
        created REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '')""")
    if not db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                      "AND name = 'note_outbox'").fetchone():
        return
    taken = {row[0] for row in db.execute("SELECT id FROM outbox")}
    rows = db.execute("SELECT id, number, call_id, content, created, attempts, last_error "
                      "FROM note_outbox ORDER BY id").fetchall()
    for id_, number, call_id, content, created, attempts, last_error in rows:
        db.execute(
            "INSERT INTO outbox (id, kind, number, call_id, payload, created, attempts, "
            "last_error) VALUES (?, 'note', ?, ?, ?, ?, ?, ?)",
            (None if id_ in taken else id_, number, call_id,
             json.dumps({"content": content}, ensure_ascii=False), created, attempts,
             last_error))
    # Ids of notes already delivered are never given out again.
    old_seq = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'note_outbox'").fetchone()
    new_seq = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
    if old_seq and (not new_seq or old_seq[0] > new_seq[0]):
        db.execute("DELETE FROM sqlite_sequence WHERE name = 'outbox'")
        db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('outbox', ?)", old_seq)
    db.execute("DROP TABLE note_outbox")


def _v3_recovered_files(db: sqlite3.Connection) -> None:
    """Which damaged files (kept aside) had their queued writes copied in: each only once."""
    db.execute("""CREATE TABLE IF NOT EXISTS recovered_files (
        name TEXT PRIMARY KEY,
        at REAL NOT NULL,
        items INTEGER NOT NULL)""")


def _add_column(db: sqlite3.Connection, table: str, column: str, declaration: str) -> None:
    columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
    if column not in columns:
        db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")


def _v4_field_drafts_and_outbox_states(db: sqlite3.Connection) -> None:
    """Unsaved form edits per field; the outbox learns held items, backoff and mid-send.

    ``held``: non-empty = kept for the agent to confirm (the reason); ``next_attempt``: Unix
    time of the next automatic try; ``sending``: set durably just before a write that cannot
    be repeated safely leaves, so a start that finds it set knows the app died mid-send.
    A row with ``grp`` and ``label`` empty holds the caller's form-level message.
    """
    db.execute("""CREATE TABLE IF NOT EXISTS field_drafts (
        number TEXT NOT NULL,
        grp TEXT NOT NULL,
        label TEXT NOT NULL,
        value TEXT NOT NULL,
        base TEXT NOT NULL,
        theirs TEXT,
        error TEXT NOT NULL DEFAULT '',
        updated REAL NOT NULL,
        PRIMARY KEY (number, grp, label))""")
    _add_column(db, "outbox", "held", "TEXT NOT NULL DEFAULT ''")
    _add_column(db, "outbox", "next_attempt", "REAL NOT NULL DEFAULT 0")
    _add_column(db, "outbox", "sending", "REAL NOT NULL DEFAULT 0")


def _v5_history_index(db: sqlite3.Connection) -> None:
    """A caller's pops by number: the latest pop of a caller with unsaved work is kept
    through retention and the row cap, and finding it must not scan the history on every
    pop."""
    db.execute("CREATE INDEX IF NOT EXISTS pop_history_number ON pop_history (number, id)")


def _v6_outbox_account(db: sqlite3.Connection) -> None:
    """Each queued write remembers the DeepCall account it was typed under (its brand address
    and API user, never a secret), so it is never sent to another one. '' (written before
    this version, or queued without an account): the first account that sends it."""
    _add_column(db, "outbox", "account", "TEXT NOT NULL DEFAULT ''")


def _v7_call_line_and_state(db: sqlite3.Connection) -> None:
    """Each pop remembers the line or queue that rang ("Sales IN") and how its call went
    (ringing, answered, ended; NULL for a pop with no call around it), issue 11."""
    _add_column(db, "pop_history", "line", "TEXT")
    _add_column(db, "pop_history", "call_state", "TEXT")


# Append only: migration N (1-based) turns a version N-1 file into version N.
MIGRATIONS: Final[tuple[Callable[[sqlite3.Connection], None], ...]] = (
    _v1_history_drafts_and_notes,
    _v2_one_outbox,
    _v3_recovered_files,
    _v4_field_drafts_and_outbox_states,
    _v5_history_index,
    _v6_outbox_account,
    _v7_call_line_and_state,
)
SCHEMA_VERSION: Final = len(MIGRATIONS)


def migrate(db: sqlite3.Connection) -> int:
    """Apply every migration the file lacks, each in its own transaction; the version now."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        log.warning("local database is version %d, newer than this app (%d); using it as is",
                    version, SCHEMA_VERSION)
        return version
    for number in range(version + 1, SCHEMA_VERSION + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[number - 1](db)
            db.execute(f"PRAGMA user_version={number}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        log.info("local database migrated to version %d", number)
    return SCHEMA_VERSION
