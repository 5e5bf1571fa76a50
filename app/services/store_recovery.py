"""What can still be read from a damaged local database: the writes it held for DeepCall.

The store keeps a damaged file aside (never deletes it) and, on the next start, copies the
queued rows found here into its fresh file, so a note typed before the file broke is sent.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

log = logging.getLogger(__name__)

# The working copies' folders, beside the database: they hold call history, so one left
# behind by a killed app is removed at the next start (``remove_stale_copies``).
_WORK_PREFIX: Final = ".recovering-"

_QUEUED_ROW_COLUMNS: Final = (
    # (table, the columns of each schema that had it, newest first): each row as outbox's
    # kind, number, call_id, payload, created, attempts, last_error, held, sending. ``held``
    # and ``sending`` came with schema 4: a note held for the agent, or one the app was
    # sending when it stopped, may already be in DeepCall and must not come back as merely
    # queued (the outbox holds a row whose ``sending`` is set when it starts). note_outbox
    # is the first release's notes outbox, its text not yet a payload.
    ("outbox", ("kind, number, call_id, payload, created, attempts, last_error, held, sending",
                "kind, number, call_id, payload, created, attempts, last_error, '', 0")),
    ("note_outbox", ("'note', number, call_id, content, created, attempts, last_error, '', 0",)),
)


def is_corrupt(exc: sqlite3.Error) -> bool:
    """Only a file that is not (or no longer) a database is corrupt; everything else passes."""
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text or "corrupt" in text


def remove_stale_copies(folder: Path) -> None:
    """Remove the working copies a recovery killed halfway left in ``folder``.

    Only the instance holding the profile opens its store, so none is in use now.
    """
    for stale in folder.glob(f"{_WORK_PREFIX}*"):
        log.info("removing %s, left by an interrupted recovery", stale)
        shutil.rmtree(stale, ignore_errors=True)


@dataclass(frozen=True)
class ReadableItems:
    """What a damaged file still gives back: queued rows and note drafts."""

    queued: list[tuple[Any, ...]]  # outbox rows: kind, number, call_id, payload, … sending
    drafts: list[tuple[str, str, float]]  # note_drafts rows: number, text, updated


def readable_items_of(damaged: Path) -> ReadableItems:
    """Every queued row and note draft that can still be read from a damaged database file.

    Read from a copy (with its WAL, which may hold the latest notes, or its rollback journal)
    so the damaged file stays exactly as it was found. Each table is read from both ends, so
    the rows before and after an unreadable page are kept. A read that fails for another
    reason than the damage (a disk error) raises: the file is then tried again next start.
    """
    items = ReadableItems([], [])
    with tempfile.TemporaryDirectory(prefix=_WORK_PREFIX, dir=damaged.parent) as work:
        copy = Path(work) / "copy.sqlite3"
        for suffix in ("", "-wal", "-journal"):  # a journal rolls back a half-done write
            source = Path(str(damaged) + suffix)
            if source.exists():
                shutil.copyfile(source, Path(str(copy) + suffix))
        db = sqlite3.connect(copy, isolation_level=None)
        try:
            for table, schemas in _QUEUED_ROW_COLUMNS:
                for row in _rows_of_any_schema(db, table, schemas, damaged):
                    readable = _as_outbox_row(table, row)
                    if readable is None:
                        log.warning("skipped a queued row of %s in the damaged file %s: "
                                    "it has no number or no text to send", table, damaged)
                    else:
                        items.queued.append(readable)
            for number, text, updated in _readable_rows(db, "note_drafts",
                                                        "number, text, updated",
                                                        damaged) or []:
                number, text = _text(number), _text(text)
                if number and text and text.strip():
                    # An unknown time loses to any draft typed since.
                    items.drafts.append((number, text, float(updated)
                                         if isinstance(updated, int | float) else 0.0))
        finally:
            db.close()
    return items


def _rows_of_any_schema(db: sqlite3.Connection, table: str, schemas: tuple[str, ...],
                        damaged: Path) -> list[tuple[Any, ...]]:
    """The readable rows of ``table`` with the first of ``schemas``' columns it has."""
    for columns in schemas:
        rows = _readable_rows(db, table, columns, damaged)
        if rows is not None:
            return rows
    return []


def _readable_rows(db: sqlite3.Connection, table: str, columns: str,
                   damaged: Path) -> list[tuple[Any, ...]] | None:
    """The rows of ``table`` in rowid order, read forwards until a broken page, then
    backwards until it (a broken page stops a scan, whichever way it goes); None when the
    table lacks one of ``columns`` (a file of an older version)."""
    by_id: dict[Any, tuple[Any, ...]] = {}
    for order in ("ASC", "DESC"):
        query = f"SELECT rowid, {columns} FROM {table} ORDER BY rowid {order}"  # noqa: S608 (fixed parts)
        try:
            for id_, *row in db.execute(query):
                by_id.setdefault(id_, tuple(row))
        except sqlite3.Error as exc:
            if "no such table" in str(exc):  # a file of another version
                return []
            if "no such column" in str(exc):
                return None
            if not is_corrupt(exc):
                raise
            log.warning("reading %s of the damaged file %s %s stopped: %s",
                        table, damaged, "forwards" if order == "ASC" else "backwards", exc)
            continue
        break  # read to the end: nothing more to find backwards
    return [by_id[id_] for id_ in sorted(by_id)]


def _as_outbox_row(table: str, row: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The row as the outbox takes it, or None when it cannot be sent at all.

    A damaged file may hold anything (bytes where text belongs, NULL in a required column):
    text is decoded, missing counters get their defaults, so one odd row never stops the
    start nor the other rows.
    """
    kind, number, call_id, payload, created, attempts, last_error, held, sending = row
    kind, number, payload = _text(kind), _text(number), _text(payload)
    if not kind or not number or payload is None:
        return None
    if table == "note_outbox":  # the first release's text, not yet a payload
        payload = json.dumps({"content": payload}, ensure_ascii=False)
    return (kind, number, _text(call_id) or None, payload,
            float(created) if isinstance(created, int | float) else time.time(),
            attempts if isinstance(attempts, int) else 0, _text(last_error) or "",
            _text(held) or "",
            # Anything but a clear zero: it may have left (held, not resent blindly).
            float(sending) if isinstance(sending, int | float) else 1.0)


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)
