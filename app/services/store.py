"""The profile's local database (SQLite, WAL): pop history, note drafts and the outbox.

Anything queued for DeepCall (a note now, a Directory save next) is written to the outbox
*before* it is sent and deleted only after DeepCall accepted it, so a crash, a network fault
or a rejected token never loses what the agent typed. No Qt here; one connection guarded by a
lock, so the Qt main thread and a worker may both use it.

The schema grows by numbered migrations (``MIGRATIONS``; ``PRAGMA user_version`` is the number
applied), each run in one transaction, so a file from any earlier version opens with
everything it held, queued writes included.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from app.services.store_recovery import is_corrupt, readable_items_of, remove_stale_copies

log = logging.getLogger(__name__)

DATABASE_FILE_NAME: Final = "screenpop.sqlite3"
HISTORY_LIMIT: Final = 5000  # rows kept; older pops are pruned on insert
BUSY_TIMEOUT_SECONDS: Final = 5.0
DAMAGED_MARK: Final = ".damaged-"
# Appended to a damaged file's name once its queued items are in the live file: a fact on
# disk, so a later damaged live file (and its lost ``recovered_files``) never re-reads it.
RECOVERED_MARK: Final = ".recovered"
_SIDECARS: Final = ("-wal", "-shm", "-journal")


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


# Append only: migration N (1-based) turns a version N-1 file into version N.
MIGRATIONS: Final[tuple[Callable[[sqlite3.Connection], None], ...]] = (
    _v1_history_drafts_and_notes,
    _v2_one_outbox,
    _v3_recovered_files,
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


class StoreUnavailable(OSError):
    """The local database exists but cannot be used right now (locked, full disk, a failed
    upgrade); it is left exactly as it is."""

    def __init__(self, path: Path, cause: BaseException) -> None:
        if _is_in_use(cause):
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


def _free_name(path: Path) -> Path:
    """``path``, or ``path-2``, ``path-3``…: a file damaged twice in a second keeps both."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}-{number}")
    return candidate


def _half_marked(aside: Path) -> Path | None:
    """The ``….recovered`` name that ``aside``'s sidecars already went to when the app
    stopped between renaming them and the file itself, else None. Such a file was recovered:
    read again without its WAL, it could bring back a note the WAL says was delivered."""
    for suffix in _SIDECARS:
        for sidecar in aside.parent.glob(f"{aside.name}{RECOVERED_MARK}*{suffix}"):
            target = Path(str(sidecar)[:-len(suffix)])
            if not target.exists():
                return target
    return None


def _mark_recovered(aside: Path, target: Path | None = None) -> None:
    """Rename a damaged file whose queued items were copied (sidecars first, then the file)."""
    target = target or _free_name(aside.with_name(aside.name + RECOVERED_MARK))
    try:
        for suffix in (*_SIDECARS, ""):
            source = Path(str(aside) + suffix)
            if source.exists():
                source.replace(Path(str(target) + suffix))
    except OSError as exc:  # the live file's ``recovered_files`` still remembers it
        log.warning("could not rename the recovered damaged file %s: %s", aside, exc)


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
class OutboxItem:
    id: int
    kind: str  # "note"; Directory saves next
    number: str  # E.164
    call_id: str | None  # None: resolved when sending
    payload: Mapping[str, Any]
    created: float
    attempts: int
    last_error: str


@dataclass(frozen=True)
class FieldDraft:
    """One unsaved edit of one field of one caller's contact (issue 10; table ``field_drafts``)."""

    group: str
    label: str
    value: str  # what the agent typed
    base: str  # the field's saved value when the agent typed it (what Esc goes back to)
    theirs: str | None = None  # DeepCall's newer value found at a conflict: the agent chooses
    error: str = ""  # why it was not saved (invalid, refused by DeepCall, conflict)
    updated: float = 0.0


_OUTBOX_COLUMNS: Final = "id, kind, number, call_id, payload, created, attempts, last_error"


