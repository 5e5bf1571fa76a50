"""The local store on a network folder (issue 13): no WAL there, and nothing of an existing
store lost. The only fake is the mount table saying "network"; the SQLite file is real and
its journal mode is read back through a connection of the test's own."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.core import network_folder
from app.services.store import DATABASE_FILE_NAME, LocalStore

NUMBER = "+918302390884"
# Everything under "/" is on an NFS server: any test folder on any OS is "network" then.
NFS_EVERYWHERE = "1 0 0:50 / / rw,relatime - nfs4 files01:/home rw\n"


@pytest.fixture
def on_nfs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(network_folder, "_linux_mount_table", lambda: NFS_EVERYWHERE)


def journal_mode(folder: Path) -> str:
    with sqlite3.connect(folder / DATABASE_FILE_NAME) as db:
        return str(db.execute("PRAGMA journal_mode").fetchone()[0])


def side_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(("-wal", "-shm")))


def test_a_new_store_on_a_network_folder_uses_the_rollback_journal(
        tmp_path: Path, on_nfs: None) -> None:
    store = LocalStore(tmp_path / DATABASE_FILE_NAME, platform="linux")
    try:
        assert store.network_location == "a network file system (nfs4)"
        store.enqueue("note", NUMBER, {"content": "call back at 5"})
        assert journal_mode(tmp_path) == "delete"
        assert side_files(tmp_path) == []  # no shared-memory index a server cannot share
    finally:
        store.close()


def test_a_store_on_a_local_disk_keeps_wal(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(network_folder, "_linux_mount_table",
                        lambda: "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n")
    store = LocalStore(tmp_path / DATABASE_FILE_NAME, platform="linux")
    try:
        assert store.network_location is None
        assert journal_mode(tmp_path) == "wal"
    finally:
        store.close()


def test_an_existing_wal_store_moved_to_the_network_keeps_every_note(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Written in WAL mode by an app that was then killed: the note is only in the -wal file.
    code = ("import os, sys\nfrom pathlib import Path\nfrom app.services.store import LocalStore\n"
            "s = LocalStore.in_profile(Path(sys.argv[1]))\n"
            f"s.enqueue('note', {NUMBER!r}, {{'content': 'left in the WAL'}})\n"
            f"s.record_pop({NUMBER!r}, 'found', name='Asha')\n"
            "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, timeout=60)
    assert f"{DATABASE_FILE_NAME}-wal" in side_files(tmp_path)

    monkeypatch.setattr(network_folder, "_linux_mount_table", lambda: NFS_EVERYWHERE)
    store = LocalStore(tmp_path / DATABASE_FILE_NAME, platform="linux")
    try:
        assert [dict(n.payload) for n in store.outbox_items()] == [{"content": "left in the WAL"}]
        assert [p.name for p in store.recent_pops()] == ["Asha"]
        assert journal_mode(tmp_path) == "delete"
    finally:
        store.close()
    assert side_files(tmp_path) == []  # folded into the file, not left beside it

    # Back on a local disk (IT moved the profile): WAL again, the same note.
    monkeypatch.setattr(network_folder, "_linux_mount_table", lambda: "")
    store = LocalStore(tmp_path / DATABASE_FILE_NAME, platform="linux")
    try:
        assert journal_mode(tmp_path) == "wal"
        assert [dict(n.payload) for n in store.outbox_items()] == [{"content": "left in the WAL"}]
    finally:
        store.close()
