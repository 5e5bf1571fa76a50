"""Where the instance listens: short, private, unique per OS user and profile."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication

from app.sources.forward import NotListening, exchange
from app.sources.local_server import LocalSocketServer
from app.sources.socket_address import (
    MAX_SOCKET_PATH,
    SALT_FILE_NAME,
    SocketDirError,
    check_runtime_dir,
    profile_salt,
    server_name,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX socket directory")


@pytest.fixture
def private_tmp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temp dir of this test's own for the socket directory (never the shared one).

    Short, like /tmp itself: a long one would make runtime_dir() fall back to /tmp.
    """
    base = Path(tempfile.mkdtemp(prefix="spt", dir="/tmp"))
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(base))
    yield base / f"screenpop-{os.getuid()}"
    shutil.rmtree(base, ignore_errors=True)


def test_one_name_per_profile_whatever_its_spelling(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    profile = tmp_path / "profile"
    profile.mkdir()
    (tmp_path / "link").symlink_to(profile)
    monkeypatch.chdir(tmp_path)
    names = {server_name(p) for p in (profile, Path("profile"), Path(f"{profile}/"),
                                      tmp_path / "link", tmp_path / "x" / ".." / "profile")}
    assert len(names) == 1
    assert server_name(tmp_path / "other") not in names


def test_the_user_is_part_of_the_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = server_name(tmp_path)
    monkeypatch.setattr(os, "getuid", lambda: 4242)
    theirs = server_name(tmp_path)
    assert theirs != mine
    assert Path(theirs).name != Path(mine).name  # the hash differs, not only the directory


def test_names_stay_short_for_long_profiles_and_long_tmpdirs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    long_profile = tmp_path / ("p" * 200) / ("q" * 200)
    assert len(server_name(long_profile)) <= MAX_SOCKET_PATH
    # macOS's per-user TMPDIR (/var/folders/xx/.../T/) can be long: fall back to /tmp.
    monkeypatch.setattr(tempfile, "gettempdir", lambda: "/var/folders/" + "x" * 90 + "/T")
    name = server_name(long_profile)
    assert len(name.encode()) <= MAX_SOCKET_PATH
    assert name.startswith(f"/tmp/screenpop-{os.getuid()}/sp-")


def test_windows_gets_a_pipe_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    name = server_name(tmp_path)
    assert name.startswith("screenpop-")
    assert "/" not in name
    assert len(name) == len("screenpop-") + 20


def test_the_directory_is_made_private(private_tmp: Path) -> None:
    check_runtime_dir(private_tmp, create=True)
    assert stat.S_IMODE(private_tmp.stat().st_mode) == 0o700
    private_tmp.chmod(0o755)
    with pytest.raises(SocketDirError, match="open to other users"):
        check_runtime_dir(private_tmp, create=False)  # clients refuse a loosened directory
    check_runtime_dir(private_tmp, create=True)  # the server tightens it again
    assert stat.S_IMODE(private_tmp.stat().st_mode) == 0o700


def test_a_symlink_or_file_is_not_our_directory(private_tmp: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    private_tmp.symlink_to(elsewhere)
    with pytest.raises(SocketDirError, match="not a directory"):
        check_runtime_dir(private_tmp, create=True)


def test_a_directory_squatted_by_another_user_is_refused_without_a_crash(
        qapp: QCoreApplication, private_tmp: Path, tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to give the directory to another user (CI runs as root)")
    private_tmp.mkdir(mode=0o700)
    os.chown(private_tmp, 65534, 65534)  # nobody
    with pytest.raises(SocketDirError, match="belongs to another user"):
        check_runtime_dir(private_tmp, create=True)
    server = LocalSocketServer(tmp_path / "profile")
    assert Path(server.name).parent == private_tmp
    assert server.start() is False
    assert "belongs to another user" in server.errorString()
    with pytest.raises(NotListening, match="belongs to another user"):
        exchange(tmp_path / "profile", "state")
    server.close()


def _unsalted_pipe(profile: Path) -> str:
    key = f"{os.getuid()}\0{os.path.normcase(str(profile.resolve()))}"
    return "screenpop-" + hashlib.sha256(key.encode()).hexdigest()[:20]


def test_a_windows_pipe_name_cannot_be_worked_out_from_user_and_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Pipe names are machine-wide: on a shared terminal server another user must not be able
    # to compute (and squat) this user's pipe from the user name and the profile path.
    monkeypatch.setattr(sys, "platform", "win32")
    profile = tmp_path / "profile"
    profile.mkdir()
    name = server_name(profile)
    salt = (profile / SALT_FILE_NAME).read_text(encoding="ascii")
    assert len(salt) == 32
    assert int(salt, 16) >= 0
    assert name != _unsalted_pipe(profile)
    assert server_name(profile) == name  # stable: the app and its clients agree
    # Another profile, or the same profile after its salt changed, is another pipe.
    other = tmp_path / "other"
    other.mkdir()
    assert server_name(other) != name
    (profile / SALT_FILE_NAME).write_text("0" * 32, encoding="ascii")
    assert server_name(profile) != name


def test_the_salt_is_made_once_even_when_app_and_client_race(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    barrier = threading.Barrier(8)
    salts: list[str] = []

    def make() -> None:
        barrier.wait()
        salts.append(profile_salt(profile))

    threads = [threading.Thread(target=make) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(salts)) == 1
    (profile / SALT_FILE_NAME).write_text("not a salt", encoding="ascii")
    fresh = profile_salt(profile)  # a damaged file is replaced, not trusted
    assert fresh != salts[0]
    assert profile_salt(profile) == fresh
