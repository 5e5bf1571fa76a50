"""Writing a command's result to stdout when the reader may be gone or the disk full.

``screenpop state | head -1`` closes the pipe early (a reader's choice: stay quiet); stdout on a
full disk loses the output (say so on stderr). Neither may end in a traceback, nor in the
interpreter's "Exception ignored" noise when it flushes stdout on exit.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for `cmd | head`
WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EIO, errno.EDQUOT})


def drop_stdout() -> None:
    """Point stdout at devnull, so nothing written later (or flushed on exit) can fail."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def write_stdout(text: str) -> OSError | None:
    """Write and flush ``text``; None once written, else why not (stdout is then dropped).

    A ``BrokenPipeError`` means the reader left; anything else means the output is lost.
    """
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as exc:
        drop_stdout()
        return exc
    return None
