"""The profile's salt is the pipe name's secret and the hello's key: only its owner may read
it (issue 13, review 13-win F5)."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from app.sources import windows_api
from app.sources.socket_address import SALT_FILE_NAME, profile_salt

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")


@posix_only
def test_the_salt_is_made_readable_only_by_its_owner(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask: a plain write would make it 0644
    try:
        profile_salt(tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / SALT_FILE_NAME).st_mode) == 0o600


@posix_only
def test_a_salt_others_could_read_is_replaced(tmp_path: Path) -> None:
    salt = profile_salt(tmp_path)
    os.chmod(tmp_path / SALT_FILE_NAME, 0o644)
    new = profile_salt(tmp_path)
    assert new != salt  # what others may have read is no secret any more
    assert stat.S_IMODE(os.stat(tmp_path / SALT_FILE_NAME).st_mode) == 0o600
    assert profile_salt(tmp_path) == new  # and the new one stays


def test_on_windows_the_new_salt_gets_an_owner_only_dacl(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    protected: list[Path] = []
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(windows_api, "protect_owner_only",
                        lambda path: protected.append(Path(path)) or True)
    profile_salt(tmp_path)
    [aside] = protected  # before it takes its place: it is never readable by others
    assert aside.parent == tmp_path
    assert aside.name != SALT_FILE_NAME
    profile_salt(tmp_path)
    assert len(protected) == 1  # an existing salt is read, not re-protected
