"""One key per profile folder, as its file system tells folders apart (issue 13).

The local socket's name is made from ``profile_key``: two spellings of one folder must give
one socket (they share the app's lock), two folders must give two. Linux is run for real;
macOS's volume (case- and normalisation-insensitive, ``F_GETPATH``) is faked, and the
``F_GETPATH`` call itself is driven on a real folder through Linux's own equivalent.
"""

from __future__ import annotations

import hashlib
import os
import sys
import unicodedata
from pathlib import Path

import pytest

from app.core import profile
from app.core.profile import profile_key
from app.sources.socket_address import server_name
from tests.platforms import not_on, only_on

NFC_NAME = unicodedata.normalize("NFC", "Agénte")
NFD_NAME = unicodedata.normalize("NFD", "Agénte")
F_GETPATH = 50  # its value in macOS's <sys/fcntl.h>


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux file names, for real")
def test_on_linux_the_key_is_the_resolved_path_and_each_spelling_its_own_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Linux tells these apart: four real folders, four keys, four sockets.
    names = ["Agent", "agent", NFC_NAME, NFD_NAME]
    for name in names:
        (tmp_path / name).mkdir()
    assert len({p.name for p in tmp_path.iterdir()}) == 4
    keys = [profile_key(tmp_path / name) for name in names]
    assert keys == [str((tmp_path / name).resolve()) for name in names]
    assert len({server_name(tmp_path / name) for name in names}) == 4
    # Links and relative spellings of one folder still give one key.
    (tmp_path / "link").symlink_to(tmp_path / "Agent")
    monkeypatch.chdir(tmp_path)
    assert {profile_key(p) for p in (tmp_path / "link", Path("Agent"),
                                     Path("agent/../Agent"))} == {keys[0]}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux file names, for real")
def test_on_linux_the_socket_name_is_the_one_earlier_versions_used(tmp_path: Path) -> None:
    # An app started by the previous version and a client of this one must still meet.
    folder = tmp_path / "Mixed Case"
    folder.mkdir()
    key = f"{os.getuid()}\0{folder.resolve()}"
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:20]
    assert server_name(folder).endswith(f"/sp-{digest}")


