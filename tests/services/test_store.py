"""The local store: pop history, drafts, an outbox that survives a restart, and migrations
that carry every queued write into the next schema."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from app.services import store as store_module
from app.services import store_damaged_files, store_recovery, store_schema
from app.services.store import (
    DATABASE_FILE_NAME,
    SCHEMA_VERSION,
    LocalStore,
    StoreUnavailable,
)
from tests.fixtures.store_files import (
    break_the_last_page,
    break_the_page_holding,
    corrupt_after_the_first_note,
    held_by_another_process,
)
from tests.platforms import posix_only

NUMBER = "+918302390884"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _note(store: LocalStore, text: str, call_id: str | None = None,
          number: str = NUMBER) -> int:
    return store.enqueue("note", number, {"content": text}, call_id, clear_note_draft=True)


def test_outbox_survives_a_reopen_and_a_killed_process(tmp_path: Path) -> None:
    # A separate process enqueues a note and dies without closing anything.
    code = ("import os, sys\nfrom pathlib import Path\nfrom app.services.store import LocalStore\n"
            "s = LocalStore.in_profile(Path(sys.argv[1]))\n"
            "s.enqueue('note', '+918302390884', {'content': 'Customer wants a callback at 5 pm'})\n"
            "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, timeout=60)
    store = LocalStore.in_profile(tmp_path)
    pending = store.outbox_items()
    assert [(n.kind, n.number, dict(n.payload), n.call_id) for n in pending] == [
        ("note", NUMBER, {"content": "Customer wants a callback at 5 pm"}, None)]

    store.outbox_failed(pending[0].id, "DeepCall did not answer in time")
    store.set_outbox_call_id(pending[0].id, "call-77")
    store.close()

    reopened = LocalStore.in_profile(tmp_path)
    [note] = reopened.outbox_items("note", NUMBER)
    assert note.attempts == 1
    assert note.last_error == "DeepCall did not answer in time"
    assert note.call_id == "call-77"
    assert reopened.outbox_items("note", "+14155550100") == []
    assert reopened.outbox_items("directory_update") == []
    reopened.outbox_delivered(note.id)
    assert reopened.outbox_items() == []
    assert reopened.outbox_item(note.id) is None
    reopened.close()
    assert LocalStore.in_profile(tmp_path).outbox_items() == []


def test_database_is_wal(tmp_path: Path) -> None:
    store = LocalStore.in_profile(tmp_path)
    with sqlite3.connect(tmp_path / DATABASE_FILE_NAME) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


@posix_only("mode bits; on Windows the profile folder's own ACL is the owner's")
def test_database_is_owner_only(tmp_path: Path) -> None:
    store = LocalStore.in_profile(tmp_path)
    mode = stat.S_IMODE((tmp_path / DATABASE_FILE_NAME).stat().st_mode)
    assert mode == 0o600
    store.close()


def test_drafts_are_kept_per_number_and_cleared_by_enqueue(tmp_path: Path) -> None:
    store = LocalStore.in_profile(tmp_path)
    store.save_draft(NUMBER, "half a tho")
    store.save_draft(NUMBER, "half a thought")
    store.save_draft("+14155550100", "other caller")
    assert LocalStore.in_profile(tmp_path).load_draft(NUMBER) == "half a thought"
    _note(store, "half a thought")
    assert store.load_draft(NUMBER) == ""
    assert store.load_draft("+14155550100") == "other caller"
    store.save_draft("+14155550100", "   ")
    assert store.load_draft("+14155550100") == ""


def test_pop_history_newest_first_and_updates(tmp_path: Path) -> None:
    store = LocalStore.in_profile(tmp_path)
    first = store.record_pop(NUMBER, "loading", source="socket", call_id="c1", at=1000.0)
    second = store.record_pop("+14155550100", "loading", at=1001.0)
    store.update_pop(first, "found", "Asha Iyer")
    pops = store.recent_pops()
    assert [p.id for p in pops] == [second, first]
    assert (pops[1].status, pops[1].name, pops[1].call_id, pops[1].source) == (
        "found", "Asha Iyer", "c1", "socket")
    assert store.recent_pops(limit=1)[0].id == second


def test_a_damaged_file_is_kept_aside_and_the_app_starts(tmp_path: Path) -> None:
    path = tmp_path / DATABASE_FILE_NAME
    path.write_bytes(b"this is not a database" * 100)
    store = LocalStore.in_profile(tmp_path)
    assert store.outbox_items() == []
    _note(store, "new")
    aside = list(tmp_path.glob(DATABASE_FILE_NAME + ".damaged-*"))
    assert len(aside) == 1
    assert aside[0].read_bytes().startswith(b"this is not a database")


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    store = LocalStore.in_profile(tmp_path)

    def write(prefix: str) -> None:
        for i in range(50):
            _note(store, f"{prefix}-{i}")

    threads = [threading.Thread(target=write, args=(f"t{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store.outbox_items()) == 200


def test_a_version_1_file_with_a_queued_note_upgrades_without_losing_it(tmp_path: Path) -> None:
    # A profile written by the first release (schema 1, made here from that release's own
    # SQL): the queued note, its draft and the history must all survive the upgrade.
    path = tmp_path / DATABASE_FILE_NAME
    with sqlite3.connect(path) as old:
        old.executescript((FIXTURES / "store_v1.sql").read_text(encoding="utf-8"))
    store = LocalStore.in_profile(tmp_path)
    [note] = store.outbox_items()
    assert (note.id, note.kind, note.number, note.call_id, dict(note.payload),
            note.attempts, note.last_error) == (
        7, "note", NUMBER, "call-9", {"content": "Refund promised — résumé sent"}, 2,
        "DeepCall did not answer in time")
    assert store.load_draft(NUMBER) == "half-typed"
    assert [(p.number, p.status, p.name) for p in store.recent_pops()] == [
        (NUMBER, "found", "Asha Iyer")]
    # New rows continue after the old ids: an id once used (even by a note delivered and
    # deleted before the upgrade) is never given to another note.
    assert _note(store, "after the upgrade") == 13
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "note_outbox" not in tables
    # Opening it again migrates nothing twice.
    reopened = LocalStore.in_profile(tmp_path)
    assert len(reopened.outbox_items()) == 2
    reopened.close()


def test_a_migration_that_fails_halfway_leaves_the_file_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A crash or a full disk in the middle of an upgrade: the whole step is undone, so the
    # queued note is still where the old version keeps it, and the next start tries again.
    path = tmp_path / DATABASE_FILE_NAME
    with sqlite3.connect(path) as old:
        old.executescript((FIXTURES / "store_v1.sql").read_text(encoding="utf-8"))

    def upgrade_then_fail(db: sqlite3.Connection) -> None:
        store_schema._v2_one_outbox(db)
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store_schema, "MIGRATIONS", (store_schema.MIGRATIONS[0],
                                                      upgrade_then_fail))
    with pytest.raises(StoreUnavailable, match="Nothing in it was changed"):
        LocalStore.in_profile(tmp_path)
    assert list(tmp_path.glob("*.damaged-*")) == []  # not mistaken for a damaged file
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
        assert db.execute("SELECT content FROM note_outbox").fetchall() == [
            ("Refund promised — résumé sent",)]
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "outbox" not in tables
    monkeypatch.undo()
    store = LocalStore.in_profile(tmp_path)  # the next start upgrades it for real
    assert [item.id for item in store.outbox_items()] == [7]
    store.close()


def test_a_file_that_went_back_to_the_old_app_and_forward_again_keeps_both_queues(
        tmp_path: Path) -> None:
    # An agent tries the new version, goes back to the old one (which recreates note_outbox,
    # queues a note there and marks the file version 1), then upgrades again.
    store = LocalStore.in_profile(tmp_path)
    _note(store, "queued by the new version")
    store.close()
    with sqlite3.connect(tmp_path / DATABASE_FILE_NAME) as old:  # what the old app does
        old.executescript("""
            CREATE TABLE IF NOT EXISTS note_outbox (
                id INTEGER PRIMARY KEY AUTOINCREMENT, number TEXT NOT NULL, call_id TEXT,
                content TEXT NOT NULL, created REAL NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '');
            PRAGMA user_version=1;
            INSERT INTO note_outbox (number, content, created)
                VALUES ('+918302390884', 'queued by the old version', 1764590002.0);
        """)
    store = LocalStore.in_profile(tmp_path)
    texts = sorted(str(item.payload["content"]) for item in store.outbox_items())
    assert texts == ["queued by the new version", "queued by the old version"]
    assert len({item.id for item in store.outbox_items()}) == 2
    store.close()


def test_an_unreadable_payload_is_kept_not_fatal(tmp_path: Path) -> None:
    store = LocalStore.in_profile(tmp_path)
    good = _note(store, "fine")
    store.close()
    with sqlite3.connect(tmp_path / DATABASE_FILE_NAME) as db:
        db.execute("INSERT INTO outbox (kind, number, payload, created) "
                   "VALUES ('note', ?, '{broken', 0)", (NUMBER,))
    store = LocalStore.in_profile(tmp_path)
    items = store.outbox_items()
    assert items[0].id == good
    assert items[1].payload == {"unreadable": "{broken"}
    store.close()


@pytest.mark.parametrize(("written_by", "pragmas"), [
    # The first release's file (rollback journal, needs an upgrade): any lock blocks it.
    ("release 1", []),
    # A current file (WAL): a program that keeps the file to itself blocks it.
    ("this version", ["PRAGMA locking_mode=EXCLUSIVE"]),
])
def test_a_database_another_program_holds_is_reported_never_moved(
        tmp_path: Path, written_by: str, pragmas: list[str]) -> None:
    path = tmp_path / DATABASE_FILE_NAME
    if written_by == "release 1":
        with sqlite3.connect(path) as old:
            old.executescript((FIXTURES / "store_v1.sql").read_text(encoding="utf-8"))
        queued = ["Refund promised — résumé sent"]
    else:
        store = LocalStore.in_profile(tmp_path)
        _note(store, "Call back after the meeting")
        store.close()
        queued = ["Call back after the meeting"]
    # Held longer than the wait (shortened here from the app's 5 s).
    with held_by_another_process(path, *pragmas), \
            pytest.raises(StoreUnavailable, match="is in use by another program"):
        LocalStore.in_profile(tmp_path, busy_timeout=0.3)
    assert sorted(p.name for p in tmp_path.iterdir() if "damaged" in p.name) == []
    store = LocalStore.in_profile(tmp_path)  # the program is gone: everything is still there
    assert [item.payload["content"] for item in store.outbox_items()] == queued
    store.close()


def test_a_damaged_file_gives_back_what_was_queued_once(tmp_path: Path) -> None:
    path = tmp_path / DATABASE_FILE_NAME
    corrupt_after_the_first_note(path, "Wants the renewal quote", NUMBER)
    damaged_bytes = path.read_bytes()

    store = LocalStore.in_profile(tmp_path)
    [aside] = tmp_path.glob(DATABASE_FILE_NAME + ".damaged-*")
    assert aside.read_bytes() == damaged_bytes  # kept as it was found
    items = store.outbox_items()
    assert (items[0].kind, items[0].number, dict(items[0].payload)) == (
        "note", NUMBER, {"content": "Wants the renewal quote"})
    assert 0 < len(items) < 401  # what came before the broken page
    store.close()
    reopened = LocalStore.in_profile(tmp_path)  # recovered once, not again at each start
    assert len(reopened.outbox_items()) == len(items)
    reopened.close()


def test_a_note_queued_by_the_first_release_is_recovered_from_a_damaged_file(
        tmp_path: Path) -> None:
    aside = tmp_path / (DATABASE_FILE_NAME + ".damaged-1700000000")
    with sqlite3.connect(aside) as old:
        old.executescript((FIXTURES / "store_v1.sql").read_text(encoding="utf-8"))
    store = LocalStore.in_profile(tmp_path)
    [note] = store.outbox_items()
    assert (note.kind, note.number, note.call_id, dict(note.payload)) == (
        "note", NUMBER, "call-9", {"content": "Refund promised — résumé sent"})
    store.close()


def _queued_notes(store: LocalStore) -> list[str]:
    return [str(item.payload.get("content")) for item in store.outbox_items("note")]


def test_a_second_damaged_file_never_brings_back_a_delivered_note(tmp_path: Path) -> None:
    path = tmp_path / DATABASE_FILE_NAME
    corrupt_after_the_first_note(path, "N1 promised callback", NUMBER)
    store = LocalStore(path)
    [first] = store.outbox_items("note")
    store.outbox_delivered(first.id)  # DeepCall accepted it
    _note(store, "N2 still to send")
    store.close()
    break_the_page_holding(path, b'"index": 200,')  # the fresh file breaks in turn
    store = LocalStore(path)
    # Recovery did run (N2 came back), and did not bring back what DeepCall already has.
    assert _queued_notes(store) == ["N2 still to send"]
    store.close()


def test_a_second_damaged_file_never_queues_a_note_twice(tmp_path: Path) -> None:
    path = tmp_path / DATABASE_FILE_NAME
    corrupt_after_the_first_note(path, "N1 promised callback", NUMBER)
    LocalStore(path).close()  # N1 recovered, still queued
    break_the_last_page(path)
    store = LocalStore(path)
    assert _queued_notes(store) == ["N1 promised callback"]
    store.close()
    reopened = LocalStore(path)
    assert _queued_notes(reopened) == ["N1 promised callback"]
    reopened.close()


def test_odd_rows_in_a_damaged_file_never_stop_the_start(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A damaged file may hold anything: bytes where text belongs, NULLs in required columns.
    aside = tmp_path / (DATABASE_FILE_NAME + ".damaged-1700000000")
    with sqlite3.connect(aside) as old:
        old.execute("CREATE TABLE note_outbox (id INTEGER PRIMARY KEY, number TEXT, "
                    "call_id TEXT, content TEXT, created REAL, attempts INTEGER, "
                    "last_error TEXT)")
        old.executemany("INSERT INTO note_outbox VALUES (?, ?, ?, ?, ?, ?, ?)", [
            (1, NUMBER, None, "Résumé sent".encode(), 1764590000.0, 0, ""),
            (2, NUMBER, "call-9", "Call back at 5", 1764590001.0, None, None),
            (3, None, None, "no number: cannot be sent", 1764590002.0, 0, ""),
            (4, NUMBER, None, "Quote sent", 1764590003.0, 2, "timeout"),
        ])
    with sqlite3.connect(tmp_path / (DATABASE_FILE_NAME + ".damaged-1700000001")) as other:
        other.execute("CREATE TABLE outbox (id INTEGER PRIMARY KEY, kind TEXT, number TEXT, "
                      "call_id TEXT, payload TEXT, created REAL, attempts INTEGER, "
                      "last_error TEXT)")
        other.execute("INSERT INTO outbox VALUES (1, 'note', ?, NULL, ?, 1764590004.0, 0, '')",
                      (NUMBER, b'{"content": "From bytes"}'))
    store = LocalStore.in_profile(tmp_path)
    assert _queued_notes(store) == ["Résumé sent", "Call back at 5", "Quote sent",
                                    "From bytes"]
    assert [item.attempts for item in store.outbox_items("note")] == [0, 0, 2, 0]
    assert "skipped" in caplog.text
    store.close()


def test_a_recovery_that_fails_unexpectedly_never_stops_the_start(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    aside = tmp_path / (DATABASE_FILE_NAME + ".damaged-1700000000")
    aside.write_bytes(b"")

    def unexpected(_path: Path) -> list[tuple[object, ...]]:
        raise ValueError("a kind of row nobody foresaw")

    monkeypatch.setattr(store_damaged_files, "readable_items_of", unexpected)
    store = LocalStore.in_profile(tmp_path)
    _note(store, "the app works")
    assert aside.exists()  # not marked recovered: tried again at the next start
    store.close()


_WRITE_AND_DIE = """
import os, sys
from pathlib import Path
from app.services.store import LocalStore
store = LocalStore(Path(sys.argv[1]))
store.enqueue("note", sys.argv[2], {"content": sys.argv[3]})
os._exit(0)  # killed: nothing checkpointed, the note is only in the WAL
"""


def _queue_and_die(path: Path, text: str) -> None:
    """A process queues ``text`` and dies at once: the note is only in ``path``'s WAL."""
    subprocess.run([sys.executable, "-c", _WRITE_AND_DIE, str(path), NUMBER, text],
                   cwd=store_module.Path(__file__).resolve().parents[2], check=True, timeout=60)
    assert Path(f"{path}-wal").stat().st_size > 0


