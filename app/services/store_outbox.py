"""The store's outbox table: every write for DeepCall, kept durably before it is sent and
deleted only once DeepCall accepted it (``app.services.outbox`` decides when).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from app.services.store_connection import StoreConnection, placeholders
from app.services.store_drafts import FieldDraft, read_drafts, write_drafts


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


_OUTBOX_COLUMNS: Final = ("id, kind, number, call_id, payload, created, attempts, last_error, "
                          "held, next_attempt, sending, account")


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


class OutboxTable(StoreConnection):
    """The queued writes for DeepCall (the table ``outbox``)."""

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
                write_drafts(db, number, (), drafts_done, "")
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
        marks = placeholders(kinds)
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
        marks = placeholders(kinds)
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
        marks = placeholders(ids)
        with self._transaction(durable=True) as db:
            row = db.execute(f"SELECT min(created) FROM outbox WHERE id IN ({marks})",  # noqa: S608 (fixed parts)
                             ids).fetchone()
            queued = row[0] if row and row[0] is not None else time.time()
            newer = read_drafts(db, number, since=queued)
            db.execute(f"DELETE FROM outbox WHERE id IN ({marks})", ids)  # noqa: S608 (fixed parts)
            write_drafts(db, number, [_returned_onto(newer.get((d.group, d.label)), d)
                                       for d in drafts], (), form_error)

    def outbox_counts(self, kinds: Iterable[str]) -> tuple[int, int]:
        """(waiting, held) among the items of ``kinds``."""
        kinds = list(kinds)
        marks = placeholders(kinds)
        with self._lock:
            row = self._db.execute(
                f"SELECT count(*) FILTER (WHERE held = ''), count(*) FILTER (WHERE held != '') "  # noqa: S608 (fixed parts)
                f"FROM outbox WHERE kind IN ({marks})", kinds).fetchone()
        return int(row[0]), int(row[1])


def _returned_onto(newer: FieldDraft | None, returned: FieldDraft) -> FieldDraft:
    if newer is None:
        return returned
    return FieldDraft(newer.group, newer.label, newer.value, newer.base,
                      theirs=returned.theirs if returned.theirs is not None else newer.theirs,
                      error=returned.error or newer.error, updated=newer.updated)
