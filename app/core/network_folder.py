"""Is the profile on a network file system? Then SQLite must not use WAL there.

WAL keeps its index in shared memory next to the database, which a file server cannot share
between computers (SQLite's documentation: "WAL does not work over a network filesystem"),
so a profile on a share gets the rollback journal instead (``app.services.store``), and the
agent is told once what IT should change.

What counts as the network, per system:

* Windows: a UNC path (``\\\\server\\share\\…``, also the ``\\\\?\\UNC\\`` long form), or a drive
  letter Windows reports as ``DRIVE_REMOTE`` (a mapped drive). Folder redirection of AppData
  points ``%APPDATA%`` at one of those two, so a redirected default profile is caught too.
* Linux: the file-system type of the mount holding the folder (``/proc/self/mountinfo``).
* macOS: the ``statfs`` file-system type name (``smbfs``, ``nfs``, ``afpfs``, ``webdav``).

Each OS call is one small function (``_windows_drive_type``, ``_linux_mount_table``,
``_macos_fs_type``) that does nothing on another OS, so the logic runs for real everywhere and
the tests replace only those. No Qt here.
"""

from __future__ import annotations

import ntpath
import os
import sys
from pathlib import Path

DRIVE_REMOTE = 4  # GetDriveTypeW: "the drive is a remote (network) drive"
# File-system type names of network file systems, as mountinfo (Linux) and statfs (macOS)
# spell them.
NETWORK_FS_TYPES = frozenset({
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "afpfs", "webdav", "davfs", "ncpfs", "afs",
    "ceph", "glusterfs", "lustre", "gpfs", "fuse.sshfs", "fuse.glusterfs", "fuse.cephfs",
    "fuse.davfs", "fuse.rclone",
})
_LONG_PREFIXES = ("\\\\?\\", "\\\\.\\", "//?/", "//./")
_MOUNTINFO = "/proc/self/mountinfo"


def network_location(folder: Path, *, platform: str | None = None) -> str | None:
    """None when ``folder`` is on this computer's own disks (or nothing says otherwise);
    else where it is, in words for the agent ("the network share \\\\srv\\home")."""
    system = platform or sys.platform
    if system == "win32":
        return _windows_location(str(folder)) or _windows_location(_real_path(folder))
    if system == "darwin":
        fs_type = _macos_fs_type(str(folder))
    else:
        fs_type = linux_fs_type(_real_path(folder), _linux_mount_table())
    if fs_type in NETWORK_FS_TYPES:
        return f"a network file system ({fs_type})"
    return None


def network_profile_notice(folder: Path, location: str, *, platform: str | None = None,
                           wal_left: Path | None = None) -> str:
    """The one notice for the agent and the log: what was found, what it costs, what IT
    should change. ``wal_left``: the -wal file SQLite could not remove, so the mode safe on a
    network folder is not running yet."""
    if (platform or sys.platform) == "win32":
        change = ("IT: exclude AppData\\Roaming\\DeepCall Screen-Pop from folder redirection, "
                  "or start Screen-Pop with --profile and a folder on this computer (for "
                  "example %LOCALAPPDATA%\\DeepCall Screen-Pop).")
    else:
        change = ("IT: start Screen-Pop with --profile and a folder on this computer's own "
                  "disk.")
    if wal_left is not None:
        return (f"Screen-Pop's profile folder {folder} is on {location}. Screen-Pop works, but "
                "could not switch its history and unsent notes to the mode that is safe on a "
                f"network folder: {wal_left} could not be removed (another program, such as a "
                "virus scanner, may hold it open). Until it is gone, do not open this profile "
                f"on two computers. {change}")
    return (f"Screen-Pop's profile folder {folder} is on {location}. Screen-Pop works, but "
            "keeps its history and unsent notes there in a slower mode that is safe on a "
            f"network folder. {change}")


def _windows_location(path: str) -> str | None:
    for prefix in _LONG_PREFIXES:
        if path.startswith(prefix):
            rest = path[len(prefix):]
            if rest[:4].upper() in ("UNC\\", "UNC/"):
                return _share_words("\\\\" + rest[4:])
            path = rest  # \\?\C:\... is a local path written long
            break
    drive, _rest = ntpath.splitdrive(path)
    if drive.startswith(("\\\\", "//")):
        return _share_words(path)
    letter = drive.upper()
    if len(letter) == 2 and letter[1] == ":" and _windows_drive_type(letter + "\\") == DRIVE_REMOTE:
        return f"the network drive {letter}"
    return None


def _share_words(unc_path: str) -> str:
    share, _rest = ntpath.splitdrive(unc_path.replace("/", "\\"))
    return f"the network share {share}"


def linux_fs_type(path: str, mount_table: str) -> str | None:
    """The type of the mount holding ``path`` (absolute, links resolved): the longest mount
    point that contains it, as ``/proc/self/mountinfo`` lists them (the last one wins when
    one is mounted over another)."""
    best: tuple[int, str] | None = None
    for line in mount_table.splitlines():
        fields, sep, after = line.partition(" - ")
        parts = fields.split()
        if not sep or len(parts) < 5 or not after.split():
            continue
        mount_point = _unescape(parts[4])
        if _contains(mount_point, path) and (best is None or len(mount_point) >= best[0]):
            best = (len(mount_point), after.split()[0])
    return best[1] if best else None


def _contains(mount_point: str, path: str) -> bool:
    return mount_point == "/" or path == mount_point or path.startswith(mount_point + "/")


def _unescape(field: str) -> str:
    # mountinfo writes a space, tab, newline and backslash in a path as \040, \011, \012, \134.
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def _real_path(folder: Path) -> str:
    return os.path.realpath(folder)


# --- the OS calls: each does nothing on another OS ---

def _windows_drive_type(root: str) -> int:
    """GetDriveTypeW for ``root`` ("Z:\\"); 0 (DRIVE_UNKNOWN) off Windows."""
    if sys.platform != "win32":
        return 0
    import ctypes

    return int(ctypes.windll.kernel32.GetDriveTypeW(root))


def _linux_mount_table() -> str:
    try:
        with open(_MOUNTINFO, encoding="utf-8", errors="surrogateescape") as table:
            return table.read()
    except OSError:  # no /proc (a container without it, another OS): nothing known
        return ""


def _macos_fs_type(path: str) -> str | None:
    """``statfs(path).f_fstypename`` ("apfs", "smbfs"…); None off macOS or on an error."""
    if sys.platform != "darwin":
        return None
    import ctypes

    class StatFs(ctypes.Structure):  # <sys/mount.h>, the 64-bit-inode layout (arm64's only)
        _fields_ = [("f_bsize", ctypes.c_uint32), ("f_iosize", ctypes.c_int32),
                    ("f_counts", ctypes.c_uint64 * 5), ("f_fsid", ctypes.c_int32 * 2),
                    ("f_owner", ctypes.c_uint32), ("f_type", ctypes.c_uint32),
                    ("f_flags", ctypes.c_uint32), ("f_fssubtype", ctypes.c_uint32),
                    ("f_fstypename", ctypes.c_char * 16)]

    libc = ctypes.CDLL(None, use_errno=True)
    try:  # Intel Macs: the 64-bit-inode variant has its own name; Apple silicon has only it
        statfs = libc["statfs$INODE64"]
    except AttributeError:
        statfs = libc.statfs
    buffer = ctypes.create_string_buffer(4096)  # the whole struct is 2168 bytes: room to spare
    if statfs(os.fsencode(path), buffer) != 0:
        return None
    name = StatFs.from_buffer(buffer).f_fstypename
    return bytes(name).decode("ascii", "replace") or None