_DELIVER_ALL_AND_DIE = """
import os, sys
from pathlib import Path
from app.services.store import LocalStore
store = LocalStore(Path(sys.argv[1]))
for item in store.outbox_items():
    store.outbox_delivered(item.id)
os._exit(0)  # killed: the deliveries are only in the WAL
"""


def test_a_file_whose_rename_stopped_halfway_is_never_read_without_its_wal(
        tmp_path: Path) -> None:
    # Recovered once; the app then stopped between renaming the WAL (….recovered-wal) and the
    # file. Read again without its WAL, the file would bring back a note DeepCall has.
    aside = tmp_path / (DATABASE_FILE_NAME + ".damaged-1700000000")
    store = LocalStore(aside)
    _note(store, "N1 delivered since")
    store.close()
    subprocess.run([sys.executable, "-c", _DELIVER_ALL_AND_DIE, str(aside)],
                   cwd=store_module.Path(__file__).resolve().parents[2], check=True, timeout=60)
    Path(f"{aside}-wal").replace(Path(f"{aside}.recovered-wal"))
    store = LocalStore.in_profile(tmp_path)
    assert _queued_notes(store) == []
    store.close()
    assert sorted(p.name for p in tmp_path.iterdir() if "damaged" in p.name) == [
        aside.name + ".recovered", aside.name + ".recovered-shm", aside.name + ".recovered-wal"]