class FakeMacVolume:
    """A case- and normalisation-insensitive volume over real folders: each folder is found
    whatever its spelling and reported as the volume keeps it, as ``F_GETPATH`` does."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @staticmethod
    def fold(path: str) -> str:
        return unicodedata.normalize("NFD", path).casefold()

    def on_disk(self, path: str) -> str | None:
        kept = {self.fold(str(p)): str(p) for p in self.root.rglob("*") if p.is_dir()}
        kept[self.fold(str(self.root))] = str(self.root)
        return kept.get(self.fold(path))


@pytest.fixture
def mac_volume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeMacVolume:
    volume = FakeMacVolume(tmp_path)
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(profile, "_on_disk_path", volume.on_disk)
    monkeypatch.setattr(profile, "_case_sensitive", lambda _path: False)
    return volume


def test_on_macos_case_and_accent_spellings_of_one_folder_give_one_socket(
        tmp_path: Path, mac_volume: FakeMacVolume) -> None:
    (tmp_path / "Agent").mkdir()
    (tmp_path / NFC_NAME).mkdir()
    spellings = [tmp_path / "Agent", tmp_path / "agent", tmp_path / "AGENT"]
    assert {profile_key(p) for p in spellings} == {str(tmp_path / "Agent")}
    assert len({server_name(p) for p in spellings}) == 1
    accents = [tmp_path / NFC_NAME, tmp_path / NFD_NAME, tmp_path / NFD_NAME.lower()]
    assert {profile_key(p) for p in accents} == {str(tmp_path / NFC_NAME)}
    # Two folders stay two.
    assert server_name(tmp_path / "Agent") != server_name(tmp_path / NFC_NAME)


def test_on_macos_a_folder_not_made_yet_is_folded_as_the_volume_compares_names(
        tmp_path: Path, mac_volume: FakeMacVolume) -> None:
    keys = {profile_key(tmp_path / "New" / name) for name in ("Profile", "PROFILE", "profile")}
    assert len(keys) == 1
    accents = {profile_key(tmp_path / name) for name in (NFC_NAME, NFD_NAME)}
    assert len(accents) == 1
    assert accents == {unicodedata.normalize("NFD", str(tmp_path / NFC_NAME).casefold())}


def test_on_a_case_sensitive_mac_volume_only_the_unicode_form_is_folded(
        tmp_path: Path, mac_volume: FakeMacVolume, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    monkeypatch.setattr(profile, "_case_sensitive", lambda path: asked.append(path) or True)
    assert profile_key(tmp_path / "Profile") != profile_key(tmp_path / "profile")
    assert profile_key(tmp_path / NFC_NAME) == profile_key(tmp_path / NFD_NAME)
    assert asked[0] == str(tmp_path)  # the volume that will hold the folder is asked


def test_the_volume_is_asked_with_macos_pathconf_name(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[str, int]] = []

    def pathconf(path: str, name: int) -> int:
        asked.append((path, name))
        return 0 if path == "/insensitive" else 1

    monkeypatch.setattr(os, "pathconf", pathconf)
    assert profile._case_sensitive("/insensitive") is False
    assert profile._case_sensitive("/sensitive") is True
    assert asked == [("/insensitive", 11), ("/sensitive", 11)]  # _PC_CASE_SENSITIVE

    def refused(path: str, name: int) -> int:
        raise OSError(22, "Invalid argument")

    monkeypatch.setattr(os, "pathconf", refused)
    assert profile._case_sensitive("/unknown") is False  # APFS's default


@only_on("linux", "answers F_GETPATH from Linux's /proc/self/fd")
def test_f_getpath_is_asked_of_the_open_folder_and_its_answer_read_up_to_the_nul(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The real folder is opened for real; F_GETPATH is answered from the open descriptor as
    # macOS would (Linux knows it as /proc/self/fd), in a buffer padded with NULs.
    import fcntl  # POSIX only: imported here so the module loads on Windows too
    folder = tmp_path / NFC_NAME
    folder.mkdir()
    calls: list[tuple[int, int, int]] = []

    def fake_fcntl(fd: int, command: int, buffer: bytes) -> bytes:
        calls.append((fd, command, len(buffer)))
        spelled = os.fsencode(os.readlink(f"/proc/self/fd/{fd}"))
        return spelled + b"\0" * (len(buffer) - len(spelled))

    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(fcntl, "F_GETPATH", F_GETPATH, raising=False)
    monkeypatch.setattr(fcntl, "fcntl", fake_fcntl)
    assert profile._on_disk_path(str(folder)) == str(folder)
    assert calls[0][1:] == (F_GETPATH, 1024)
    with pytest.raises(OSError, match="Bad file descriptor"):
        os.fstat(calls[0][0])  # the folder was closed again
    assert profile._on_disk_path(str(tmp_path / "missing")) is None
    assert len(calls) == 1


@not_on("darwin", "F_GETPATH is what macOS answers")
def test_f_getpath_is_only_asked_on_macos(tmp_path: Path) -> None:
    assert profile._on_disk_path(str(tmp_path)) is None


@only_on("darwin", "asks a real macOS volume")
def test_on_a_real_mac_both_spellings_give_the_folder_as_the_volume_keeps_it(
        tmp_path: Path) -> None:
    folder = tmp_path / "Agent"
    folder.mkdir()
    if profile._case_sensitive(str(tmp_path)):
        pytest.skip("this Mac's volume is case-sensitive: two spellings are two folders")
    assert profile_key(tmp_path / "agent") == profile_key(folder)
    assert profile_key(folder).endswith("/Agent")
    assert server_name(tmp_path / "AGENT") == server_name(folder)


def test_on_windows_the_case_is_folded_by_normcase(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(os.path, "normcase", lambda path: path.lower())  # ntpath's rule
    assert profile_key(tmp_path / "Agent") == profile_key(tmp_path / "AGENT")
    assert profile_key(tmp_path / "Agent") == str(tmp_path / "agent").lower()
