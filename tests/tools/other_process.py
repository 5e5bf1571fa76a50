"""Another process (the real app, a child helper): wait on what it shows, end it cleanly.

Within the test process, wait on signals and conditions (tests/fixtures/qt_async.py); across
processes there is nothing to connect to, so this polls with a deadline and a growing pause.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
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
