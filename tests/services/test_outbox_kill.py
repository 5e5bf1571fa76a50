"""Kill-safety with real processes (review of issue 10, finding 1): an app SIGKILLed after
the durable ``sending`` mark and before the request, or after DeepCall's yes and before the
outbox row was deleted, never sends the note again at the next start: it is held for the
agent, and the note is in DeepCall at most once."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.sandbox.server import SandboxServer
from app.services.outbox import INTERRUPTED
from tests.fixtures.qt_async import wait_until
from tests.platforms import posix_only
from tests.services.outbox_parts import KNOWN, outbox_parts

pytestmark = posix_only("SIGKILL, and select() on a pipe")
ROOT = Path(__file__).resolve().parents[2]


def _run_until_stopped(tmp_path: Path, url: str, text: str, point: str) -> None:
    """Start the child, wait for it to reach ``point``, SIGKILL it there."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.services.outbox_child", str(tmp_path), url, KNOWN,
         text, point], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    try:
        assert child.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(child.stdout, selectors.EVENT_READ)
            ready = selector.select(timeout=60)
        line = child.stdout.readline() if ready else ""
        assert line.strip() == "STOPPED", (line, child.poll(),
                                           child.stderr.read() if child.poll() else "")
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def _notes_added(sandbox: SandboxServer) -> int:
    return sum(1 for r in sandbox.requests() if r.action == "notesAdd")


@pytest.mark.parametrize(("point", "in_deepcall"), [("sending", 0), ("delivered", 1)])
def test_an_app_killed_mid_send_never_sends_the_note_again(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path,
        point: str, in_deepcall: int) -> None:
    text = f"killed at {point}"
    _run_until_stopped(tmp_path, sandbox.base_url, text, point)
    assert _notes_added(sandbox) == in_deepcall

    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:  # the next start
            [held] = parts.outbox.held_items()
            assert (held.payload["content"], held.held) == (text, INTERRUPTED)
            assert parts.outbox.retry_all() == []
            parts.outbox.deepcall_answered()
            await wait_until(lambda: not parts.outbox.busy)
            assert parts.outbox.counts() == (0, 1)

    run_async(scenario())
    assert _notes_added(sandbox) == in_deepcall
    assert sum(1 for n in sandbox.notes(KNOWN[1:]) if n.content == text) == in_deepcall