def test_a_note_only_in_the_damaged_files_wal_is_recovered(tmp_path: Path) -> None:
    path = tmp_path / "writer.sqlite3"
    LocalStore(path).close()
    _queue_and_die(path, "Only in the WAL")
    aside = tmp_path / (DATABASE_FILE_NAME + ".damaged-1700000000")
    for suffix in ("", "-wal"):
        Path(f"{path}{suffix}").replace(Path(f"{aside}{suffix}"))
    store = LocalStore.in_profile(tmp_path)
    assert _queued_notes(store) == ["Only in the WAL"]
    store.close()


def test_a_wal_left_behind_by_a_half_finished_move_goes_with_its_file(tmp_path: Path) -> None:
    # The app died while moving a damaged file aside: the file went, its WAL stayed behind.
    path = tmp_path / DATABASE_FILE_NAME
    LocalStore(path).close()
    _queue_and_die(path, "Only in the WAL")
    aside = tmp_path / (DATABASE_FILE_NAME + ".damaged-1700000000")
    path.replace(aside)
    store = LocalStore.in_profile(tmp_path)  # must not replay that WAL into the new file
    assert _queued_notes(store) == ["Only in the WAL"]  # recovered with its file, once
    store.close()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith("-wal")
            and "damaged" in p.name] == [aside.name + ".recovered-wal"]


