"""Reading a small file someone else may have put in place (a settings file, an IT preset, a
field mapping) without ever hanging or swallowing memory.

``read_small_file`` opens without blocking (a FIFO or a device named as the file would
otherwise wait forever for a writer), then looks at what it opened: only a regular file is
read, and only up to ``limit`` bytes.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

# O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer; O_NOCTTY: a
# terminal named as the file never becomes ours. Neither exists on Windows (no FIFOs in
# the file system there); O_BINARY exists only there.
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_BINARY", 0))


class NotARegularFile(OSError):
    """A folder, a FIFO, a device or a socket where a file was expected."""

    def __init__(self, path: Path) -> None:
        super().__init__(errno.EINVAL, "not a regular file", str(path))


class FileTooLarge(OSError):
    """More than the limit: not the small file it should be."""

    def __init__(self, path: Path) -> None:
        super().__init__(errno.EFBIG, "larger than expected", str(path))


def read_small_file(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at ``path``; OSError (FileNotFoundError,
    ``NotARegularFile``, ``FileTooLarge``...) when it cannot be read as one."""
    descriptor = os.open(path, _OPEN_FLAGS)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise NotARegularFile(path)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(descriptor, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(descriptor)
    if size > limit:
        raise FileTooLarge(path)
    return b"".join(chunks)


def may_exist(path: Path) -> bool:
    """False only when ``path`` is certainly not there; a place this user cannot look at
    (no access, a name too long, a loop of links) may hold something: True, so that reading
    it says plainly what is wrong rather than the file being skipped in silence."""
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return True
    return True
