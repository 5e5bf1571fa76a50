"""Which profile folders are on the network (issue 13): the rules run for real here; only the
OS calls (GetDriveTypeW, /proc/self/mountinfo, statfs) are replaced, and each is also run for
real on its own OS (the CI's OS matrix)."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.core import network_folder
from app.core.network_folder import (
    DRIVE_REMOTE,
    linux_fs_type,
    network_location,
    network_profile_notice,
)
from tests.platforms import only_on

DRIVE_FIXED = 3


def mount_line(mount_point: str, fs_type: str, number: int = 40) -> str:
    escaped = mount_point.replace("\\", "\\134").replace(" ", "\\040")
    return f"{number} 1 0:{number} / {escaped} rw,relatime shared:1 - {fs_type} src rw\n"


ROOT_EXT4 = mount_line("/", "ext4", 1)


@pytest.fixture
def drives(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Drive roots Windows would report, by letter; the rest are fixed disks."""
    reported: dict[str, int] = {}
    monkeypatch.setattr(network_folder, "_windows_drive_type",
                        lambda root: reported.get(root, DRIVE_FIXED))
    return reported


@pytest.mark.parametrize(("path", "where"), [
    ("\\\\files01\\home$\\agent\\AppData\\Roaming\\DeepCall Screen-Pop",
     "the network share \\\\files01\\home$"),
    ("//files01/home/agent", "the network share \\\\files01\\home"),
    ("\\\\?\\UNC\\files01\\redir\\agent\\AppData", "the network share \\\\files01\\redir"),
    ("Z:\\AppData\\Roaming\\DeepCall Screen-Pop", "the network drive Z:"),
    ("z:\\profile", "the network drive Z:"),
    ("\\\\?\\Z:\\profile", "the network drive Z:"),
], ids=["redirected AppData (UNC)", "UNC with slashes", "long UNC", "mapped drive",
        "mapped drive, lower case", "mapped drive, long form"])
def test_windows_shares_and_mapped_drives_are_network(drives: dict[str, int], path: str,
                                                      where: str) -> None:
    drives["Z:\\"] = DRIVE_REMOTE
    assert network_location(Path(path), platform="win32") == where


@pytest.mark.parametrize("path", [
    "C:\\Users\\agent\\AppData\\Roaming\\DeepCall Screen-Pop", "\\\\?\\C:\\Users\\agent",
    "D:\\Profiles\\agent"])
def test_windows_local_disks_are_not_network(drives: dict[str, int], path: str) -> None:
    drives["Z:\\"] = DRIVE_REMOTE
    assert network_location(Path(path), platform="win32") is None


