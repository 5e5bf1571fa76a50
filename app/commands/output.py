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
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def give_streams_to_a_windowed_app() -> None:
    """A windowed build (Windows ``screenpop.exe``) has no stdout/stderr at all: None.

    Each missing stream becomes the null device, so print(), argparse's help and errors,
    a flush, a logging handler or faulthandler write into nothing instead of raising.
    """
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            with contextlib.suppress(OSError):
                setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115


def write_stdout(text: str) -> OSError | None:
    """Write and flush ``text``; None once written, else why not (stdout is then dropped).

    A ``BrokenPipeError`` means the reader left; anything else means the output is lost.
    A windowed build has no stdout at all (None): there is nobody to tell, nothing failed.
    """
    if sys.stdout is None:
        return None
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as exc:
        drop_stdout()
        return exc
    return None


def print_stderr(text: str) -> None:
    """``text`` and a newline on stderr, if anyone can read it.

    stderr on the same full disk or closed pipe as stdout (``>/dev/full 2>&1``) must not turn
    a command's exit code into 1: the message is lost, the code still says what happened.
    """
    if sys.stderr is None:
        return
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