def test_a_wal_left_behind_goes_to_the_file_moved_aside_last_by_name(tmp_path: Path) -> None:
    # Two files were damaged in one second (….damaged-T-2, then ….damaged-T-10); the
    # second move stopped halfway. A copy or a backup tool may have touched the older file
    # since, so its modification time says nothing: the name says which file came last.
    path = tmp_path / DATABASE_FILE_NAME
    LocalStore(path).close()
    _queue_and_die(path, "Only in the WAL")
    last = tmp_path / (DATABASE_FILE_NAME + ".damaged-1700000000-10")
    path.replace(last)
    earlier = tmp_path / (DATABASE_FILE_NAME + ".damaged-1700000000-2")
    earlier.write_bytes(b"not a database" * 512)
    os.utime(last, (1_700_000_000, 1_700_000_000))  # touched after the other one
    store = LocalStore.in_profile(tmp_path)
    assert _queued_notes(store) == ["Only in the WAL"]
    store.close()


def test_a_damaged_file_with_an_unfinished_transaction_is_read_as_before_it(
        tmp_path: Path) -> None:
    # A rollback journal (the first release's files, or a tool) from a process that died
    # mid-transaction: without it the half-written change is read, with it the note.
    aside = tmp_path / (DATABASE_FILE_NAME + ".damaged-1700000000")
    with sqlite3.connect(aside) as old:
        old.executescript((FIXTURES / "store_v1.sql").read_text(encoding="utf-8"))
        old.executemany("INSERT INTO pop_history (number, at, status) VALUES (?, 1, 'found')",
                        [(NUMBER,)] * 300)
    dies_mid_transaction = ("import os, sqlite3, sys\n"
                            "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
                            "db.execute('PRAGMA cache_size=1')\n"
                            "db.execute('BEGIN')\n"
                            "db.execute(\"UPDATE note_outbox SET content = 'half-written'\")\n"
                            "db.execute('UPDATE pop_history SET status = 1')\n"
                            "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", dies_mid_transaction, str(aside)], check=True,
                   timeout=60)
    assert Path(f"{aside}-journal").exists()
    store = LocalStore.in_profile(tmp_path)
    assert _queued_notes(store) == ["Refund promised — résumé sent"]
    store.close()


