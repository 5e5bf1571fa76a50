"""The helper that ends a detached app: when the app does not end, the failure says why."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.platforms import only_on, posix_only
from tests.tools import other_process
from tests.tools.other_process import PollTimeout, end_detached, gone, poll_until

# The report reads the process's threads from /proc; and only /proc shows our own unreaped
# child as a zombie, which end_detached must take for gone.
on_linux = only_on("linux", "reads the process's threads and zombies from /proc")

# Ignores SIGTERM (as a stuck app would), dumps its stacks on SIGUSR1 as the app does.
STUCK = """
import faulthandler, signal, sys
signal.signal(signal.SIGTERM, signal.SIG_IGN)
faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True)
print("ready", file=sys.stderr, flush=True)
def stuck_in_here():
    while True:
        signal.pause()
stuck_in_here()
"""


@on_linux
def test_an_app_that_ignores_sigterm_fails_with_its_stacks_and_is_killed(
        tmp_path: Path) -> None:
    log = tmp_path / "launch.log"
    with log.open("wb") as out:
        child = subprocess.Popen([sys.executable, "-c", STUCK], stdin=subprocess.DEVNULL,
                                 stdout=out, stderr=out)
    try:
        poll_until(lambda: "ready" in log.read_text(), 30, "the child to start")
        with pytest.raises(PollTimeout) as failure:
            end_detached(child.pid, 1, [log, tmp_path / "missing.log"])
        report = str(failure.value)
        assert "the app to end on SIGTERM" in report
        assert "State:" in report  # /proc: its status and its threads' kernel waits
        assert "wchan=" in report
        assert "stuck_in_here" in report  # the Python stack it dumped
        assert child.wait(10) == -9  # killed, so nothing outlives the test
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


@on_linux
def test_an_app_that_ends_on_sigterm_passes(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "import signal; signal.pause()"])
    try:
        end_detached(child.pid, 30, [])
        child.wait(10)  # reaped here: gone() took its zombie for gone already
        assert gone(child.pid)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


@posix_only("os.kill(pid, 0)")
def test_without_proc_a_process_is_asked_whether_it_is_there(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # macOS has no /proc: signal 0 tells a live process from an exited (reaped) one.
    monkeypatch.setattr(other_process, "PROC", tmp_path / "no proc here")
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                             stdin=subprocess.PIPE)
    try:
        assert not gone(child.pid)
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(10)
    assert gone(child.pid)

    def not_ours(_pid: int, _signal: int) -> None:  # another user's process, as non-root
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(other_process.os, "kill", not_ours)
    assert not gone(1)