def _outbox_item(row: tuple[Any, ...]) -> OutboxItem:
    id_, kind, number, call_id, payload, created, attempts, last_error = row
    try:
        data = json.loads(payload)
    except (TypeError, ValueError):
        data = None
    if not isinstance(data, dict):
        # Kept as it is (nothing queued is deleted); the outbox never sends an unreadable item.
        data = {"unreadable": str(payload)[:200]}
    return OutboxItem(id_, kind, number, call_id, data, created, attempts, last_error)


class LocalStore:
    """One SQLite file under the profile. Every public method is one short transaction.

    ``busy_timeout``: how long to wait for another program's lock before giving up
    (``StoreUnavailable``); the file is never moved for that.
    """

    def __init__(self, path: Path, *, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> None:
        self.path = Path(path)
        self._busy_timeout = busy_timeout
        self._lock = threading.Lock()
        self._db = self._open()
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
            # a new one. The log says where the old one went.
            aside = self._damaged_name()
            log.error("local database %s is unreadable (%s); moved to %s and starting fresh",
                      self.path, exc, aside)
            # The file first: a crash before its sidecars follow leaves them orphaned, and
            # ``_set_orphans_aside`` takes them to it at the next start.
            for suffix in ("", *_SIDECARS):
                source = Path(str(self.path) + suffix)
                if source.exists():
                    source.replace(Path(str(aside) + suffix))
            return self._connect()

    def _damaged_name(self) -> Path:
        return _free_name(self.path.with_name(
            f"{self.path.name}{DAMAGED_MARK}{int(time.time())}"))

    def _damaged_files(self) -> list[Path]:
        """The damaged files kept aside and not yet recovered, in the order they were moved
        aside (the order of their names, ``….damaged-<time>[-<n>]``, read as numbers)."""
        return sorted(
            (p for p in self.path.parent.glob(f"{self.path.name}{DAMAGED_MARK}*")
             # "….recovered" or, named in the same second as another, "….recovered-2"
             if RECOVERED_MARK not in p.name and not p.name.endswith(_SIDECARS)
             and p.is_file()),
            key=self._moved_aside_order)

    def _moved_aside_order(self, damaged: Path) -> tuple[int, ...]:
        """``….damaged-1700000000-2`` -> (1700000000, 2); a name not of that shape first."""
        parts = damaged.name[len(self.path.name) + len(DAMAGED_MARK):].split("-")
        if len(parts) > 2 or not all(part.isdigit() for part in parts):
            return (-1,)
        return (int(parts[0]), int(parts[1]) if len(parts) == 2 else 1)

    def _set_orphans_aside(self) -> None:
        """A WAL or journal without its database file belongs to the file last moved aside.

        Left there, SQLite would replay it into the new file (old pages in a fresh database)
        and recovery would read the damaged file without its latest writes.
        """
        if self.path.exists():
            return
        damaged = self._damaged_files()
        for suffix in _SIDECARS:
            orphan = Path(str(self.path) + suffix)
            if not orphan.exists():
                continue
            # The file moved aside last: its name, not its modification time (a copy or a
            # backup tool may change that).
            owners = [p for p in damaged if not Path(str(p) + suffix).exists()]
            owner = owners[-1] if owners else None
            target = Path(str(owner or self._damaged_name()) + suffix)
            log.warning("%s has no database file beside it; moved to %s", orphan, target)
            try:
                orphan.replace(target)
            except OSError as exc:  # never start on top of it
                raise StoreUnavailable(self.path, exc) from exc

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        is_new = not self.path.exists()
        # Autocommit (isolation_level=None): each statement commits; ``_transaction`` groups.
        db = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None,
                             check_same_thread=False)
        try:
            if is_new and os.name == "posix":
                os.chmod(self.path, 0o600)  # call history and notes: owner only
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # durable across app crashes in WAL mode
            migrate(db)
            db.execute("SELECT count(*) FROM outbox").fetchone()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _recover_damaged_files(self) -> None:
        """Copy what was still queued in each damaged file kept aside into this one, once.

        A note typed before the file broke is the agent's work: whatever rows can still be
        read come back into the outbox (and are sent). Then the file is renamed
        ``….recovered`` (its content untouched), so no later start reads it again, even one
        after this file breaks too; ``recovered_files`` and skipping rows already queued
        cover a crash before that rename.
        """
        remove_stale_copies(self.path.parent)
        for aside in self._damaged_files():
            half_marked = _half_marked(aside)
            if half_marked is not None:
                log.warning("%s was recovered before; finishing its rename", aside)
                _mark_recovered(aside, half_marked)
                continue
            with self._lock:
                done = self._db.execute("SELECT 1 FROM recovered_files WHERE name = ?",
                                        (aside.name,)).fetchone()
            if not done:
                try:
                    added = self._copy_queued_rows(aside)
                except Exception:  # whatever the file holds, the app starts
                    # A full disk, say: tried again at the next start.
                    log.exception("could not recover the queued items of %s", aside)
                    continue
                log.warning("recovered %d queued item(s) from the damaged file %s",
                            added, aside)
            _mark_recovered(aside)

    def _copy_queued_rows(self, aside: Path) -> int:
        items = readable_items_of(aside)
        added = 0
        with self._transaction() as db:
            # Read once, not per row: the outbox has no index for this, and a scan per row
            # made a start with thousands of recovered rows take many seconds.
            queued = set(db.execute("SELECT kind, number, payload, created FROM outbox"))
            for row in items.queued:
                kind, number, _call_id, payload, created, *_ = row
                if (kind, number, payload, created) in queued:
                    continue  # already queued here (carried over from an earlier file)
                db.execute("INSERT INTO outbox (kind, number, call_id, payload, created, "
                           "attempts, last_error) VALUES (?, ?, ?, ?, ?, ?, ?)", row)
                queued.add((kind, number, payload, created))
                added += 1
            for draft in items.drafts:  # half-typed notes too, unless retyped since
                db.execute("INSERT INTO note_drafts (number, text, updated) VALUES (?, ?, ?) "
                           "ON CONFLICT(number) DO UPDATE SET text = excluded.text, "
                           "updated = excluded.updated "
                           "WHERE excluded.updated > note_drafts.updated", draft)
            db.execute("INSERT INTO recovered_files (name, at, items) VALUES (?, ?, ?)",
                       (aside.name, time.time(), added))
        return added

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

    # --- the outbox ------------------------------------------------------------------
    def enqueue(self, kind: str, number: str, payload: Mapping[str, Any],
                call_id: str | None = None, *, clear_note_draft: bool = False) -> int:
        """Keep a write for DeepCall before sending it; its outbox id.

        ``clear_note_draft``: the number's note draft goes in the same transaction (the
        note is now here), so a crash never leaves it in both places.
        """
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO outbox (kind, number, call_id, payload, created) "
                "VALUES (?, ?, ?, ?, ?)",
                (kind, number, call_id, json.dumps(dict(payload), ensure_ascii=False),
                 time.time()))
            if clear_note_draft:
                db.execute("DELETE FROM note_drafts WHERE number = ?", (number,))
            return int(cursor.lastrowid or 0)

    def outbox_items(self, kind: str | None = None,
                     number: str | None = None) -> list[OutboxItem]:
        """What waits in the outbox, oldest first."""
        clauses: list[str] = []
        params: list[str] = []
        if kind is not None:
            clauses.append("kind = ?")
            params.append(kind)
        if number is not None:
            clauses.append("number = ?")
            params.append(number)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        query = f"SELECT {_OUTBOX_COLUMNS} FROM outbox{where} ORDER BY id"  # noqa: S608 (fixed parts)
        with self._lock:
            rows = self._db.execute(query, params).fetchall()
        return [_outbox_item(row) for row in rows]

    def outbox_item(self, item_id: int) -> OutboxItem | None:
        query = f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE id = ?"  # noqa: S608 (fixed parts)
        with self._lock:
            row = self._db.execute(query, (item_id,)).fetchone()
        return _outbox_item(row) if row else None

    def set_outbox_call_id(self, item_id: int, call_id: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE outbox SET call_id = ? WHERE id = ?", (call_id, item_id))

    def outbox_failed(self, item_id: int, error: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ? "
                       "WHERE id = ?", (error, item_id))

    def outbox_delivered(self, item_id: int) -> None:
        """DeepCall accepted the write: only now does it leave the outbox."""
        with self._transaction() as db:
            db.execute("DELETE FROM outbox WHERE id = ?", (item_id,))
