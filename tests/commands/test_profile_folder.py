"""A profile folder the app cannot use (read-only, not a folder, full) is named as such, at
once, with exit 7, by every command that uses the profile.

Root ignores file permissions, and CI runs as root: the commands then run with every
capability dropped (``setpriv``), which subjects even root to the folder's mode bits. A plain
user (``nobody``) would not do here: the interpreter may live under ``/root`` (mode 0700).
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core import profile as profile_module
from app.core.profile import ProfileUnusable, check_usable
from tests.platforms import not_on
from tests.sources.processes import REPO, harness

NUMBER = "+918302390884"
POSIX_MODES = pytest.mark.skipif(sys.platform == "win32",
                                 reason="a folder's write permission is a POSIX mode bit")
# Windows keeps the lock in local app data: tests/sources/test_single_instance_roaming.py.
LOCK_IN_PROFILE = not_on("win32", "the lock file is in the profile only on macOS and Linux")
# Each command that uses the profile, as a softphone or a script runs it. ``pop`` checks the
# folder before it would start the app; --no-start keeps a regression from leaving an app
# running detached after the test.
COMMANDS = {"screenpop": [], "pop": ["pop", NUMBER, "--no-start"], "state": ["state"]}
# lookup only reads the profile: what is in the way is named, a read-only folder is fine.
LOOKUP = ["lookup", NUMBER, "--brand", "http://127.0.0.1:9"]


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _without_privileges() -> list[str]:
    """The prefix that runs a command without root's power over file permissions."""
    if not _is_root():
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv (util-linux): root ignores chmod, so a "
                    "read-only folder cannot be shown")
    prefix = [setpriv, "--inh-caps=-all", "--bounding-set=-all"]
    if subprocess.run([*prefix, "true"], check=False, capture_output=True).returncode != 0:
        pytest.skip("running as root and setpriv cannot drop capabilities here")
    return prefix


def _prefix(command: str) -> str:
    """How each command names itself in its messages."""
    return "screenpop" if command == "screenpop" else f"screenpop {command}"


