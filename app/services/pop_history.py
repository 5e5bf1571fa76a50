"""The local record of every pop: when, which number, from where, and how it ended.

History is a convenience for the agent, never a reason to lose a pop: a write that fails is
logged and the pop goes on. Call-centre data has retention rules, so pops older than
``history_days`` are pruned (``HistoryRetention``: at start, daily, and when the setting
changes), and the agent can clear it all or forget one caller. None of that ever touches the
outbox: a queued save or note is the agent's work for DeepCall, not a record of the caller.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Final

from PySide6.QtCore import QObject, QTimer

from app.core.caller_id import is_withheld_key
from app.core.pop_request import PopRequest
from app.services.outbox import SENDABLE_KINDS
from app.services.store import LocalStore, PendingMarks, PopRecord

log = logging.getLogger(__name__)

HISTORY_IN_STATE: Final = 20  # pops `screenpop state` lists
REOPENED: Final = "history"  # the source of a pop the agent asked for from the history
# How a pop ended whose lookup the agent left, during the call, to open another caller from
# the history: their choice, not a newer call ("superseded").
LEFT: Final = "left"
WITHHELD: Final = "withheld"  # a withheld caller's pop: nothing was looked up
# A call the softphone named while another call was live on screen: kept in the history, never
# shown (answered elsewhere, or a second line), so the agent can find it afterwards.
NOT_SHOWN: Final = "not_shown"
# A call that rang while the agent was in another call: announced, kept here, not shown (yet).
WAITING: Final = "waiting"
SEARCH_LIMIT: Final = 500  # pops the history panel lists (the newest first)
DAY_SECONDS: Final = 86_400
# Hourly, not daily: Qt's timers run on a clock that stops while a laptop sleeps, so a daily
# one is days late after nights of suspend; each prune compares with the wall clock.
PRUNE_EVERY_MS: Final = 3_600_000
# A pop dated further ahead than this was recorded while the clock was wrong: pruned, or it
# would stay until that date.
FUTURE_SECONDS: Final = DAY_SECONDS


def pending_state(marks: PendingMarks | None) -> dict[str, object] | None:
    """A history entry's ``pending`` in ``screenpop state``: the panel's marks ("unsaved
    changes", "2 waiting", "needs your decision") as values; None when nothing is pending."""
    if marks is None or not (marks.drafts or marks.queued or marks.held):
        return None
    return {"unsaved_changes": marks.drafts, "waiting": marks.queued, "held": marks.held}


class PopHistory:
    def __init__(self, store: LocalStore) -> None:
        self._store = store

    def record(self, request: PopRequest, *, key: str | None = None,
               status: str = "loading") -> int | None:
        """A pop started (status "loading"; a withheld caller: "withheld" under ``key``, its
        ``withheld_key``); its row id, or None if it could not be written. A pop with a
        call id is a call ringing; one the agent opened again from the history is as its call
        last was."""
        number = key or request.number
        if number is None:
            return None
        try:
            call_state = None
            if request.call_id:
                call_state = self._store.last_call_state(request.call_id) \
                    if request.source == REOPENED else "ringing"
            return self._store.record_pop(number, status, call_id=request.call_id,
                                          source=request.source, line=request.line,
                                          call_state=call_state)
        except Exception:
            log.exception("could not record the pop in the local history")
            return None

    def set_call_state(self, call_id: str, state: str, line: str | None = None) -> None:
        """Every pop of ``call_id`` gets ``state`` (and ``line`` if it had none)."""
        try:
            if not self._store.set_call_state(call_id, state, line):
                log.debug("no pop in the history for a call's %s", state)
        except Exception:
            log.exception("could not write a call's state in the local history")

    def latest_pop(self, call_id: str | None) -> int | None:
        """The row of the latest pop of ``call_id``, which a call shown again goes on in."""
        if call_id is None:
            return None
        try:
            return self._store.latest_pop_of_call(call_id)
        except Exception:
            log.exception("could not read a call's pop in the local history")
            return None

    def set_call_id(self, pop_id: int | None, call_id: str) -> None:
        """The pop ``pop_id`` turned out to be the call ``call_id`` (an event named it)."""
        if pop_id is None:
            return
        try:
            self._store.set_pop_call_id(pop_id, call_id)
        except Exception:
            log.exception("could not write a pop's call id in the local history")

    def finish(self, pop_id: int | None, status: str, name: str = "") -> None:
        """How the pop ended (and the name shown): found, unknown or error; "superseded"
        when a newer caller took its place before it ended, "left" when the agent opened
        another caller from the history meanwhile, "cancelled" when the app quit."""
        if pop_id is None:
            return
        try:
            self._store.update_pop(pop_id, status, name)
        except Exception:
            log.exception("could not update the local history")

    def end_interrupted(self) -> None:
        """At start, before any pop: a pop still "loading" is one the app stopped during
        (killed, a crash); it ends as "cancelled", not "Looking up…" for ever."""
        try:
            ended = self._store.end_unfinished_pops("cancelled")
        except Exception:
            log.exception("could not end the pops an earlier run left unfinished")
            return
        if ended:
            log.info("history: %d pop(s) of an earlier run never ended; marked cancelled", ended)

    def recent(self, limit: int = HISTORY_IN_STATE) -> list[dict[str, object]]:
        """The latest pops, newest first, as ``screenpop state`` prints them."""
        try:
            records = self._store.recent_pops(limit)
        except Exception:
            log.exception("could not read the local history")
            return []
        marks = self.pending_marks()
        # A withheld caller's key is the app's, not a number: null, as for the caller shown.
        return [{"number": None if is_withheld_key(r.number) else r.number, "at": r.at,
                 "status": r.status, "name": r.name or None, "call_id": r.call_id,
                 "source": r.source, "line": r.line, "call_state": r.call_state,
                 "pending": pending_state(marks.get(r.number))} for r in records]

    def search(self, text: str, limit: int = SEARCH_LIMIT) -> list[PopRecord]:
        """Pops by number digits or name, newest first (every pop for an empty text).
        Raises the store's error: the panel says the history could not be read."""
        return self._store.search_pops(text, limit)

    def pending_marks(self) -> Mapping[str, PendingMarks]:
        """Per number, what is pending (a draft, queued, held); {} if it cannot be read."""
        try:
            # The kinds the outbox counts: the marks and the status bar agree.
            marks: Mapping[str, PendingMarks] = self._store.pending_by_number(SENDABLE_KINDS)
        except Exception as exc:
            # One line, no traceback: read at every refresh of the history panel.
            log.warning("could not read what is pending per caller: %r", exc)
            return {}
        return marks

    def clear(self) -> int:
        """Every pop goes (drafts and the outbox stay); how many went. Raises the store's
        error, so the agent is told it did not happen."""
        gone = self._store.clear_pops()
        log.info("history cleared: %d pop(s)", gone)
        return gone

    def forget(self, number: str) -> int:
        """The caller's pops, note draft and field drafts go (the outbox stays); raises the
        store's error."""
        gone = self._store.forget_caller(number)
        log.info("a caller was forgotten: %d pop(s)", gone)  # no number: that is the point
        return gone

    def prune(self, days: int, now: float | None = None) -> int:
        """Pops older than ``days`` (or dated more than a day ahead) go; how many (0 if the
        store failed: tried again later)."""
        now = time.time() if now is None else now
        try:
            gone = self._store.prune_pops(now - days * DAY_SECONDS, after=now + FUTURE_SECONDS)
        except Exception:
            log.exception("could not prune the local history")
            return 0
        if gone:
            log.info("history retention (%d days): %d pop(s) pruned", days, gone)
        return gone


class HistoryRetention(QObject):
    """Keeps the history within ``history_days``: at start, every hour, and at once when the
    setting changes (a shorter period applies now, not later)."""

    def __init__(self, history: PopHistory, days: int, *,
                 clock: Callable[[], float] = time.time, every_ms: int = PRUNE_EVERY_MS,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._history = history
        self._days = days
        self._clock = clock
        self._timer = QTimer(self)
        self._timer.setInterval(every_ms)
        self._timer.timeout.connect(self.prune)

    @property
    def days(self) -> int:
        return self._days

    @property
    def interval_ms(self) -> int:
        return self._timer.interval()

    def start(self) -> None:
        self.prune()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def set_days(self, days: int) -> None:
        self._days = days
        self.prune()

    def prune(self) -> int:
        return self._history.prune(self._days, self._clock())
