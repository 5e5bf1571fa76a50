"""Child processes for the source tests: start them, read their stdout lines with timeouts."""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class LineProcess:
    """A child whose stdout lines arrive on a queue, so tests wait on lines, not on sleeps."""

    def __init__(self, args: Sequence[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            list(args), cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})},
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self.stderr_text = ""
        threading.Thread(target=self._pump, daemon=True).start()
        threading.Thread(target=self._pump_stderr, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def _pump_stderr(self) -> None:
        assert self.proc.stderr is not None
        self.stderr_text = self.proc.stderr.read()

    def next_line(self, timeout: float = 15.0) -> str:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no output within {timeout} s; seen {self.seen}") from None
        if line is None:
            self.proc.wait(timeout=10)
            raise AssertionError(f"process ended (rc={self.proc.returncode}) after {self.seen}; "
                                 f"stderr: {self.stderr_text[-2000:]}")
        self.seen.append(line)
        return line

    def expect(self, prefix: str, timeout: float = 15.0) -> str:
        """The next line, which must start with ``prefix``."""
        line = self.next_line(timeout)
        assert line.startswith(prefix), f"expected {prefix!r}, got {line!r}; seen {self.seen}"
        return line[len(prefix):].strip()

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                assert self.proc.stdin is not None
                self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def harness(profile: Path, idle_ms: int = 10_000) -> LineProcess:
    return LineProcess([sys.executable, "-m", "tests.sources.instance_harness", str(profile),
                        str(idle_ms)])


def screenpop_into(fd: int, *args: str) -> int:
    """Run ``screenpop`` with stdout AND stderr on ``fd`` (a full disk, a closed pipe)."""
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=REPO, stdout=fd, stderr=fd,
                          timeout=40, check=False).returncode


def screenpop_into_each_dead_end(*args: str) -> dict[str, int]:
    """The exit code of ``screenpop ARGS`` with all its output lost, for each way of losing it."""
    codes = {}
    if Path("/dev/full").exists():
        with open("/dev/full", "w") as full:
            codes["full disk"] = screenpop_into(full.fileno(), *args)
    read_end, write_end = os.pipe()
    os.close(read_end)  # `screenpop ... 2>&1 | true`: the reader is gone before anything is said
    try:
        codes["closed pipe"] = screenpop_into(write_end, *args)
    finally:
        os.close(write_end)
    return codes


def screenpop(*args: str, timeout: float = 40.0) -> subprocess.CompletedProcess[str]:
    """Run the real ``screenpop`` CLI in another process."""
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout, check=False)