def _run(profile: Path, command: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [*_without_privileges(), sys.executable, "-m", "app", *COMMANDS[command],
         "--profile", str(profile)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    yield folder
    folder.chmod(0o700)  # so pytest can clean up


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "a-file"
    path.write_text("not a folder")
    return path


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize(("case", "reason"), [
    pytest.param("read-only", "nothing can be written in {p} (permission denied for this user)",
                 id="read-only", marks=POSIX_MODES),
    pytest.param("inside read-only", "{p} cannot be created (permission denied for this user)",
                 id="inside-read-only", marks=POSIX_MODES),
    pytest.param("is a file", "{p} is a file, not a folder", id="a-file"),
    pytest.param("parent is a file", "{p.parent} is a file, not a folder (in the path of {p})",
                 id="parent-a-file"),
])
def test_an_unusable_profile_folder_is_named_at_once_with_exit_7(
        tmp_path: Path, read_only: Path, command: str, case: str, reason: str) -> None:
    profile = {"read-only": read_only, "inside read-only": read_only / "profile",
               "is a file": _file(tmp_path),
               "parent is a file": _file(tmp_path) / "profile"}[case]
    result = _run(profile, command)
    assert result.returncode == 7, result.stderr
    assert result.stderr.strip() == (
        f"{_prefix(command)}: the profile folder cannot be used: {reason.format(p=profile)}.")
    assert result.stdout == ""
    assert not (read_only / "profile").exists()


@POSIX_MODES
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_profile_behind_a_folder_that_cannot_be_entered_is_named_with_exit_7(
        tmp_path: Path, command: str) -> None:
    locked = tmp_path / "locked"
    (locked / "inner").mkdir(parents=True)
    locked.chmod(0o000)
    profile = locked / "inner" / "profile"
    try:
        result = _run(profile, command)
    finally:
        locked.chmod(0o700)  # so pytest can clean up
    assert result.returncode == 7, result.stderr
    assert result.stderr.strip() == (
        f"{_prefix(command)}: the profile folder cannot be used: {locked} cannot be opened "
        f"(permission denied for this user) (in the path of {profile}).")


def test_a_full_disk_is_named_as_such(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A full disk cannot be made without mounting one (not possible everywhere): the one write
    # the check makes fails as a full disk makes it fail (only the check's own writer is
    # replaced, not os.write for the whole process).
    def disk_full(fd: int) -> None:
        os.close(fd)  # as a network disk does: the full disk shows when closing
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as patch:
        patch.setattr(profile_module, "_write_probe", disk_full)
        with pytest.raises(ProfileUnusable) as raised:
            check_usable(tmp_path)
    assert str(raised.value) == (f"the profile folder cannot be used: nothing can be written "
                                 f"in {tmp_path} (the disk is full)")
    assert list(tmp_path.iterdir()) == []  # the probe does not stay behind


def _fill(path: Path) -> None:
    """Write to ``path`` until the disk is full."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
    finally:
        os.close(fd)


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A profile folder on a tiny tmpfs filled to the last byte (needs root and mount)."""
    mount_point = tmp_path / "tiny-disk"
    mount_point.mkdir()
    mount = shutil.which("mount")
    if not _is_root() or mount is None or subprocess.run(
            [mount, "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(mount_point)],
            check=False, capture_output=True).returncode != 0:
        pytest.skip("a full disk needs a tmpfs mount (root with mount rights); the unit test "
                    "with an injected ENOSPC covers the message")
    try:
        profile = mount_point / "profile"
        profile.mkdir()
        _fill(mount_point / "filler")
        yield profile
    finally:
        # lazy: a process the test started may still hold a file there; it goes when that ends
        subprocess.run(["umount", "--lazy", str(mount_point)], check=True)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_profile_on_a_full_disk_is_named_at_once_with_exit_7(full_disk: Path,
                                                              command: str) -> None:
    result = _run(full_disk, command)
    assert result.returncode == 7, result.stderr
    assert result.stderr.strip() == (f"{_prefix(command)}: the profile folder cannot be used: "
                                     f"nothing can be written in {full_disk} (the disk is full).")


@POSIX_MODES
def test_a_running_app_still_pops_when_its_folder_became_read_only(tmp_path: Path) -> None:
    # The app started fine; later the folder cannot be written (a full disk, a remount): the
    # running app can still pop, so pop and state must ask it rather than check the folder.
    profile = tmp_path / "profile"
    profile.mkdir()
    running = harness(profile)
    try:
        running.expect("LISTENING")
        profile.chmod(0o500)
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        for args in (["pop", NUMBER, "--no-start"], ["state"], ["state", "--address"]):
            result = subprocess.run(
                [*_without_privileges(), sys.executable, "-m", "app", *args,
                 "--profile", str(profile)],
                cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False)
            assert result.returncode == 0, (args, result.stderr)
        assert NUMBER in running.expect("POP")
    finally:
        profile.chmod(0o700)
        running.stop()


@POSIX_MODES
def test_pop_names_a_read_only_folder_when_no_app_answers(read_only: Path) -> None:
    result = _run(read_only, "pop")
    assert result.returncode == 7, result.stderr
    assert "nothing can be written in" in result.stderr


def test_a_link_to_nothing_is_named_as_such(tmp_path: Path) -> None:
    link = tmp_path / "profile"
    link.symlink_to(tmp_path / "gone")
    with pytest.raises(ProfileUnusable) as raised:
        check_usable(link / "inner")
    assert raised.value.reason == f"{link} is a link to something that does not exist"


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("below", ["", "inner"])
def test_every_command_names_a_profile_link_to_nothing(
        tmp_path: Path, command: str, below: str) -> None:
    # resolve() would follow the link to a folder nobody asked for, and mkdir create it there.
    link = tmp_path / "profile"
    link.symlink_to(tmp_path / "gone")
    result = _run(link / below if below else link, command)
    assert result.returncode == 7, result.stderr
    assert f"{link} is a link to something that does not exist" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "gone").exists()


@POSIX_MODES
@LOCK_IN_PROFILE
def test_a_lock_file_left_by_another_user_is_named_not_waited_on(tmp_path: Path) -> None:
    # A run with sudo left a lock file this user cannot read: no instance can be told from
    # it, so the app says so at once instead of waiting for an instance to answer.
    profile = tmp_path / "profile"
    profile.mkdir()
    lock = profile / "screenpop.lock"
    lock.write_text("999999\nscreenpop\nother-host\n")
    lock.chmod(0o000)
    result = _run(profile, "screenpop")
    assert result.returncode == 7, result.stderr
    assert result.stderr.strip() == (
        f"screenpop: the profile folder cannot be used: the lock file {lock} cannot be read "
        "or replaced by this user (left by a run as another user, e.g. with sudo?); if no "
        "Screen-Pop is running as another user (check with ps), remove it and start again.")


@LOCK_IN_PROFILE
def test_a_lock_file_written_on_another_computer_is_named_not_waited_on(
        tmp_path: Path) -> None:
    # A renamed computer, a copied profile, a roaming home folder: the lock names a host
    # where its PID cannot be checked, so Qt never calls it stale and every start used to
    # wait 15 s for an answer, then say "already running".
    profile = tmp_path / "profile"
    profile.mkdir()
    lock = profile / "screenpop.lock"
    lock.write_text("999999\nscreenpop\nanother-computer.example\n")
    result = _run(profile, "screenpop")
    assert result.returncode == 7, result.stderr
    assert result.stderr.strip() == (
        f"screenpop: the profile folder cannot be used: the lock file {lock} was written by "
        "Screen-Pop on another computer (another-computer.example); if Screen-Pop does not "
        "run there with this profile, remove the lock file and start again.")
    assert lock.exists()  # never removed behind the user's back


@pytest.mark.parametrize("case", ["is a file", "parent is a file", "link to nothing"])
def test_lookup_names_what_is_in_the_way_of_its_profile_with_exit_7(
        tmp_path: Path, case: str) -> None:
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "gone")
    profile, reason = {
        "is a file": (_file(tmp_path), "{p} is a file, not a folder"),
        "parent is a file": (_file(tmp_path) / "profile",
                             "{p.parent} is a file, not a folder (in the path of {p})"),
        "link to nothing": (link, "{p} is a link to something that does not exist")}[case]
    env = {**os.environ, "DEEPCALL_TOKEN": "sbx-not-a-real-token"}
    result = subprocess.run([sys.executable, "-m", "app", *LOOKUP, "--profile", str(profile)],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 7, result.stderr
    assert result.stderr.strip() == (
        f"screenpop lookup: the profile folder cannot be used: {reason.format(p=profile)}.")


def test_a_folder_another_start_creates_meanwhile_is_no_file_in_the_way(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two softphone hooks start the app at once on a cold machine: between this start's
    # look ("no folder yet") and its next look, the other start creates the folder.
    profile = tmp_path / "cold profile"
    real_is_dir = Path.is_dir

    def is_dir_then_created(self: Path) -> bool:
        answer = real_is_dir(self)
        if self == profile and not answer:
            self.mkdir()  # the other start, just after this look
        return answer

    monkeypatch.setattr(Path, "is_dir", is_dir_then_created)
    check_usable(profile)  # not "is a file, not a folder"
    assert real_is_dir(profile)