def test_notes_after_an_unreadable_page_are_recovered_too(tmp_path: Path) -> None:
    aside = tmp_path / (DATABASE_FILE_NAME + ".damaged-1700000000")
    store = LocalStore(aside)
    _note(store, "Before the broken page")
    for index in range(400):
        store.enqueue("filler", NUMBER, {"index": index, "padding": "x" * 100})
    _note(store, "After the broken page")
    store.close()
    break_the_page_holding(aside, b'{"index": 200,')
    with pytest.raises(sqlite3.DatabaseError, match="malformed"), \
            sqlite3.connect(aside) as check:
        check.execute("SELECT count(*) FROM outbox").fetchone()
    store = LocalStore.in_profile(tmp_path)
    assert _queued_notes(store) == ["Before the broken page", "After the broken page"]
    fillers = [item.payload["index"] for item in store.outbox_items("filler")]
    assert fillers == sorted(fillers)  # the order they were queued in
    assert 200 not in fillers
    assert 399 in fillers
    store.close()


class _FailingReads:
    """A connection whose every query fails as a disk I/O error does (not corruption)."""

    def execute(self, _query: str) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    def close(self) -> None:
        pass


def test_a_damaged_file_that_could_not_be_read_is_tried_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / DATABASE_FILE_NAME
    corrupt_after_the_first_note(path, "Wants the renewal quote", NUMBER)
    # Only recovery's reads fail (the store's own connection is fine).
    failing = SimpleNamespace(connect=lambda *_a, **_k: _FailingReads(), Error=sqlite3.Error)
    with monkeypatch.context() as patch:
        patch.setattr(store_recovery, "sqlite3", failing)
        LocalStore.in_profile(tmp_path).close()
    store = LocalStore.in_profile(tmp_path)  # the disk works again
    assert _queued_notes(store) == ["Wants the renewal quote"]
    store.close()


