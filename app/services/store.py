"""The profile's local database (SQLite, WAL): pop history, note drafts and the outbox.

Anything queued for DeepCall (a note now, a Directory save next) is written to the outbox
*before* it is sent and deleted only after DeepCall accepted it, so a crash, a network fault
or a rejected token never loses what the agent typed. No Qt here; one connection guarded by a
lock, so the Qt main thread and a worker may both use it.

The schema grows by numbered migrations (``app.services.store_schema``). Durability: the
agent's work (field drafts, note drafts, the outbox) commits with ``synchronous=FULL``, which
survives a power cut; pop history stays ``NORMAL`` (it is on the pop's path, and losing the
last pop record to a power cut loses nothing the agent typed).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from app.core.history_search import HistoryQuery, fold_name
from app.services.store_recovery import is_corrupt, readable_items_of, remove_stale_copies
from app.services.store_schema import MIGRATIONS, SCHEMA_VERSION, migrate

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "FieldDraft", "LocalStore", "OutboxItem",
           "PendingMarks", "PopRecord", "StoreUnavailable"]

log = logging.getLogger(__name__)

DATABASE_FILE_NAME: Final = "screenpop.sqlite3"
HISTORY_LIMIT: Final = 5000  # rows kept; older pops are pruned on insert
BUSY_TIMEOUT_SECONDS: Final = 5.0
DAMAGED_MARK: Final = ".damaged-"
# Appended to a damaged file's name once its queued items are in the live file: a fact on
# disk, so a later damaged live file (and its lost ``recovered_files``) never re-reads it.
RECOVERED_MARK: Final = ".recovered"
_SIDECARS: Final = ("-wal", "-shm", "-journal")


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
    kind: str  # "note", "update", "create"
    number: str  # E.164
    call_id: str | None  # None: resolved when sending
    payload: Mapping[str, Any]
    created: float
    attempts: int
    last_error: str
    held: str = ""  # non-empty: kept for the agent to confirm or discard; the reason
    next_attempt: float = 0.0  # Unix time of the next automatic try
    sending: float = 0.0  # non-zero: a write that cannot be repeated safely had left
    account: str = ""  # the DeepCall account it was queued under ("" = the first that sends it)


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


@dataclass(frozen=True)
class PendingMarks:
    """What is still open for one number: for the history's marks."""

    drafts: bool  # field drafts or a note draft
    queued: int  # outbox items waiting to be sent
    held: int  # outbox items held for the agent


# A field_drafts row with no group and no label holds the caller's form-level message
# (e.g. "the contact was deleted in DeepCall meanwhile"): kept as durably as the drafts.
FORM_ROW: Final = ("", "")
_POP_COLUMNS: Final = "id, number, at, status, name, call_id, source"
# Retention, clearing and the row cap never take the last way to a caller's unsaved work
# (field or note drafts, outbox items): their latest pop stays, with its marks and re-pop.
_NOT_THE_WAY_BACK: Final = (
    "id NOT IN (SELECT max(id) FROM pop_history WHERE number IN (SELECT number FROM "
    "field_drafts UNION SELECT number FROM note_drafts UNION SELECT number FROM outbox) "
    "GROUP BY number)")
_OUTBOX_COLUMNS: Final = ("id, kind, number, call_id, payload, created, attempts, last_error, "
                          "held, next_attempt, sending, account")
_DRAFT_COLUMNS: Final = "grp, label, value, base, theirs, error, updated"


def _outbox_item(row: tuple[Any, ...]) -> OutboxItem:
    id_, kind, number, call_id, payload, *counters = row
    try:
        data = json.loads(payload)
    except (TypeError, ValueError):
        data = None
    if not isinstance(data, dict):
        # Kept as it is (nothing queued is deleted); the outbox never sends an unreadable item.
        data = {"unreadable": str(payload)[:200]}
    return OutboxItem(id_, kind, number, call_id, data, *counters)


