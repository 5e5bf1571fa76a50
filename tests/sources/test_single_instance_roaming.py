"""The single-instance lock and a roaming or redirected Windows profile (issue 13).

A lock file that roamed in with the profile was written on another computer: its PID means
nothing here, so QLockFile (stale time 0) never takes it over and the app would not start. On
Windows the lock lives in local app data instead. Real QLockFiles, on Linux, with
``sys.platform`` faked to "win32" and ``%LOCALAPPDATA%`` pointed at a test folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.local_state import LOCK_FILE_NAME, local_app_data_dir
from app.core.profile import APP_DIR_NAME, ProfileUnusable, profile_path
from app.sources import single_instance
from app.sources.single_instance import SingleInstance


def roamed_in_lock(profile: Path) -> Path:
    """What an app killed on another computer left in the profile: QLockFile's own format."""
    profile.mkdir(parents=True, exist_ok=True)
    lock = profile / LOCK_FILE_NAME
    lock.write_text("4242\nDeepCall Screen-Pop\nRDS-HOST-07\n")
    return lock


@pytest.fixture
def windows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's local app data folder, on a faked Windows."""
    local = tmp_path / "Local"
    monkeypatch.setenv("LOCALAPPDATA", str(local))
    monkeypatch.setattr("sys.platform", "win32")
    return local


def test_a_lock_roamed_in_from_another_computer_does_not_block_the_start(
        tmp_path: Path, windows: Path) -> None:
    profile = tmp_path / "Roaming" / "DeepCall Screen-Pop"
    stale = roamed_in_lock(profile)
    instance = SingleInstance(profile)
    try:
        assert instance.acquire()
        assert instance.lock_path.is_relative_to(local_app_data_dir())
        assert instance.holder_on_another_host() is None
        assert stale.read_text().startswith("4242\n")  # not ours to touch
    finally:
        instance.release()


def test_elsewhere_such_a_lock_is_still_named_not_taken_over(tmp_path: Path) -> None:
    # Linux/macOS keep the lock in the profile: one carried over is reported by the app
    # (commands/gui.py names the computer), never silently taken over.
    stale = roamed_in_lock(tmp_path / "profile")
    instance = SingleInstance(tmp_path / "profile")
    assert instance.lock_path == stale
    assert not instance.acquire()
    assert instance.holder_on_another_host() == "RDS-HOST-07"


def test_one_windows_profile_one_lock_however_its_path_is_written(
        tmp_path: Path, windows: Path) -> None:
    profile = tmp_path / "Agent"
    profile.mkdir()
    first = SingleInstance(profile)
    second = SingleInstance(tmp_path / "Agent" / ".." / "Agent")
    other = SingleInstance(tmp_path / "Agent (demo)")
    try:
        assert first.acquire()
        assert not second.acquire()
        assert second.holder_pid() is not None
        assert other.acquire()  # another profile, another lock
        assert first.lock_path.parent == other.lock_path.parent == windows / (
            "DeepCall Screen-Pop") / "locks"
        assert not (profile / LOCK_FILE_NAME).exists()
    finally:
        for instance in (first, second, other):
            instance.release()


def test_one_profile_one_windows_lock_whether_given_or_default(
        tmp_path: Path, windows: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # %APPDATA% through a mapped drive, a junction or a link: the default profile is used as
    # %APPDATA% spells it, a --profile resolved. Same folder, so one lock (and one socket).
    real = tmp_path / "real-roaming"
    (real / APP_DIR_NAME).mkdir(parents=True)
    link = tmp_path / "H-drive"  # what H:\ (mapped) is to \\srv\home
    link.symlink_to(real, target_is_directory=True)
    monkeypatch.setenv("APPDATA", str(link))
    default = profile_path(None)  # what gui.py uses with no --profile
    given = profile_path(str(default))  # the same folder, given with --profile
    assert default != given
    first, second = SingleInstance(default), SingleInstance(given)
    try:
        assert first.acquire()
        assert not second.acquire(), (first.lock_path, second.lock_path)
    finally:
        first.release()
        second.release()


def test_on_windows_a_lock_of_another_user_is_explained_in_windows_terms(
        tmp_path: Path, windows: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = SingleInstance(tmp_path / "Agent"), SingleInstance(tmp_path / "Agent")
    monkeypatch.setattr(single_instance, "_readable", lambda _path: False)  # another user's
    try:
        assert first.acquire()
        with pytest.raises(ProfileUnusable) as raised:
            second.acquire()
    finally:
        first.release()
    assert "Task Manager" in raised.value.reason
    assert "ps" not in raised.value.reason.split()
    assert "(check with ps)" not in raised.value.reason
