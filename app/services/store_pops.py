"""The pop history table: one row per pop, pruned by retention and a row cap, searched by
name and number; and the marks of what is still open per number (drafts, outbox items).

Pop history commits with ``synchronous=NORMAL``: it is on the pop's path, and losing the last
pop record to a power cut loses nothing the agent typed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from app.core.caller_id import WITHHELD_PREFIX
from app.core.history_search import HistoryQuery
from app.services.store_connection import StoreConnection, placeholders

HISTORY_LIMIT: Final = 5000  # rows kept; older pops are pruned on insert


@dataclass(frozen=True)
class PopRecord:
    id: int
    number: str
    at: float  # Unix time
    status: str
    name: str
    call_id: str | None
    source: str | None
    line: str | None = None  # the line or queue that rang ("Sales IN")
    call_state: str | None = None  # ringing, answered, ended; None: no call around the pop


@dataclass(frozen=True)
class PendingMarks:
    """What is still open for one number: for the history's marks."""

    drafts: bool  # field drafts or a note draft
    queued: int  # outbox items waiting to be sent
    held: int  # outbox items held for the agent


_POP_COLUMNS: Final = "id, number, at, status, name, call_id, source, line, call_state"
# Retention, clearing and the row cap never take the last way to a caller's unsaved work
# (field or note drafts, outbox items): their latest pop stays, with its marks and re-pop.
_NOT_THE_WAY_BACK: Final = (
    "id NOT IN (SELECT max(id) FROM pop_history WHERE number IN (SELECT number FROM "
    "field_drafts UNION SELECT number FROM note_drafts UNION SELECT number FROM outbox) "
    "GROUP BY number)")


class PopTable(StoreConnection):
    """The store's pop history (the table ``pop_history``) and the marks shown beside it."""

    # --- pop history ---------------------------------------------------------------------
    def record_pop(self, number: str, status: str, *, name: str = "",
                   call_id: str | None = None, source: str | None = None,
                   at: float | None = None, line: str | None = None,
                   call_state: str | None = None) -> int:
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO pop_history (number, at, status, name, call_id, source, line, "
                "call_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (number, time.time() if at is None else at, status, name, call_id, source,
                 line, call_state))
            db.execute(f"DELETE FROM pop_history WHERE id <= ? AND {_NOT_THE_WAY_BACK}",  # noqa: S608 (fixed parts)
                       (int(cursor.lastrowid or 0) - HISTORY_LIMIT,))
            return int(cursor.lastrowid or 0)

    def update_pop(self, pop_id: int, status: str, name: str = "") -> None:
        with self._transaction() as db:
            db.execute("UPDATE pop_history SET status = ?, name = ? WHERE id = ?",
                       (status, name, pop_id))

    def set_pop_call_id(self, pop_id: int, call_id: str) -> None:
        """The pop turned out to be a call the softphone named later (its id adopted)."""
        with self._transaction() as db:
            db.execute("UPDATE pop_history SET call_id = ? WHERE id = ?", (call_id, pop_id))

    def set_call_state(self, call_id: str, state: str, line: str | None = None) -> bool:
        """Every pop of ``call_id`` gets ``state``, and ``line`` if it had none (the state
        is the call's, not one pop's: a call opened again has two rows); False when no pop
        has that call id."""
        with self._transaction() as db:
            return db.execute(
                "UPDATE pop_history SET call_state = ?, line = coalesce(line, ?) "
                "WHERE call_id = ?", (state, line, call_id)).rowcount > 0

    def latest_pop_of_call(self, call_id: str) -> int | None:
        """The id of the latest pop of ``call_id`` (None: none)."""
        with self._lock:
            row = self._db.execute("SELECT max(id) FROM pop_history WHERE call_id = ?",
                                   (call_id,)).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def last_call_state(self, call_id: str) -> str | None:
        """The call state of the latest pop of ``call_id`` (None: none, or no state)."""
        with self._lock:
            row = self._db.execute("SELECT call_state FROM pop_history WHERE call_id = ? "
                                   "ORDER BY id DESC LIMIT 1", (call_id,)).fetchone()
        return None if row is None else row[0]

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
            # A withheld caller's key holds its call id, whose digits are no phone number.
            clauses.append("instr(number, ?) > 0 AND number NOT LIKE ?")
            params += (query.digits, WITHHELD_PREFIX + "%")
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

    # --- the history's marks --------------------------------------------------------------
    def pending_by_number(self, kinds: Iterable[str] | None = None) -> dict[str, PendingMarks]:
        """Every number with field drafts, a note draft or outbox items (of ``kinds``: those
        ``outbox_counts`` counts, so the history and the status bar agree; None: all)."""
        marks: dict[str, list[int]] = {}
        kinds = None if kinds is None else list(kinds)
        marks_of = "" if kinds is None else placeholders(kinds)
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