class LocalStore:
    """One SQLite file under the profile. Every public method is one short transaction.

    ``busy_timeout``: how long to wait for another program's lock before giving up
    (``StoreUnavailable``); the file is never moved for that. ``platform``: ``sys.platform``
    (a test passes another one).
    """

    def __init__(self, path: Path, *, busy_timeout: float = BUSY_TIMEOUT_SECONDS,
                 platform: str = sys.platform) -> None:
        self.path = Path(path)
        self._busy_timeout = busy_timeout
        self._platform = platform
        self._lock = threading.Lock()
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
            if self._platform == "darwin":
                # macOS's fsync leaves the data in the drive's cache: without F_FULLFSYNC a
                # "durable" commit does not survive a power cut there.
                db.execute("PRAGMA fullfsync=ON")
                db.execute("PRAGMA checkpoint_fullfsync=ON")
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
        # Durable: the damaged file is renamed ``.recovered`` right after, and that rename
        # must never reach the disk before the notes it gave back.
        with self._transaction(durable=True) as db:
            # Read once, not per row: the outbox has no index for this, and a scan per row
            # made a start with thousands of recovered rows take many seconds.
            queued = set(db.execute("SELECT kind, number, payload, created FROM outbox"))
            for row in items.queued:
                kind, number, _call_id, payload, created, *_ = row
                if (kind, number, payload, created) in queued:
                    continue  # already queued here (carried over from an earlier file)
                db.execute("INSERT INTO outbox (kind, number, call_id, payload, created, "
                           "attempts, last_error, held, sending) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
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
                    self._db.execute("PRAGMA synchronous=NORMAL")

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
            db.execute(f"DELETE FROM pop_history WHERE id <= ? AND {_NOT_THE_WAY_BACK}",  # noqa: S608 (fixed parts)
                       (int(cursor.lastrowid or 0) - HISTORY_LIMIT,))
            return int(cursor.lastrowid or 0)

    def update_pop(self, pop_id: int, status: str, name: str = "") -> None:
        with self._transaction() as db:
            db.execute("UPDATE pop_history SET status = ?, name = ? WHERE id = ?",
                       (status, name, pop_id))

    def end_unfinished_pops(self, status: str) -> int:
        """Every pop still "loading" ends as ``status``; how many."""
        with self._transaction() as db:
            return db.execute("UPDATE pop_history SET status = ? WHERE status = 'loading'",
                              (status,)).rowcount

    def recent_pops(self, limit: int = 50) -> list[PopRecord]:
        return self.search_pops("", limit)

    def search_pops(self, text: str, limit: int = 50) -> list[PopRecord]:
        """Pops whose name holds every word of ``text`` (any case, width, script) and whose
        number holds its digits, newest first; every pop for an empty ``text``."""
        query = HistoryQuery.of(text)
        clauses = ["instr(screenpop_fold(name), ?) > 0"] * len(query.words)
        params: tuple[str, ...] = query.words
        if query.digits:
            clauses.append("instr(number, ?) > 0")
            params += (query.digits,)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"SELECT {_POP_COLUMNS} FROM pop_history{where} ORDER BY id DESC LIMIT ?"  # noqa: S608 (fixed parts)
        with self._lock:
            rows = self._db.execute(sql, (*params, limit)).fetchall()
        return [PopRecord(*row) for row in rows]

    def prune_pops(self, before: float, after: float = math.inf) -> int:
        """Retention: the pops older than ``before`` or dated after ``after`` (Unix time) go,
        except the latest of a caller with unsaved work; how many went."""
        with self._transaction() as db:
            return db.execute(
                f"DELETE FROM pop_history WHERE (at < ? OR at > ?) AND {_NOT_THE_WAY_BACK}",  # noqa: S608 (fixed parts)
                (before, after)).rowcount

    def clear_pops(self) -> int:
        """Every pop goes but the latest of each caller with unsaved work; drafts and the
        outbox stay (what the agent typed is not history). How many went."""
        with self._transaction() as db:
            return db.execute(f"DELETE FROM pop_history WHERE {_NOT_THE_WAY_BACK}").rowcount  # noqa: S608 (fixed parts)

    def forget_caller(self, number: str) -> int:
        """A caller's pops, note draft and field drafts go, in one transaction; what waits in
        the outbox for them stays (it is work for DeepCall, not a record of the caller).
        How many pops went."""
        with self._transaction() as db:
            gone = db.execute("DELETE FROM pop_history WHERE number = ?", (number,)).rowcount
            db.execute("DELETE FROM note_drafts WHERE number = ?", (number,))
            db.execute("DELETE FROM field_drafts WHERE number = ?", (number,))
            return gone

    # --- note drafts ---------------------------------------------------------------------
    def save_draft(self, number: str, text: str) -> None:
        """Keep what the agent is typing for ``number``; an empty text removes the draft."""
        with self._transaction(durable=True) as db:
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

    # --- field drafts ---------------------------------------------------------------------
    def field_drafts(self, number: str) -> dict[tuple[str, str], FieldDraft]:
        """``number``'s unsaved field edits by (group, label)."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_DRAFT_COLUMNS} FROM field_drafts WHERE number = ? "  # noqa: S608 (fixed parts)
                "AND NOT (grp = '' AND label = '') ORDER BY rowid", (number,)).fetchall()
        return {(row[0], row[1]): FieldDraft(*row) for row in rows}

    def form_error(self, number: str) -> str:
        with self._lock:
            row = self._db.execute("SELECT error FROM field_drafts WHERE number = ? AND "
                                   "grp = '' AND label = ''", (number,)).fetchone()
        return str(row[0]) if row else ""

    def write_field_drafts(self, number: str, drafts: Iterable[FieldDraft], *,
                           remove: Iterable[tuple[str, str]] = (),
                           form_error: str | None = None) -> None:
        """Upsert ``drafts`` and delete the ``remove`` keys, durably, in one transaction;
        ``form_error``: the caller's form-level message ("" clears it; None leaves it)."""
        with self._transaction(durable=True) as db:
            _write_drafts(db, number, drafts, remove, form_error)

    # --- the outbox ------------------------------------------------------------------
    def enqueue(self, kind: str, number: str, payload: Mapping[str, Any],
                call_id: str | None = None, *, clear_note_draft: bool = False,
                drafts_done: Iterable[tuple[str, str]] = (), account: str = "") -> int:
        """Keep a write for DeepCall before sending it, durably; its outbox id.

        ``clear_note_draft``: the number's note draft goes in the same transaction (the
        note is now here), so a crash never leaves it in both places; ``drafts_done``: the
        field drafts that leave with it (and the caller's form-level message), likewise.
        ``account``: the DeepCall account it belongs to (see ``OutboxItem.account``).
        """
        with self._transaction(durable=True) as db:
            cursor = db.execute(
                "INSERT INTO outbox (kind, number, call_id, payload, created, account) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (kind, number, call_id, json.dumps(dict(payload), ensure_ascii=False),
                 time.time(), account))
            if clear_note_draft:
                db.execute("DELETE FROM note_drafts WHERE number = ?", (number,))
            drafts_done = list(drafts_done)
            if drafts_done:
                _write_drafts(db, number, (), drafts_done, "")
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

    def outbox_unheld(self, kinds: Iterable[str]) -> list[OutboxItem]:
        """The items of ``kinds`` not held for the agent, oldest first: what may be sent."""
        kinds = list(kinds)
        marks = ",".join("?" * len(kinds)) or "NULL"
        query = (f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE held = '' "  # noqa: S608 (fixed parts)
                 f"AND kind IN ({marks}) ORDER BY id")
        with self._lock:
            rows = self._db.execute(query, kinds).fetchall()
        return [_outbox_item(row) for row in rows]

    def outbox_item(self, item_id: int) -> OutboxItem | None:
        query = f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE id = ?"  # noqa: S608 (fixed parts)
        with self._lock:
            row = self._db.execute(query, (item_id,)).fetchone()
        return _outbox_item(row) if row else None

    def set_outbox_call_id(self, item_id: int, call_id: str) -> None:
        with self._transaction(durable=True) as db:
            db.execute("UPDATE outbox SET call_id = ? WHERE id = ?", (call_id, item_id))

    def outbox_claim(self, item_id: int, account: str) -> None:
        """An item queued without an account now belongs to ``account`` (its first send)."""
        with self._transaction(durable=True) as db:
            db.execute("UPDATE outbox SET account = ? WHERE id = ? AND account = ''",
                       (account, item_id))

    def outbox_release_held(self, reason: str, account: str) -> list[int]:
        """Release ``account``'s items held with exactly ``reason``; their ids."""
        with self._transaction(durable=True) as db:
            ids = [row[0] for row in db.execute(
                "SELECT id FROM outbox WHERE held = ? AND account = ?", (reason, account))]
            db.execute("UPDATE outbox SET held = '', next_attempt = 0 WHERE held = ? "
                       "AND account = ?", (reason, account))
        return ids

    def outbox_sending(self, item_id: int) -> None:
        """The write is about to leave: on the disk before it does (see ``sending``)."""
        with self._transaction(durable=True) as db:
            db.execute("UPDATE outbox SET sending = ? WHERE id = ?", (time.time(), item_id))

    def outbox_failed(self, item_id: int, error: str, next_attempt: float = 0.0) -> None:
        with self._transaction(durable=True) as db:
            db.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ?, "
                       "next_attempt = ?, sending = 0 WHERE id = ?",
                       (error, next_attempt, item_id))

    def outbox_hold(self, item_id: int, reason: str) -> None:
        """Keep the item for the agent: never sent again until ``outbox_release``."""
        with self._transaction(durable=True) as db:
            db.execute("UPDATE outbox SET held = ?, last_error = ?, sending = 0 WHERE id = ?",
                       (reason, reason, item_id))

    def outbox_release(self, item_id: int) -> None:
        with self._transaction(durable=True) as db:
            db.execute("UPDATE outbox SET held = '', next_attempt = 0, sending = 0 "
                       "WHERE id = ?", (item_id,))

    def outbox_interrupted(self, hold_kinds: Iterable[str], reason: str) -> list[int]:
        """At start: the items a write was leaving for when the app stopped. Those of
        ``hold_kinds`` are held with ``reason``; the others are simply due again. Their ids."""
        kinds = list(hold_kinds)
        marks = ",".join("?" * len(kinds)) or "NULL"
        with self._transaction(durable=True) as db:
            ids = [row[0] for row in db.execute("SELECT id FROM outbox WHERE sending != 0")]
            db.execute(f"UPDATE outbox SET held = ?, last_error = ? WHERE sending != 0 "  # noqa: S608 (fixed parts)
                       f"AND kind IN ({marks})", (reason, reason, *kinds))
            db.execute("UPDATE outbox SET sending = 0 WHERE sending != 0")
        return ids

    def outbox_delivered(self, item_id: int) -> None:
        """DeepCall accepted the write: only now does it leave the outbox."""
        with self._transaction(durable=True) as db:
            db.execute("DELETE FROM outbox WHERE id = ?", (item_id,))

    def outbox_returned(self, item_id: int, number: str, drafts: Iterable[FieldDraft],
                        form_error: str, *, also: Iterable[int] = ()) -> None:
        """A save refused or in conflict: it (and the saves ``also`` named) leaves the outbox
        and its edits are drafts again, in one transaction (never both, never neither).

        A draft of the same field typed after the save was queued is newer than anything
        coming back: its value and base stay; only DeepCall's value and the reason join it.
        """
        ids = [item_id, *also]
        marks = ",".join("?" * len(ids))
        with self._transaction(durable=True) as db:
            row = db.execute(f"SELECT min(created) FROM outbox WHERE id IN ({marks})",  # noqa: S608 (fixed parts)
                             ids).fetchone()
            queued = row[0] if row and row[0] is not None else time.time()
            rows = db.execute(
                f"SELECT {_DRAFT_COLUMNS} FROM field_drafts WHERE number = ? "  # noqa: S608 (fixed parts)
                "AND NOT (grp = '' AND label = '') AND updated > ?", (number, queued))
            newer = {(row[0], row[1]): FieldDraft(*row) for row in rows}
            db.execute(f"DELETE FROM outbox WHERE id IN ({marks})", ids)  # noqa: S608 (fixed parts)
            _write_drafts(db, number, [_returned_onto(newer.get((d.group, d.label)), d)
                                       for d in drafts], (), form_error)

    def outbox_counts(self, kinds: Iterable[str]) -> tuple[int, int]:
        """(waiting, held) among the items of ``kinds``."""
        kinds = list(kinds)
        marks = ",".join("?" * len(kinds)) or "NULL"
        with self._lock:
            row = self._db.execute(
                f"SELECT count(*) FILTER (WHERE held = ''), count(*) FILTER (WHERE held != '') "  # noqa: S608 (fixed parts)
                f"FROM outbox WHERE kind IN ({marks})", kinds).fetchone()
        return int(row[0]), int(row[1])

    def pending_by_number(self, kinds: Iterable[str] | None = None) -> dict[str, PendingMarks]:
        """Every number with field drafts, a note draft or outbox items (of ``kinds``: those
        ``outbox_counts`` counts, so the history and the status bar agree; None: all)."""
        marks: dict[str, list[int]] = {}
        kinds = None if kinds is None else list(kinds)
        marks_of = "" if kinds is None else ",".join("?" * len(kinds)) or "NULL"
        of_kinds = "" if kinds is None else f"WHERE kind IN ({marks_of}) "
        with self._lock:
            for (number,) in self._db.execute(
                    "SELECT DISTINCT number FROM field_drafts UNION "
                    "SELECT number FROM note_drafts"):
                marks.setdefault(number, [1, 0, 0])
            for number, queued, held in self._db.execute(
                    "SELECT number, count(*) FILTER (WHERE held = ''), "  # noqa: S608 (fixed parts)
                    f"count(*) FILTER (WHERE held != '') FROM outbox {of_kinds}GROUP BY number",
                    kinds or ()):
                entry = marks.setdefault(number, [0, 0, 0])
                entry[1], entry[2] = int(queued), int(held)
        return {number: PendingMarks(bool(d), q, h) for number, (d, q, h) in marks.items()}


