"""The local record of every pop: when, which number, from where, and how it ended.

History is a convenience for the agent, never a reason to lose a pop: a write that fails is
logged and the pop goes on.
"""

from __future__ import annotations

import logging

from app.core.pop_request import PopRequest
from app.services.store import LocalStore

log = logging.getLogger(__name__)


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
        """How the pop ended: found, unknown or error (and the name shown)."""
        if pop_id is None:
            return
        try:
            self._store.update_pop(pop_id, status, name)
        except Exception:
            log.exception("could not update the local history")
