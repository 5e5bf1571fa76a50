"""Per-OS folders (issue 13): where the profile, the demo's profile and the single-instance
lock live on Windows, macOS and Linux, driven with a faked ``sys.platform`` and environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.local_state import LOCK_FILE_NAME, local_app_data_dir, lock_file_path
from app.core.profile import APP_DIR_NAME, default_profile_dir, demo_profile_dir
from tests.platforms import only_on


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.setenv("USERPROFILE", str(folder))
    for name in ("APPDATA", "LOCALAPPDATA", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    return folder


def on(monkeypatch: pytest.MonkeyPatch, platform: str) -> None:
    monkeypatch.setattr("sys.platform", platform)


def test_windows_profile_is_in_roaming_app_data(home: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    on(monkeypatch, "win32")
    assert default_profile_dir() == home / "AppData" / "Roaming" / APP_DIR_NAME
    monkeypatch.setenv("APPDATA", str(tmp_path / "Roaming"))
    assert default_profile_dir() == tmp_path / "Roaming" / APP_DIR_NAME
    assert demo_profile_dir() == tmp_path / "Roaming" / f"{APP_DIR_NAME} (demo)"


def test_macos_profile_is_in_application_support(home: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    on(monkeypatch, "darwin")
    monkeypatch.setenv("XDG_CONFIG_HOME", "/elsewhere")  # not read on macOS
    assert default_profile_dir() == home / "Library" / "Application Support" / APP_DIR_NAME
    assert demo_profile_dir().parent == default_profile_dir().parent


def test_linux_profile_follows_xdg_config_home(home: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    on(monkeypatch, "linux")
    assert default_profile_dir() == home / ".config" / APP_DIR_NAME
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert default_profile_dir() == tmp_path / "xdg" / APP_DIR_NAME


def test_local_app_data_is_localappdata_or_its_usual_place(home: Path) -> None:
    assert local_app_data_dir({"LOCALAPPDATA": "/l"}) == Path("/l") / APP_DIR_NAME
    assert local_app_data_dir({}) == home / "AppData" / "Local" / APP_DIR_NAME


def test_on_windows_the_lock_is_in_local_app_data_keyed_by_the_profile(
        home: Path, tmp_path: Path) -> None:
    env = {"LOCALAPPDATA": "/local", "APPDATA": "/roaming"}
    profile = tmp_path / "Roaming" / APP_DIR_NAME
    profile.mkdir(parents=True)
    lock = lock_file_path(profile, platform="win32", environ=env)
    assert lock.parent == Path("/local") / APP_DIR_NAME / "locks"
    assert lock.suffix == ".lock"
    # One folder, however it is reached (a mapped drive, a junction, a link, "..."): one lock,
    # keyed as the local socket's name is (profile_key: links followed, case as the OS folds).
    link = tmp_path / "H-drive"
    link.symlink_to(tmp_path / "Roaming", target_is_directory=True)
    assert lock_file_path(link / APP_DIR_NAME, platform="win32", environ=env) == lock
    assert lock_file_path(profile / ".." / APP_DIR_NAME, platform="win32", environ=env) == lock
    # Another profile (the demo's, a --profile): its own lock.
    other = tmp_path / "Roaming" / f"{APP_DIR_NAME} (demo)"
    assert lock_file_path(other, platform="win32", environ=env) != lock


@only_on("win32", "Windows folds the case of a path (normcase); elsewhere two spellings are "
                  "two folders")
def test_on_windows_one_lock_whatever_the_case_or_slashes(tmp_path: Path) -> None:
    profile = tmp_path / "Agent"
    profile.mkdir()
    lock = lock_file_path(profile)
    assert lock_file_path(Path(str(profile).upper())) == lock
    assert lock_file_path(Path(str(profile).replace("\\", "/") + "/")) == lock


@pytest.mark.parametrize("platform", ["linux", "darwin"])
def test_elsewhere_the_lock_stays_in_the_profile(tmp_path: Path, platform: str) -> None:
    assert lock_file_path(tmp_path, platform=platform) == tmp_path / LOCK_FILE_NAME
