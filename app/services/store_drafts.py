"""The store's drafts: a note draft per caller, and unsaved field edits (``field_drafts``),
committed durably (``synchronous=FULL``): what the agent typed survives a power cut.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from app.services.store_connection import StoreConnection


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


# A field_drafts row with no group and no label holds the caller's form-level message
# (e.g. "the contact was deleted in DeepCall meanwhile"): kept as durably as the drafts.
FORM_ROW: Final = "grp = '' AND label = ''"  # the SQL that picks that row
DRAFT_COLUMNS: Final = "grp, label, value, base, theirs, error, updated"


class DraftTables(StoreConnection):
    """Note drafts (``note_drafts``) and field drafts (``field_drafts``)."""

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
            return read_drafts(self._db, number)

    def form_error(self, number: str) -> str:
        with self._lock:
            row = self._db.execute(f"SELECT error FROM field_drafts WHERE number = ? AND "  # noqa: S608 (fixed parts)
                                   f"{FORM_ROW}", (number,)).fetchone()
        return str(row[0]) if row else ""

    def write_field_drafts(self, number: str, drafts: Iterable[FieldDraft], *,
                           remove: Iterable[tuple[str, str]] = (),
                           form_error: str | None = None) -> None:
        """Upsert ``drafts`` and delete the ``remove`` keys, durably, in one transaction;
        ``form_error``: the caller's form-level message ("" clears it; None leaves it)."""
        with self._transaction(durable=True) as db:
            write_drafts(db, number, drafts, remove, form_error)


def read_drafts(db: sqlite3.Connection, number: str, *,
                since: float | None = None) -> dict[tuple[str, str], FieldDraft]:
    """``number``'s field drafts by (group, label), the form-level row left out; with
    ``since``, only those written after that time."""
    newer = "" if since is None else " AND updated > ?"
    rows = db.execute(
        f"SELECT {DRAFT_COLUMNS} FROM field_drafts WHERE number = ? "  # noqa: S608 (fixed parts)
        f"AND NOT ({FORM_ROW}){newer} ORDER BY rowid",
        (number,) if since is None else (number, since)).fetchall()
    return {(row[0], row[1]): FieldDraft(*row) for row in rows}


def write_drafts(db: sqlite3.Connection, number: str, drafts: Iterable[FieldDraft],
                  remove: Iterable[tuple[str, str]], form_error: str | None) -> None:
    now = time.time()
    for group, label in remove:
        db.execute("DELETE FROM field_drafts WHERE number = ? AND grp = ? AND label = ?",
                   (number, group, label))
    for draft in drafts:
        db.execute(
            f"INSERT OR REPLACE INTO field_drafts (number, {DRAFT_COLUMNS}) "  # noqa: S608 (fixed parts)
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (number, draft.group, draft.label, draft.value, draft.base, draft.theirs,
             draft.error, draft.updated or now))
    if form_error is not None:
        db.execute(f"DELETE FROM field_drafts WHERE number = ? AND {FORM_ROW}",  # noqa: S608 (fixed parts)
                   (number,))
        if form_error:
            db.execute("INSERT INTO field_drafts (number, grp, label, value, base, error, "
                       "updated) VALUES (?, '', '', '', '', ?, ?)", (number, form_error, now))
