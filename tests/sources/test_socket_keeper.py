"""The socket keeper against a real local socket server, real files and real clients (issue 13).

What a tmp sweeper does is done for real: the socket file (or its whole folder) deleted,
replaced, left untouched for a month. Clients run in a worker thread, so the server in this
thread answers them while the test waits on the keeper's signals.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from app.sources.forward import forward
from app.sources.local_server import LocalSocketServer
from app.sources.socket_keeper import SocketKeeper, someone_listens
from tests.platforms import posix_only

pytestmark = posix_only("socket files: Windows' named pipes are not files")

MONTH = 30 * 24 * 3600
WATCH_ONLY_MS = 3_600_000  # the timer never fires in a test: only the folder watch acts


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A socket folder of this test's own, for deleting it (never the shared one); after
    ``tmp_path``, which must not move into it."""
    base = Path(tempfile.mkdtemp(prefix="spk", dir="/tmp"))
    monkeypatch.setattr(tempfile, "tempdir", str(base))
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def server(private_tmp: Path, tmp_path: Path, qtbot: QtBot) -> Iterator[LocalSocketServer]:
    listening = LocalSocketServer(tmp_path / "profile", lambda: {"status": "idle", "by": "us"})
    assert listening.start(), listening.errorString()
    assert Path(listening.name).parent.parent == private_tmp
    yield listening
    listening.close()


@pytest.fixture
def client() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool


def answer(qtbot: QtBot, pool: ThreadPoolExecutor, profile: Path) -> dict[str, Any] | None:
    """``screenpop state``'s exchange, from another thread, while this one serves it."""
    future: Future[dict[str, Any] | None] = pool.submit(forward, profile, "state", 3.0)
    qtbot.waitUntil(future.done, timeout=10_000)
    return future.result()


@pytest.fixture
def keepers(server: LocalSocketServer) -> Iterator[list[SocketKeeper]]:
    made: list[SocketKeeper] = []
    yield made
    for keeper in made:
        keeper.stop()  # before the server closes, as at quit


@pytest.fixture
def keep(keepers: list[SocketKeeper]) -> Callable[..., SocketKeeper]:
    def start(server: LocalSocketServer, interval_ms: int = WATCH_ONLY_MS) -> SocketKeeper:
        keeper = SocketKeeper(server, interval_ms)
        assert keeper.start()
        keepers.append(keeper)
        return keeper
    return start


def identity(path: str | Path) -> tuple[int, int]:
    info = os.lstat(path)
    return info.st_dev, info.st_ino


def test_a_deleted_socket_file_is_listened_at_again_at_once(
        keep: Callable[..., SocketKeeper], server: LocalSocketServer, tmp_path: Path,
        qtbot: QtBot, client: ThreadPoolExecutor) -> None:
    keeper = keep(server)
    with qtbot.waitSignal(keeper.listeningAgain, timeout=10_000):
        os.unlink(server.name)  # what a sweeper does
    assert stat.S_ISSOCK(os.lstat(server.name).st_mode)
    assert answer(qtbot, client, tmp_path / "profile") == {
        "ok": True, "state": {"status": "idle", "by": "us"}}


def test_a_deleted_socket_folder_is_made_again_private(
        keep: Callable[..., SocketKeeper], server: LocalSocketServer, tmp_path: Path,
        qtbot: QtBot, client: ThreadPoolExecutor) -> None:
    keeper = keep(server)
    folder = Path(server.name).parent
    with qtbot.waitSignal(keeper.listeningAgain, timeout=10_000):
        shutil.rmtree(folder)
    assert stat.S_IMODE(os.lstat(folder).st_mode) == 0o700
    assert answer(qtbot, client, tmp_path / "profile") is not None
    # The new folder is watched in turn: a second sweep is noticed too.
    with qtbot.waitSignal(keeper.listeningAgain, timeout=10_000):
        os.unlink(server.name)
    assert answer(qtbot, client, tmp_path / "profile") is not None


def test_a_dead_socket_put_in_its_place_is_replaced(
        keep: Callable[..., SocketKeeper], server: LocalSocketServer, tmp_path: Path,
        qtbot: QtBot, client: ThreadPoolExecutor) -> None:
    keeper = keep(server)
    aside = Path(server.name).with_name("dead")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as dead:
        dead.bind(str(aside))  # bound, never listened on, closed: a crash's leftover
    with qtbot.waitSignal(keeper.listeningAgain, timeout=10_000):
        os.replace(aside, server.name)
    assert answer(qtbot, client, tmp_path / "profile") is not None


