"""Half-typed notes, kept per caller so they survive the next call and a crash.

A draft never duplicates what waits in the outbox: words already queued for that caller are
not also kept as the draft, or they would come back in the note box once delivered and be
sent a second time. A draft is a convenience: a failing write is logged, never raised.
"""

from __future__ import annotations

import logging

from app.services.outbox import Outbox
from app.services.store import LocalStore

log = logging.getLogger(__name__)


class NoteDrafts:
    def __init__(self, store: LocalStore, outbox: Outbox) -> None:
        self._store = store
        self._outbox = outbox

    def save(self, number: str, text: str) -> None:
        """Keep ``text`` as ``number``'s draft (an empty or already queued text removes it)."""
        try:
            if text.strip() and self._outbox.holds_note(number, text):
                text = ""
            # Most saves find the text already kept (every pop away from a caller, every
            # draft timer that fired for a field): a read is cheap, a durable write waits for
            # the disk. Compared with the file, never with a copy of the last write: a note
            # sent or a caller forgotten changes the draft behind this object's back.
            if self._store.load_draft(number) == (text if text.strip() else ""):
                return
            self._store.save_draft(number, text)
        except Exception:
            log.exception("could not save the note draft")

    def load(self, number: str) -> str:
        try:
            return self._store.load_draft(number)
        except Exception:
            log.exception("could not read the note draft")
            return ""
