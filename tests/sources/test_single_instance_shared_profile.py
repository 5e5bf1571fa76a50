"""One redirected profile, two computers (issue 13): the Windows lock lives in each computer's
own local app data, so on its own it keeps nobody on another computer off a profile on a
share; both would open one database and send one outbox twice. A profile on the network
therefore also gets a lock in the profile itself.

Real QLockFiles in two processes on Linux: each "computer" is a process with its own
``%LOCALAPPDATA%``, ``sys.platform`` faked to "win32" and the network detection faked (the
folder is a test folder). The lock in the profile has a short stale time: Windows cannot
delete a lock file its live holder keeps open (Qt opens it without delete sharing), on POSIX
Qt's flock on it does the same, so only a dead holder's lock is taken over.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.local_state import LOCK_FILE_NAME
from app.core.profile import ProfileUnusable
from app.sources import single_instance
from app.sources.single_instance import SingleInstance
from tests.sources.processes import LineProcess

SHARE = "the network share \\\\srv\\home"
# Another computer holding the profile: a process with its own local app data.
HOLDER = f"""
import sys
from pathlib import Path
from app.sources import single_instance
single_instance.network_location = lambda folder, **_: {SHARE!r}
sys.platform = "win32"
instance = single_instance.SingleInstance(Path(sys.argv[1]))
print("acquired" if instance.acquire() else "refused", flush=True)
sys.stdin.readline()
instance.release()
"""


@pytest.fixture
def on_windows_share(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This process is computer B: its own local app data, the profile on a share."""
    monkeypatch.setattr("sys.platform", "win32")
    monkeypatch.setattr(single_instance, "network_location", lambda folder, **_: SHARE)
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "host-b-local"))
    profile = tmp_path / "share" / "DeepCall Screen-Pop"
    profile.mkdir(parents=True)
    return profile


@pytest.fixture
def host_a(tmp_path: Path, on_windows_share: Path) -> Iterator[LineProcess]:
    child = LineProcess([sys.executable, "-c", HOLDER, str(on_windows_share)],
                        env={"LOCALAPPDATA": str(tmp_path / "host-a-local")})
    try:
        assert child.next_line() == "acquired"
        yield child
    finally:
        child.stop()


def age(lock: Path) -> None:
    """The lock file as old as a whole shift: any stale time has passed."""
    hours_ago = time.time() - 8 * 3600
    os.utime(lock, (hours_ago, hours_ago))


def test_a_second_computer_does_not_run_a_profile_another_one_runs(
        on_windows_share: Path, host_a: LineProcess) -> None:
    profile_lock = on_windows_share / LOCK_FILE_NAME
    age(profile_lock)  # the holder lives: its age does not make it stale
    host_b = SingleInstance(on_windows_share)
    try:
        assert not host_b.acquire(), "a second computer runs the same profile (outbox sent twice)"
        assert not host_b.held
        assert host_b.refused_by_shared_lock
        assert host_b.holder_pid() == host_a.proc.pid
    finally:
        host_b.release()
    # Computer B keeps no local lock of a profile it does not run.
    assert not any(host_b.lock_path.parent.glob("*.lock"))


def test_the_lock_of_a_computer_that_is_gone_is_taken_over(
        on_windows_share: Path) -> None:
    # A computer that crashed (or was switched off) with the app running: its PID means
    # nothing here, and nothing holds the file open any more.
    profile_lock = on_windows_share / LOCK_FILE_NAME
    profile_lock.write_text("4242\nDeepCall Screen-Pop\nRDS-HOST-07\n")
    age(profile_lock)
    host_b = SingleInstance(on_windows_share)
    try:
        assert host_b.acquire()
        assert str(os.getpid()) == profile_lock.read_text().split("\n")[0]
    finally:
        host_b.release()
    assert not profile_lock.exists()


def test_the_refusal_names_the_other_computer(
        on_windows_share: Path, host_a: LineProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    age(on_windows_share / LOCK_FILE_NAME)

    class ThisComputer:  # both processes run on one host here: B is called another name
        @staticmethod
        def machineHostName() -> str:
            return "RDS-HOST-08"

    monkeypatch.setattr(single_instance, "QSysInfo", ThisComputer)
    host_b = SingleInstance(on_windows_share)
    assert not host_b.acquire()
    from PySide6.QtCore import QSysInfo

    assert host_b.holder_on_another_host() == QSysInfo.machineHostName()


def test_a_profile_on_this_computer_gets_no_second_lock(
        tmp_path: Path, on_windows_share: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(single_instance, "network_location", lambda folder, **_: None)
    instance = SingleInstance(on_windows_share)
    try:
        assert instance.acquire()
        assert not (on_windows_share / LOCK_FILE_NAME).exists()
    finally:
        instance.release()


def test_an_unusable_local_app_data_is_profile_unusable_not_a_traceback(
        tmp_path: Path, on_windows_share: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "Local"
    blocker.write_text("a file where %LOCALAPPDATA% should be")
    monkeypatch.setenv("LOCALAPPDATA", str(blocker))
    instance = SingleInstance(on_windows_share)
    with pytest.raises(ProfileUnusable) as raised:
        instance.acquire()
    assert f"{blocker} is a file, not a folder" in str(raised.value)


def test_the_app_on_the_second_computer_says_plainly_where_the_profile_is_open(
        on_windows_share: Path, host_a: LineProcess, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from PySide6.QtCore import QSysInfo

    from app.commands import gui

    age(on_windows_share / LOCK_FILE_NAME)
    monkeypatch.setenv(gui.NO_WINDOW_VARIABLE, "1")
    monkeypatch.setattr(single_instance, "QSysInfo", type("ThisComputer", (), {
        "machineHostName": staticmethod(lambda: "RDS-HOST-08")}))
    assert gui.main(["--profile", str(on_windows_share)]) == 7
    said = capsys.readouterr().err
    assert (f"Screen-Pop is running with this profile on another computer "
            f"({QSysInfo.machineHostName()})") in said
    assert "close Screen-Pop there" in said
    assert "Traceback" not in said
