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
from pathlib import Path
from typing import Any, Final

log = logging.getLogger(__name__)

_QUEUED_ROW_QUERIES: Final = (
    # (table, query): each row as outbox's kind, number, call_id, payload, created, attempts,
    # last_error; note_outbox is the first release's notes outbox, its text not yet a payload.
    ("outbox", "SELECT kind, number, call_id, payload, created, attempts, last_error "
               "FROM outbox ORDER BY id"),
    ("note_outbox", "SELECT 'note', number, call_id, content, created, attempts, last_error "
                    "FROM note_outbox ORDER BY id"),
)


def queued_rows_of(damaged: Path) -> list[tuple[Any, ...]]:
    """Every queued row that can still be read from a damaged database file (maybe none).

    Read from a copy (with its WAL, which may hold the latest notes, or its rollback journal)
    so the damaged file stays exactly as it was found; rows up to the first unreadable page
    are kept.
    """
    rows: list[tuple[Any, ...]] = []
    with tempfile.TemporaryDirectory(prefix=".recovering-", dir=damaged.parent) as work:
        copy = Path(work) / "copy.sqlite3"
        for suffix in ("", "-wal", "-journal"):  # a journal rolls back a half-done write
            source = Path(str(damaged) + suffix)
            if source.exists():
                shutil.copyfile(source, Path(str(copy) + suffix))
        try:
            db = sqlite3.connect(copy, isolation_level=None)
        except sqlite3.Error as exc:
            log.warning("the damaged file %s cannot be read at all (%s)", damaged, exc)
            return rows
        try:
            for table, query in _QUEUED_ROW_QUERIES:
                try:
                    for row in db.execute(query):
                        readable = _as_outbox_row(table, tuple(row))
                        if readable is None:
                            log.warning("skipped a queued row of %s in the damaged file %s: "
                                        "it has no number or no text to send", table, damaged)
                        else:
                            rows.append(readable)
                except sqlite3.Error as exc:
                    if "no such table" not in str(exc):  # a file of another version
                        log.warning("reading %s of the damaged file %s stopped: %s",
                                    table, damaged, exc)
        finally:
            db.close()
    return rows


def _as_outbox_row(table: str, row: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The row as the outbox takes it, or None when it cannot be sent at all.

    A damaged file may hold anything (bytes where text belongs, NULL in a required column):
    text is decoded, missing counters get their defaults, so one odd row never stops the
    start nor the other rows.
    """
    kind, number, call_id, payload, created, attempts, last_error = row
    kind, number, payload = _text(kind), _text(number), _text(payload)
    if not kind or not number or payload is None:
        return None
    if table == "note_outbox":  # the first release's text, not yet a payload
        payload = json.dumps({"content": payload}, ensure_ascii=False)
    return (kind, number, _text(call_id) or None, payload,
            float(created) if isinstance(created, int | float) else time.time(),
            attempts if isinstance(attempts, int) else 0, _text(last_error) or "")


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)
