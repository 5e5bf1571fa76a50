"""The kinds of item the outbox sends, and what makes one sendable.

Only the kinds this version knows are ever sent: a row of an unknown kind (written by a newer
version) stays untouched and uncounted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from app.services.outbox_delivery import Save
from app.services.store import OutboxItem

NOTE: Final = "note"
UPDATE: Final = "update"  # Directory update of a known caller (payload: see ``Outbox.add_save``)
CREATE: Final = "create"  # Directory create of a new caller
SENDABLE_KINDS: Final = frozenset({NOTE, UPDATE, CREATE})
SAVE_KINDS: Final = frozenset({UPDATE, CREATE})


@dataclass(frozen=True)
class NoteTarget:
    """Whose call a note belongs to. No ``call_id``: DeepCall's latest call with the number
    that began before the note was written, asked for when the note is sent."""

    number: str  # E.164
    call_id: str | None = None


def note_text(item: OutboxItem) -> str:
    content = item.payload.get("content")
    return content if isinstance(content, str) else ""


def sendable(item: OutboxItem) -> bool:
    """An item of a kind this version sends that it can send (not an empty note, not a save
    it cannot read back)."""
    if item.kind == NOTE:
        return bool(note_text(item).strip())
    return item.kind in SAVE_KINDS and Save.of(item) is not None


def behind_older_saves(items: Iterable[OutboxItem]) -> set[int]:
    """The ids of the saves among ``items`` (unheld, oldest first) that wait for an older save
    of the same caller: a caller's saves leave one at a time, in the order typed (an update
    typed after a create waits for it)."""
    callers_first: set[str] = set()
    behind: set[int] = set()
    for item in items:
        if item.kind in SAVE_KINDS and sendable(item):
            if item.number in callers_first:
                behind.add(item.id)
            callers_first.add(item.number)
    return behind
