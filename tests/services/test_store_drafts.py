"""Schema 4: field drafts, the outbox's held/backoff/mid-send states, durable commits, and a
version 3 file that opens with its queue."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.services import store_schema
from app.services.store import DATABASE_FILE_NAME, FieldDraft, LocalStore, PendingMarks
from tests.fixtures.store_files import corrupt_after_the_first_note

NUMBER = "+918302390884"
OTHER = "+919988776655"


def test_a_version_3_file_opens_with_its_queue_and_gains_drafts_and_states(
        tmp_path: Path) -> None:
    path = tmp_path / DATABASE_FILE_NAME
    with sqlite3.connect(path, isolation_level=None) as db:
        for migration in store_schema.MIGRATIONS[:3]:
            migration(db)
        db.execute("PRAGMA user_version=3")
        db.execute("INSERT INTO outbox (kind, number, payload, created, attempts, last_error) "
                   "VALUES ('note', ?, '{\"content\": \"kept across the upgrade\"}', 1.0, 2, "
                   "'timed out')", (NUMBER,))
    db.close()
    store = LocalStore(path)
    [item] = store.outbox_items()
    assert (item.payload["content"], item.attempts, item.held, item.next_attempt,
            item.sending) == ("kept across the upgrade", 2, "", 0.0, 0.0)
    store.write_field_drafts(NUMBER, [FieldDraft("Cu", "Email", "a@b.in", "")])
    assert store.field_drafts(NUMBER)[("Cu", "Email")].value == "a@b.in"
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(store_schema.MIGRATIONS)


def test_field_drafts_round_trip_with_theirs_error_and_a_form_message(tmp_path: Path) -> None:
    store = LocalStore.in_profile(tmp_path)
    store.write_field_drafts(NUMBER, [
        FieldDraft("Cu", "Email", "new@x.in", "old@x.in", theirs="their@x.in",
                   error="Changed in DeepCall too"),
        FieldDraft("Cu", "Name", "Asha", "")], form_error="Deleted in DeepCall meanwhile")
    store.close()
    store = LocalStore.in_profile(tmp_path)  # on the disk, not in a cache
    drafts = store.field_drafts(NUMBER)
    assert set(drafts) == {("Cu", "Email"), ("Cu", "Name")}  # the form row is no field
    email = drafts[("Cu", "Email")]
    assert (email.value, email.base, email.theirs, email.error) == (
        "new@x.in", "old@x.in", "their@x.in", "Changed in DeepCall too")
    assert drafts[("Cu", "Name")].theirs is None
    assert store.form_error(NUMBER) == "Deleted in DeepCall meanwhile"
    assert store.field_drafts(OTHER) == {}
    store.write_field_drafts(NUMBER, [], remove=[("Cu", "Name")], form_error="")
    assert list(store.field_drafts(NUMBER)) == [("Cu", "Email")]
    assert store.form_error(NUMBER) == ""
    store.close()


def test_a_save_takes_its_drafts_with_it_and_a_return_brings_them_back(tmp_path: Path) -> None:
    store = LocalStore.in_profile(tmp_path)
    store.write_field_drafts(NUMBER, [FieldDraft("Cu", "Email", "a@b.in", ""),
                                      FieldDraft("Cu", "city", "Pune", "")],
                             form_error="an older problem")
    item = store.enqueue("update", NUMBER, {"contactinfo": {"email": "a@b.in"}},
                         drafts_done=[("Cu", "Email")])
    assert list(store.field_drafts(NUMBER)) == [("Cu", "city")]
    assert store.form_error(NUMBER) == ""
    store.outbox_returned(item, NUMBER, [FieldDraft("Cu", "Email", "a@b.in", "",
                                                    theirs="x@y.in", error="conflict")], "")
    assert store.outbox_items() == []
    assert store.field_drafts(NUMBER)[("Cu", "Email")].theirs == "x@y.in"
    store.close()


def test_pending_marks_and_counts_per_number(tmp_path: Path) -> None:
    store = LocalStore.in_profile(tmp_path)
    store.save_draft(OTHER, "half a note")
    first = store.enqueue("note", NUMBER, {"content": "one"})
    store.enqueue("note", NUMBER, {"content": "two"})
    store.outbox_hold(first, "may already be in DeepCall")
    store.enqueue("future_kind", "+14155550100", {"x": 1})
    assert store.pending_by_number() == {
        NUMBER: PendingMarks(drafts=False, queued=1, held=1),
        OTHER: PendingMarks(drafts=True, queued=0, held=0),
        "+14155550100": PendingMarks(drafts=False, queued=1, held=0)}
    assert store.outbox_counts(["note", "update", "create"]) == (1, 1)
    store.outbox_release(first)
    assert store.outbox_counts(["note"]) == (2, 0)
    store.close()


def test_a_write_left_mid_send_by_a_killed_app_is_found_at_the_next_start(
        tmp_path: Path) -> None:
    code = ("import os, sys\nfrom pathlib import Path\nfrom app.services.store import LocalStore\n"
            "s = LocalStore.in_profile(Path(sys.argv[1]))\n"
            "s.outbox_sending(s.enqueue('note', sys.argv[2], {'content': 'mid-send'}))\n"
            "s.outbox_sending(s.enqueue('update', sys.argv[2], {'contactinfo': {}}))\n"
            "os._exit(9)\n")
    subprocess.run([sys.executable, "-c", code, str(tmp_path), NUMBER], timeout=60)
    store = LocalStore.in_profile(tmp_path)
    note, update = store.outbox_items()
    assert note.sending
    assert update.sending
    assert store.outbox_interrupted(["note"], "may be there") == [note.id, update.id]
    note, update = store.outbox_items()
    assert (note.held, note.sending, update.held, update.sending) == ("may be there", 0, "", 0)
    store.close()


def test_drafts_and_the_outbox_commit_durably_and_history_does_not(tmp_path: Path) -> None:
    store = LocalStore.in_profile(tmp_path)
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)

    def durable(action: object) -> bool:
        statements.clear()
        assert callable(action)
        action()
        begin = statements.index("BEGIN IMMEDIATE")
        return "PRAGMA synchronous=FULL" in statements[:begin]

    assert durable(lambda: store.write_field_drafts(NUMBER, [FieldDraft("Cu", "x", "1", "")]))
    assert durable(lambda: store.save_draft(NUMBER, "note draft"))
    item = store.enqueue("note", NUMBER, {"content": "c"})
    assert durable(lambda: store.outbox_sending(item))
    assert durable(lambda: store.outbox_failed(item, "no", 5.0))
    assert durable(lambda: store.outbox_delivered(item))
    assert not durable(lambda: store.record_pop(NUMBER, "found"))
    # Back to NORMAL after each durable commit: the next pop record is not slowed down.
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 1
    store.close()


@pytest.mark.parametrize(("platform", "full"), [("darwin", 1), ("linux", 0), ("win32", 0)])
def test_durable_commits_flush_the_drive_cache_on_macos(tmp_path: Path, platform: str,
                                                        full: int) -> None:
    # macOS's fsync leaves the data in the drive's cache; F_FULLFSYNC (these pragmas) does not.
    store = LocalStore(tmp_path / DATABASE_FILE_NAME, platform=platform)
    assert store._db.execute("PRAGMA fullfsync").fetchone()[0] == full
    assert store._db.execute("PRAGMA checkpoint_fullfsync").fetchone()[0] == full
    store.close()


def test_items_recovered_from_a_damaged_file_are_committed_durably(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corrupt_after_the_first_note(tmp_path / DATABASE_FILE_NAME, "kept through the damage",
                                 number=NUMBER)
    recovering: list[bool] = []
    real = LocalStore._transaction

    def watched(self: LocalStore, *, durable: bool = False) -> Any:
        if sys._getframe(1).f_code.co_name == "_copy_queued_rows":
            recovering.append(durable)
        return real(self, durable=durable)

    monkeypatch.setattr(LocalStore, "_transaction", watched)
    store = LocalStore.in_profile(tmp_path)
    assert [item.payload["content"] for item in store.outbox_items("note")] == [
        "kept through the damage"]
    assert recovering == [True]
    store.close()
