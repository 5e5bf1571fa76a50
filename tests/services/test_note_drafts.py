"""Note drafts on the real store: a draft already kept is not written again, and what the
store lost behind the drafts' back (a note sent, then discarded) is always written again."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.services.note_drafts import NoteDrafts
from app.services.outbox import NOTE
from app.services.store import DATABASE_FILE_NAME
from tests.services.outbox_parts import KNOWN, outbox_parts


def _row(profile: Path, number: str) -> tuple[str, float]:
    """The draft and when it was written, as another connection reads them from the file
    (what a crash leaves)."""
    other = sqlite3.connect(profile / DATABASE_FILE_NAME)
    try:
        row = other.execute("SELECT text, updated FROM note_drafts WHERE number = ?",
                            (number,)).fetchone()
    finally:
        other.close()
    return (str(row[0]), float(row[1])) if row else ("", 0.0)


def _on_disk(profile: Path, number: str) -> str:
    return _row(profile, number)[0]


def test_the_same_text_again_is_not_rewritten_but_a_draft_gone_meanwhile_is(
        run_async: Callable[..., Any], tmp_path: Path) -> None:
    async def scenario() -> None:
        async with outbox_parts(None, tmp_path) as parts:
            drafts = NoteDrafts(parts.store, parts.outbox)
            text = "Wants the renewal quote"
            drafts.save(KNOWN, text)
            assert _on_disk(tmp_path, KNOWN) == text
            written = _row(tmp_path, KNOWN)
            drafts.save(KNOWN, text)  # the pop away from this caller: nothing new typed
            drafts.save(KNOWN, text)
            assert _row(tmp_path, KNOWN) == written  # not written again: no disk flush
            # Sent: the note takes the draft's place in one transaction. Then the agent
            # discards it (DeepCall had it, say) while the words are still in the note box.
            item = parts.store.enqueue(NOTE, KNOWN, {"content": text}, clear_note_draft=True)
            assert _on_disk(tmp_path, KNOWN) == ""
            parts.store.outbox_delivered(item)
            drafts.save(KNOWN, text)  # the same words as the last write: written all the same
            assert _on_disk(tmp_path, KNOWN) == text
            drafts.save(KNOWN, "  ")  # emptied: the draft goes
            assert _on_disk(tmp_path, KNOWN) == ""

    run_async(scenario())