def test_another_programs_live_socket_in_its_place_is_left_alone(
        keep: Callable[..., SocketKeeper], server: LocalSocketServer, qtbot: QtBot) -> None:
    keeper = keep(server)
    problems: list[str] = []
    keeper.problem.connect(problems.append)
    aside = Path(server.name).with_name("theirs")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as theirs:
        theirs.bind(str(aside))
        theirs.listen(4)
        with qtbot.waitSignal(keeper.problem, timeout=10_000):
            os.replace(aside, server.name)
        kept = identity(server.name)
        assert "another program now listens at this profile's socket" in problems[0]
        assert "reach it, not this window" in problems[0]
        # Checked again (a touch, another change in the folder): still theirs, said once.
        assert not keeper.check()
        keeper.tick()
        assert identity(server.name) == kept
        assert someone_listens(Path(server.name))
        assert len(problems) == 1


def test_when_listening_again_fails_it_says_why_and_tries_again_later(
        keep: Callable[..., SocketKeeper], server: LocalSocketServer, tmp_path: Path,
        qtbot: QtBot, client: ThreadPoolExecutor) -> None:
    keeper = keep(server)
    folder = Path(server.name).parent
    with qtbot.waitSignal(keeper.problem, timeout=10_000) as said:
        shutil.rmtree(folder)
        folder.write_text("a file where the socket folder was")
    assert said.args is not None
    assert "cannot reach this window: listening again at" in said.args[0]
    assert "is not a directory" in said.args[0]
    folder.unlink()
    with qtbot.waitSignal(keeper.listeningAgain, timeout=10_000):
        keeper.tick()  # the regular check, or the next change in the folder
    assert answer(qtbot, client, tmp_path / "profile") is not None


def test_the_socket_and_its_folder_are_touched_so_sweepers_leave_them(
        keep: Callable[..., SocketKeeper], server: LocalSocketServer, qtbot: QtBot) -> None:
    keeper = keep(server, interval_ms=50)
    again: list[object] = []
    keeper.listeningAgain.connect(lambda: again.append(1))
    folder = Path(server.name).parent
    month_ago = time.time() - MONTH
    for path in (server.name, folder):
        os.utime(path, (month_ago, month_ago))
    listening_on = identity(server.name)

    def touched() -> bool:
        return all(os.stat(path).st_mtime > month_ago + MONTH / 2
                   and os.stat(path).st_atime > month_ago + MONTH / 2
                   for path in (server.name, folder))

    qtbot.waitUntil(touched, timeout=10_000)
    assert identity(server.name) == listening_on  # kept, not made again
    assert again == []


def test_after_stop_the_server_closes_for_good(keep: Callable[..., SocketKeeper],
                                              server: LocalSocketServer) -> None:
    keeper = keep(server)
    keeper.stop()
    server.close()  # removes the socket file, as at quit
    assert not os.path.lexists(server.name)
    keeper.tick()
    assert not keeper.check()
    assert not server.is_listening()
    assert not os.path.lexists(server.name)


def test_nothing_to_keep_on_windows_or_without_a_listening_server(
        tmp_path: Path, private_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    idle = LocalSocketServer(tmp_path / "profile")
    assert not SocketKeeper(idle).start()  # never listened: the window says why already
    assert idle.start()
    try:
        monkeypatch.setattr(sys, "platform", "win32")
        assert not SocketKeeper(idle).start()
    finally:
        monkeypatch.undo()
        idle.close()


def test_the_probe_tells_a_live_socket_from_leftovers(tmp_path: Path) -> None:
    # Bound under a short folder: macOS caps a socket's path at 104 bytes, and its tmp_path
    # (under /private/var/folders/...) is longer than that already.
    short = Path(tempfile.mkdtemp(prefix="spk", dir="/tmp"))
    try:
        live = short / "live"
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listening:
            listening.bind(str(live))
            listening.listen(1)
            assert someone_listens(live)
        assert not someone_listens(live)  # closed: its file stays, nobody behind it
    finally:
        shutil.rmtree(short, ignore_errors=True)
    plain = tmp_path / "plain"
    plain.write_text("not a socket")
    assert not someone_listens(plain)
    assert not someone_listens(tmp_path / "missing")