def test_a_copy_left_by_an_interrupted_recovery_is_removed_at_start(tmp_path: Path) -> None:
    # A recovery killed halfway leaves its working copy (call history) beside the database.
    left = tmp_path / ".recovering-x1y2z3"
    left.mkdir()
    (left / "copy.sqlite3").write_bytes(b"call history")
    store = LocalStore.in_profile(tmp_path)
    assert not left.exists()
    store.close()


def test_drafts_in_a_damaged_file_come_back_unless_a_newer_one_was_typed(
        tmp_path: Path) -> None:
    other = "+442072193000"
    store = LocalStore.in_profile(tmp_path)
    store.save_draft(NUMBER, "typed after the file broke")  # newer than the damaged file's
    store.close()
    aside = tmp_path / (DATABASE_FILE_NAME + ".damaged-1700000000")
    with sqlite3.connect(aside) as old:
        old.executescript((FIXTURES / "store_v1.sql").read_text(encoding="utf-8"))
        old.execute("INSERT INTO note_drafts (number, text, updated) "
                    "VALUES (?, 'Wants a quote by Friday', 1764590002.0)", (other,))
    store = LocalStore.in_profile(tmp_path)
    assert store.load_draft(other) == "Wants a quote by Friday"
    assert store.load_draft(NUMBER) == "typed after the file broke"
    store.close()


