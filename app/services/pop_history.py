"""The local record of every pop: when, which number, from where, and how it ended.

History is a convenience for the agent, never a reason to lose a pop: a write that fails is
logged and the pop goes on.
"""

from __future__ import annotations

import logging

from app.core.pop_request import PopRequest
from app.services.store import LocalStore

log = logging.getLogger(__name__)

HISTORY_IN_STATE = 20  # pops `screenpop state` lists


class PopHistory:
    def __init__(self, store: LocalStore) -> None:
        self._store = store

    def record(self, request: PopRequest) -> int | None:
        """A pop started (status "loading"); its row id, or None if it could not be written."""
        try:
            return self._store.record_pop(request.number, "loading", call_id=request.call_id,
                                          source=request.source)
        except Exception:
            log.exception("could not record the pop in the local history")
            return None

    def finish(self, pop_id: int | None, status: str, name: str = "") -> None:
        """How the pop ended (and the name shown): found, unknown or error; "superseded"
        when a newer caller took its place before it ended, "cancelled" when the app quit."""
        if pop_id is None:
            return
        try:
            self._store.update_pop(pop_id, status, name)
        except Exception:
            log.exception("could not update the local history")

    def recent(self, limit: int = HISTORY_IN_STATE) -> list[dict[str, object]]:
        """The latest pops, newest first, as ``screenpop state`` prints them."""
        try:
            records = self._store.recent_pops(limit)
        except Exception:
            log.exception("could not read the local history")
            return []
        return [{"number": r.number, "at": r.at, "status": r.status, "name": r.name or None,
                 "call_id": r.call_id, "source": r.source} for r in records]
