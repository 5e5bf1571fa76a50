"""The local store on a network folder (issue 13): no WAL there, and nothing of an existing
store lost. The only fake is the mount table saying "network"; the SQLite file is real and
its journal mode is read back through a connection of the test's own."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

from app.core import network_folder
from app.services.store import DATABASE_FILE_NAME, LocalStore, StoreUnavailable
from tests.platforms import posix_only
from tests.sources.processes import REPO, LineProcess

NUMBER = "+918302390884"
# Everything under "/" is on an NFS server: any test folder on any OS is "network" then.
NFS_EVERYWHERE = "1 0 0:50 / / rw,relatime - nfs4 files01:/home rw\n"
FULL = 2  # PRAGMA synchronous's answer for FULL


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


def test_on_the_network_every_commit_waits_for_the_disk(tmp_path: Path, on_nfs: None) -> None:
    # The rollback journal with synchronous=NORMAL can be left out of step with the file by
    # a power cut; FULL cannot. Pop history too, and after a durable (note) commit as well.
    store = LocalStore(tmp_path / DATABASE_FILE_NAME, platform="linux")
    try:
        assert store.journal_mode == "DELETE"
        store.record_pop(NUMBER, "found", name="Asha")
        assert store._db.execute("PRAGMA synchronous").fetchone()[0] == FULL
        store.enqueue("note", NUMBER, {"content": "call back at 5"})
        assert store._db.execute("PRAGMA synchronous").fetchone()[0] == FULL
    finally:
        store.close()


OPEN_IN_WAL = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("CREATE TABLE IF NOT EXISTS t(x)")
print("open", flush=True)
sys.stdin.readline()
"""


def test_a_store_another_app_has_open_is_named_so_not_a_generic_failure(
        tmp_path: Path, on_nfs: None) -> None:
    # Another computer's Screen-Pop (an older one, or one whose profile is not seen as on the
    # network) has the file open in WAL: the switch to the rollback journal cannot happen.
    other = LineProcess([sys.executable, "-c", OPEN_IN_WAL, str(tmp_path / DATABASE_FILE_NAME)])
    try:
        assert other.next_line() == "open"
        with pytest.raises(StoreUnavailable) as raised:
            LocalStore(tmp_path / DATABASE_FILE_NAME, busy_timeout=0.2, platform="linux")
    finally:
        other.stop()
    said = str(raised.value)
    assert "Another Screen-Pop has this profile open (possibly on another computer)" in said
    assert str(tmp_path / DATABASE_FILE_NAME) in said


SWITCH_IN_READONLY_FOLDER = r"""
import sqlite3, sys
from pathlib import Path
from app.core import network_folder
network_folder._linux_mount_table = lambda: "1 0 0:50 / / rw - nfs4 f:/h rw\n"
from app.services.store import LocalStore
store = LocalStore(Path(sys.argv[1]) / "screenpop.sqlite3", platform="linux")
db = sqlite3.connect(Path(sys.argv[1]) / "screenpop.sqlite3")
print(store.journal_mode, db.execute("PRAGMA journal_mode").fetchone()[0], store.wal_left)
"""


@posix_only("chmod and another user (runuser)")
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0
                    or shutil.which("runuser") is None or not Path("/usr/bin/python3").exists(),
                    reason="needs root, runuser and /usr/bin/python3 (to run the store as "
                           "nobody in a folder nobody may change)")
def test_a_journal_switch_that_did_not_happen_is_not_reported_as_done() -> None:
    # The -wal cannot be removed (here a read-only folder; on Windows an antivirus scanner or
    # the indexer holding it open): SQLite still answers "delete" to the switch, but the next
    # start runs WAL again. The store says what SQLite runs, and names the file.
    folder = Path(tempfile.mkdtemp(prefix="screenpop-wal-")) / "profile"  # nobody can enter it
    folder.mkdir()
    code = ("import sqlite3,os;a=sqlite3.connect('screenpop.sqlite3',isolation_level=None);"
            "a.execute('PRAGMA journal_mode=WAL');a.execute('PRAGMA wal_autocheckpoint=0');"
            "a.execute('create table t(x)');[a.execute('insert into t values (1)') "
            "for _ in range(50)];os._exit(0)")
    try:
        subprocess.run([sys.executable, "-c", code], cwd=folder, check=True, timeout=60)
        os.chmod(folder.parent, 0o755)  # noqa: S103 - nobody only reaches the folder inside
        for part in (folder, *folder.iterdir()):
            shutil.chown(part, "nobody")
        folder.chmod(0o555)
        site = sysconfig.get_paths()["purelib"]
        result = subprocess.run(
            ["runuser", "-u", "nobody", "--", "/usr/bin/python3", "-c",
             SWITCH_IN_READONLY_FOLDER, str(folder)], cwd=REPO, capture_output=True, text=True,
            timeout=60, env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), site])})
        assert result.returncode == 0, result.stderr[-2000:]
        claimed, actual, wal_left = result.stdout.split()
        assert (folder / f"{DATABASE_FILE_NAME}-wal").exists()  # SQLite could not delete it
        assert claimed.lower() == actual.lower(), f"store says {claimed}, SQLite runs {actual}"
        assert wal_left == str(folder / f"{DATABASE_FILE_NAME}-wal")
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder.parent, ignore_errors=True)