def test_files_already_recovered_are_never_read_again(tmp_path: Path) -> None:
    # Two files damaged in the same second: the second one's recovered name gets a "-2".
    for name in (".damaged-1700000000.recovered", ".damaged-1700000000.recovered-2"):
        with sqlite3.connect(tmp_path / (DATABASE_FILE_NAME + name)) as old:
            old.executescript((FIXTURES / "store_v1.sql").read_text(encoding="utf-8"))
    store = LocalStore.in_profile(tmp_path)
    assert store.outbox_items() == []
    store.close()


def _damaged_file_with_notes(path: Path, count: int) -> None:
    store = LocalStore(path)
    with store._transaction() as db:  # one transaction: thousands of enqueue() take long
        db.executemany("INSERT INTO outbox (kind, number, payload, created) "
                       "VALUES ('note', ?, ?, ?)",
                       [(NUMBER, f'{{"content": "note {i}"}}', 1.0e9 + i) for i in range(count)])
    store.close()
    break_the_last_page(path)


def _work_to_recover(tmp_path: Path, notes: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """SQLite's virtual-machine steps (not seconds: the same on any machine) a start takes
    to recover a damaged file of ``notes`` queued notes."""
    folder = tmp_path / str(notes)
    folder.mkdir()
    _damaged_file_with_notes(folder / DATABASE_FILE_NAME, notes)
    steps = [0]
    connect = sqlite3.connect

    def counted(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        db = connect(*args, **kwargs)
        db.set_progress_handler(lambda: steps.__setitem__(0, steps[0] + 1), 100)
        return db

    with monkeypatch.context() as patch:
        patch.setattr(sqlite3, "connect", counted)
        store = LocalStore(folder / DATABASE_FILE_NAME)
    recovered = len(store.outbox_items("note"))
    store.close()
    assert recovered > notes * 0.9  # the case is what it claims: the notes came back
    return steps[0]


def test_recovering_many_queued_rows_takes_work_in_proportion(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A scan of the outbox per recovered row made 20,000 rows take 20 s before the window.
    small = _work_to_recover(tmp_path, 1000, monkeypatch)
    large = _work_to_recover(tmp_path, 4000, monkeypatch)
    assert large < 6 * small, (small, large)
