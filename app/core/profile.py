"""Where a profile lives: settings, local database and logs of one agent setup.

``--profile DIR`` overrides it (tests and side-by-side runs); otherwise the platform's usual
per-user data folder. No Qt here, so headless commands can find the profile too.

Every command that writes in the profile gets it from :func:`resolve_profile_dir`, which checks
once, before anything else runs, that the folder can hold the app's files (``pop`` and
``state`` first ask a running app, which needs no write, and check only when none answers):
a read-only, full or missing folder is then reported in plain words (``ProfileUnusable``,
exit 7 from ``app.cli``) instead of surfacing later as a "does not answer", a lost lock or
a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sys
import tempfile
import unicodedata
from collections.abc import Iterable
from pathlib import Path

APP_DIR_NAME = "DeepCall Screen-Pop"
# Beside the agent's own profile, never inside it: the demo wipes its folder at each start.
DEMO_DIR_SUFFIX = " (demo)"
# What the demo window suggests trying: a pop from a terminal that reaches the demo app.
DEMO_TRY_COMMAND = "screenpop pop --demo 9876543210"
EXIT_PROFILE_UNUSABLE = 7
# What the check writes: about one database page, so a full disk shows here and not later.
_PROBE = b"\0" * 4096
# macOS <sys/unistd.h>: pathconf's "does this volume tell upper from lower case?" (not in
# os.pathconf_names); MAXPATHLEN: the buffer F_GETPATH fills.
_PC_CASE_SENSITIVE = 11
_MAXPATHLEN = 1024


class ProfileUnusable(OSError):
    """The profile folder cannot hold the app's files; the message says why."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"the profile folder cannot be used: {reason}")
        self.path = path
        self.reason = reason


def default_profile_dir() -> Path:
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / APP_DIR_NAME


def demo_profile_dir() -> Path:
    """The one folder ``screenpop --demo`` runs in, so ``pop --demo``/``state --demo`` find it.

    Fixed per user (a temporary folder could not be found by the other commands); the demo
    empties it at each start, so nothing of an earlier demo shows up in the next.
    """
    default = default_profile_dir()
    return default.with_name(default.name + DEMO_DIR_SUFFIX)


def profile_path(override: str | os.PathLike[str] | None) -> Path:
    """The profile folder's path, not yet checked for writing: for commands that only ask a
    running app. A link to nothing in ``override`` is named here, before ``resolve`` would
    follow it to a folder nobody asked for (and that ``mkdir`` would then create)."""
    if not override:
        return default_profile_dir()
    given = Path(override).expanduser().absolute()
    check_no_file_in_the_way(given)
    return given.resolve()


def profile_key(profile_dir: Path) -> str:
    """The profile folder as its file system tells folders apart: one key for every spelling
    of one folder (the local socket's name is made from it, so ``--profile ~/Agent`` and
    ``~/agent`` reach the same app on a Mac, as they share its lock).

    Links are followed everywhere. Windows: ``normcase`` folds the case as NTFS does.
    macOS (APFS, HFS+: case- and normalisation-insensitive by default): the path the
    volume itself keeps for an existing folder (``F_GETPATH``); for a folder not made yet,
    case-folded and NFD on a case-insensitive volume. Linux: the path as it is, since
    ``Agent`` and ``agent`` are two folders there.
    """
    resolved = str(Path(profile_dir).expanduser().resolve())
    if sys.platform == "win32":
        return os.path.normcase(resolved)
    if sys.platform == "darwin":
        return _on_disk_path(resolved) or _macos_folded(resolved)
    return resolved


def _on_disk_path(path: str) -> str | None:
    """macOS: how the volume spells the existing ``path`` (None: it does not exist)."""
    if sys.platform != "darwin":
        return None
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        spelled = fcntl.fcntl(fd, fcntl.F_GETPATH, bytes(_MAXPATHLEN))
    except OSError:
        return None
    finally:
        os.close(fd)
    return os.fsdecode(bytes(spelled).split(b"\0", 1)[0]) or None


def _macos_folded(path: str) -> str:
    """A folder not made yet: folded as the volume that will hold it compares names."""
    nearest = next((part for part in Path(path).parents if part.exists()), Path("/"))
    if _case_sensitive(str(nearest)):
        return unicodedata.normalize("NFD", path)
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", path).casefold())


def _case_sensitive(path: str) -> bool:
    try:
        return bool(os.pathconf(path, _PC_CASE_SENSITIVE))
    except (OSError, ValueError):
        return False  # the Mac's default volume format


def resolve_profile_dir(override: str | os.PathLike[str] | None) -> Path:
    """The profile folder, created with owner-only permissions (it holds call history)."""
    path = profile_path(override)
    check_usable(path)
    return path


def empty_profile(path: Path, keep: Iterable[Path]) -> None:
    """Delete what is in the folder ``path`` except ``keep`` (and the folders holding it).

    Never leaves ``path``: a link in it is removed as a link, never followed. What cannot be
    deleted (a file another program holds open on Windows) stays: the demo starts anyway.
    """
    kept = {Path(os.path.abspath(k)) for k in keep}
    holding = {parent for k in kept for parent in k.parents}
    for entry in list(path.iterdir()):
        entry = Path(os.path.abspath(entry))
        if entry in kept:
            continue
        if entry in holding and entry.is_dir() and not entry.is_symlink():
            empty_profile(entry, kept)
        elif entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink()


def check_no_file_in_the_way(path: Path) -> None:
    """ProfileUnusable if ``path``, or the nearest part of it that exists, is not a folder.

    Only looks (writes nothing), and names the part that is in the way: ``mkdir`` would only
    say "exists" (Windows) or "not a directory" without saying which part.
    """
    blocked: OSError | None = None
    for part in (path, *path.parents):
        try:
            is_dir = part.is_dir()
        except OSError as exc:  # a folder above cannot be entered: the nearest one that
            blocked = blocked or exc  # can be seen is named below
            continue
        if is_dir and blocked is not None:
            where = "" if part == path else f" (in the path of {path})"
            raise ProfileUnusable(path, f"{part} cannot be opened ({_why(blocked)}){where}")
        if is_dir:
            return
        if part.is_symlink() and not part.exists():
            raise ProfileUnusable(path, f"{part} is a link to something that does not exist")
        if part.exists():
            if part.is_dir():
                return  # created meanwhile (another start on a cold machine): no file
            where = "" if part == path else f" (in the path of {path})"
            raise ProfileUnusable(path, f"{part} is a file, not a folder{where}")


def check_usable(path: Path) -> None:
    """Create ``path`` if needed and prove a file can be written in it; ProfileUnusable if not."""
    check_no_file_in_the_way(path)
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except FileExistsError:  # appeared meanwhile
        raise ProfileUnusable(path, f"{path} is a file, not a folder") from None
    except OSError as exc:
        raise ProfileUnusable(path, f"{path} cannot be created ({_why(exc)})") from None
    if not path.is_dir():
        raise ProfileUnusable(path, f"{path} is not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-check-", dir=path)
        try:
            _write_probe(fd)
        finally:  # even when closing failed (a network disk reports a full disk there)
            os.unlink(probe)
    except OSError as exc:
        raise ProfileUnusable(path, f"nothing can be written in {path} ({_why(exc)})") from None


def _write_probe(fd: int) -> None:
    try:
        os.write(fd, _PROBE)
    finally:
        os.close(fd)


def _why(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied for this user"
    if exc.errno == errno.EROFS:
        return "the disk is read-only"
    if exc.errno == errno.ENOTDIR:
        return "a part of the path is a file, not a folder"
    return exc.strerror or str(exc)
