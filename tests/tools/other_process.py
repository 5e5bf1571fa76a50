"""Another process (the real app, a child helper): wait on what it shows, end it cleanly.

Within the test process, wait on signals and conditions (tests/fixtures/qt_async.py); across
processes there is nothing to connect to, so this polls with a deadline and a growing pause.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


class PollTimeout(AssertionError):
    """The condition did not hold before the deadline."""


def poll_until(condition: Callable[[], T | None], timeout: float, what: str) -> T:
    """Call ``condition`` until it returns something truthy; that value."""
    deadline = time.monotonic() + timeout
    pause = 0.05
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise PollTimeout(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(pause)  # another process's state: nothing in this one to wait on
        pause = min(pause * 1.5, 0.5)


def stop_app(process: subprocess.Popen[bytes]) -> None:
    """End a child app through its one shutdown path (SIGTERM); kill it if that hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


PROC = Path("/proc")


def gone(pid: int) -> bool:
    """True once ``pid`` has exited (a zombie awaiting its reaper counts as gone, where
    /proc shows it: without /proc, on macOS, only once reaped)."""
    if not PROC.is_dir():
        return _gone_by_signal(pid)
    try:
        status = (PROC / str(pid) / "status").read_text()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return "\nState:\tZ" in status


def _gone_by_signal(pid: int) -> bool:
    """Signal 0 checks that ``pid`` exists without touching it (POSIX; Windows' ``os.kill``
    would end the process, so it is not asked there)."""
    if sys.platform == "win32":
        raise NotImplementedError("os.kill(pid, 0) ends the process on Windows")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # someone else's process: there, just not ours to signal
        return False
    return False


def _tail(path: Path, size: int = 4000) -> str:
    try:
        return path.read_bytes()[-size:].decode("utf-8", "replace")
    except OSError as exc:
        return f"({exc})"


def what_it_is_doing(pid: int, logs: Sequence[Path]) -> str:
    """For a report: ``pid``'s status and its threads' kernel waits (/proc), the Python
    stacks it dumps on SIGUSR1 (the app writes them to stderr), and its logs' tails."""
    parts = [f"/proc/{pid}/status:\n{_tail(Path(f'/proc/{pid}/status'))}"]
    with_names = []
    for task in sorted(Path(f"/proc/{pid}/task").glob("*")):
        with_names.append(f"{task.name} {_tail(task / 'comm').strip()} "
                          f"wchan={_tail(task / 'wchan')} "
                          f"state={_tail(task / 'stat').split(') ')[-1][:1]}")
    parts.append("threads:\n" + "\n".join(with_names))
    sizes = {path: path.stat().st_size if path.exists() else 0 for path in logs}
    try:
        os.kill(pid, signal.SIGUSR1)
        # The dump is written from the signal's C handler: it lands within moments or never.
        poll_until(lambda: any(path.exists() and path.stat().st_size > sizes[path]
                               for path in logs), 5, "the stack dump")
    except (OSError, PollTimeout) as exc:
        parts.append(f"(no stack dump: {exc})")
    parts.extend(f"--- {path} (tail):\n{_tail(path)}" for path in logs)
    return "\n".join(parts)


def end_detached(pid: int, timeout: float, logs: Sequence[Path]) -> None:
    """End an app that is not our child (``pop`` started it detached) with SIGTERM, its one
    shutdown path. If it is still there after ``timeout``: fail with what it was doing (see
    :func:`what_it_is_doing`), after SIGKILL so nothing outlives the test."""
    if gone(pid):
        return
    os.kill(pid, signal.SIGTERM)
    try:
        poll_until(lambda: gone(pid), timeout, "the app to end on SIGTERM")
    except PollTimeout as exc:
        report = what_it_is_doing(pid, logs)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        raise PollTimeout(f"{exc}; what it was doing:\n{report}") from None
