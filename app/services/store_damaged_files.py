"""The damaged database files the store kept aside, and the queued work it copies back.

A file SQLite calls corrupt is renamed ``….damaged-<time>`` (nothing deleted) and the store
starts a new one; at each start, the rows still queued in such a file (and half-typed notes)
come back into the live file, once, and the file is renamed ``….recovered``. What can be read
from a damaged file is ``app.services.store_recovery``'s job.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path
from typing import Final

from app.services.store_connection import StoreConnection, StoreUnavailable
from app.services.store_recovery import readable_items_of, remove_stale_copies

log = logging.getLogger(__name__)

DAMAGED_MARK: Final = ".damaged-"
# Appended to a damaged file's name once its queued items are in the live file: a fact on
# disk, so a later damaged live file (and its lost ``recovered_files``) never re-reads it.
RECOVERED_MARK: Final = ".recovered"
_SIDECARS: Final = ("-wal", "-shm", "-journal")


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


class DamagedFiles(StoreConnection):
    """Finding the damaged files kept aside beside the store's file and recovering them."""

    def _set_damaged_aside(self, exc: sqlite3.DatabaseError) -> None:
        """Rename the unreadable file (and its sidecars) ``….damaged-<time>``; the log says
        where it went."""
        aside = self._damaged_name()
        log.error("local database %s is unreadable (%s); moved to %s and starting fresh",
                  self.path, exc, aside)
        # The file first: a crash before its sidecars follow leaves them orphaned, and
        # ``_set_orphans_aside`` takes them to it at the next start.
        for suffix in ("", *_SIDECARS):
            source = Path(str(self.path) + suffix)
            if source.exists():
                source.replace(Path(str(aside) + suffix))

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