def test_the_drive_type_comes_from_get_drive_type_w(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    class Kernel32:
        @staticmethod
        def GetDriveTypeW(root: str) -> int:
            asked.append(root)
            return DRIVE_REMOTE

    class WinDll:
        kernel32 = Kernel32()

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(ctypes, "windll", WinDll(), raising=False)
    assert network_location(Path("H:\\AppData\\Roaming"), platform="win32") == (
        "the network drive H:")
    assert asked == ["H:\\"]  # the drive's root, as GetDriveTypeW wants it


@only_on("win32", "GetDriveTypeW exists only on Windows")
def test_the_system_drive_is_a_fixed_disk_for_real() -> None:
    assert network_folder._windows_drive_type("C:\\") == DRIVE_FIXED


@pytest.mark.parametrize("fs_type", ["nfs4", "cifs", "smb3", "fuse.sshfs"])
def test_linux_network_mounts_are_found_from_the_mount_table(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fs_type: str) -> None:
    home = tmp_path / "home with space"
    table = ROOT_EXT4 + mount_line(str(home), fs_type)
    monkeypatch.setattr(network_folder, "_linux_mount_table", lambda: table)
    profile = home / ".config" / "DeepCall Screen-Pop"
    assert network_location(profile, platform="linux") == f"a network file system ({fs_type})"
    # Beside the mount, not in it: a folder whose name only starts the same.
    assert network_location(tmp_path / "home with spaces", platform="linux") is None


def test_the_deepest_mount_wins_and_the_last_one_over_another(tmp_path: Path) -> None:
    table = (ROOT_EXT4 + mount_line("/home", "nfs4", 2) + mount_line("/home/agent", "ext4", 3)
             + mount_line("/srv", "ext4", 4) + mount_line("/srv", "cifs", 5))
    assert linux_fs_type("/home/agent/.config", table) == "ext4"
    assert linux_fs_type("/home/other", table) == "nfs4"
    assert linux_fs_type("/srv/x", table) == "cifs"
    assert linux_fs_type("/var", table) == "ext4"
    assert linux_fs_type("/var", "") is None
    assert linux_fs_type("/var", "garbage line\n") is None


@only_on("linux", "/proc/self/mountinfo is Linux's")
def test_the_real_mount_table_names_the_type_findmnt_names(tmp_path: Path) -> None:
    findmnt = shutil.which("findmnt")
    if findmnt is None:
        pytest.skip("needs findmnt (util-linux) to compare with")
    expected = subprocess.run([findmnt, "-n", "-o", "FSTYPE", "--target", str(tmp_path)],
                              capture_output=True, text=True, check=True).stdout.strip()
    real = linux_fs_type(str(tmp_path.resolve()), network_folder._linux_mount_table())
    assert real == expected
    assert network_location(tmp_path) is None  # the test machine's tmp is a local disk


@pytest.mark.parametrize("fs_type", ["smbfs", "nfs", "afpfs", "webdav"])
def test_macos_network_volumes_are_found_by_their_statfs_type(
        monkeypatch: pytest.MonkeyPatch, fs_type: str) -> None:
    monkeypatch.setattr(network_folder, "_macos_fs_type", lambda path: fs_type)
    assert network_location(Path("/Users/agent/Library"), platform="darwin") == (
        f"a network file system ({fs_type})")
    monkeypatch.setattr(network_folder, "_macos_fs_type", lambda path: "apfs")
    assert network_location(Path("/Users/agent/Library"), platform="darwin") is None


@only_on("darwin", "statfs's f_fstypename is read with macOS's struct layout")
def test_the_real_statfs_says_apfs_for_a_local_folder(tmp_path: Path) -> None:
    assert network_folder._macos_fs_type(str(tmp_path)) == "apfs"
    assert network_location(tmp_path) is None


def test_the_os_calls_do_nothing_on_another_os(tmp_path: Path) -> None:
    # The store passes a test's platform through: the real OS decides which call can run.
    if sys.platform != "win32":
        assert network_folder._windows_drive_type("C:\\") == 0
    if sys.platform != "darwin":
        assert network_folder._macos_fs_type(str(tmp_path)) is None


def test_the_notice_names_the_folder_and_what_it_should_change() -> None:
    folder = Path("\\\\files01\\home$\\agent\\AppData\\Roaming\\DeepCall Screen-Pop")
    notice = network_profile_notice(folder, "the network share \\\\files01\\home$",
                                     platform="win32")
    assert str(folder) in notice
    assert "is on the network share \\\\files01\\home$" in notice
    assert "IT: exclude AppData\\Roaming\\DeepCall Screen-Pop from folder redirection" in notice
    assert "--profile" in notice
    linux = network_profile_notice(Path("/home/agent/.config/DeepCall Screen-Pop"),
                                   "a network file system (nfs4)", platform="linux")
    assert "IT: start Screen-Pop with --profile" in linux
    assert "redirection" not in linux


def test_when_wal_could_not_be_left_the_notice_says_so_and_names_the_file() -> None:
    folder = Path("\\\\files01\\home$\\agent\\AppData\\Roaming\\DeepCall Screen-Pop")
    wal = folder / "screenpop.sqlite3-wal"
    notice = network_profile_notice(folder, "the network share \\\\files01\\home$",
                                    platform="win32", wal_left=wal)
    assert f"{wal} could not be removed" in notice
    assert "slower mode that is safe" not in notice  # that is not what runs
    assert "IT: " in notice
