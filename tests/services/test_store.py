"""The local store: pop history, drafts, and an outbox that survives a restart."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

from app.services.store import DATABASE_FILE_NAME, LocalStore

NUMBER = "+918302390884"


def test_outbox_survives_a_reopen_and_a_killed_process(tmp_path: Path) -> None:
    # A separate process enqueues a note and dies without closing anything.
    code = ("import os, sys\nfrom pathlib import Path\nfrom app.services.store import LocalStore\n"
            "s = LocalStore.in_profile(Path(sys.argv[1]))\n"
            "s.enqueue_note('+918302390884', 'Customer wants a callback at 5 pm', None)\n"
            "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, timeout=60)
    store = LocalStore.in_profile(tmp_path)
    pending = store.pending_notes()
    assert [(n.number, n.content, n.call_id) for n in pending] == [
        (NUMBER, "Customer wants a callback at 5 pm", None)]

    store.note_failed(pending[0].id, "DeepCall did not answer in time")
    store.set_note_call_id(pending[0].id, "call-77")
    store.close()

    reopened = LocalStore.in_profile(tmp_path)
    [note] = reopened.pending_notes(NUMBER)
    assert note.attempts == 1
    assert note.last_error == "DeepCall did not answer in time"
    assert note.call_id == "call-77"
    reopened.note_sent(note.id)
    assert reopened.pending_notes() == []
    assert reopened.note(note.id) is None
    reopened.close()
    assert LocalStore.in_profile(tmp_path).pending_notes() == []


def test_database_is_wal_and_owner_only(tmp_path: Path) -> None:
    store = LocalStore.in_profile(tmp_path)
    path = tmp_path / DATABASE_FILE_NAME
    mode = stat.S_IMODE(path.stat().st_mode)
    assert mode == 0o600
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def test_drafts_are_kept_per_number_and_cleared_by_enqueue(tmp_path: Path) -> None:
    store = LocalStore.in_profile(tmp_path)
    store.save_draft(NUMBER, "half a tho")
    store.save_draft(NUMBER, "half a thought")
    store.save_draft("+14155550100", "other caller")
    assert LocalStore.in_profile(tmp_path).load_draft(NUMBER) == "half a thought"
    store.enqueue_note(NUMBER, "half a thought")
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
    assert store.pending_notes() == []
    store.enqueue_note(NUMBER, "new")
    aside = list(tmp_path.glob(DATABASE_FILE_NAME + ".damaged-*"))
    assert len(aside) == 1
    assert aside[0].read_bytes().startswith(b"this is not a database")


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    store = LocalStore.in_profile(tmp_path)

    def write(prefix: str) -> None:
        for i in range(50):
            store.enqueue_note(NUMBER, f"{prefix}-{i}")

    threads = [threading.Thread(target=write, args=(f"t{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store.pending_notes()) == 200