def _returned_onto(newer: FieldDraft | None, returned: FieldDraft) -> FieldDraft:
    if newer is None:
        return returned
    return FieldDraft(newer.group, newer.label, newer.value, newer.base,
                      theirs=returned.theirs if returned.theirs is not None else newer.theirs,
                      error=returned.error or newer.error, updated=newer.updated)


def _write_drafts(db: sqlite3.Connection, number: str, drafts: Iterable[FieldDraft],
                  remove: Iterable[tuple[str, str]], form_error: str | None) -> None:
    now = time.time()
    for group, label in remove:
        db.execute("DELETE FROM field_drafts WHERE number = ? AND grp = ? AND label = ?",
                   (number, group, label))
    for draft in drafts:
        db.execute(
            f"INSERT OR REPLACE INTO field_drafts (number, {_DRAFT_COLUMNS}) "  # noqa: S608 (fixed parts)
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (number, draft.group, draft.label, draft.value, draft.base, draft.theirs,
             draft.error, draft.updated or now))
    if form_error is not None:
        db.execute("DELETE FROM field_drafts WHERE number = ? AND grp = '' AND label = ''",
                   (number,))
        if form_error:
            db.execute("INSERT INTO field_drafts (number, grp, label, value, base, error, "
                       "updated) VALUES (?, '', '', '', '', ?, ?)", (number, form_error, now))
