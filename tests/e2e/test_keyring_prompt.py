"""The real app started while the keyring does not answer (its unlock prompt is up): the
window and the local socket answer, a softphone's pop is taken, and the caller shows once the
keyring answers. The keyring is a real backend in the app's process that blocks until the
test opens its gate (tests/tools/slow_keyring.py)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.sandbox.accounts import DEMO_TOKEN, DEMO_USER_ID
from app.sandbox.seed import DEMO_KNOWN_NUMBER
from app.sandbox.server import SandboxServer
from app.services.settings import Settings
from tests.tools.other_process import poll_until, stop_app

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a POSIX FIFO (mkfifo)")

REPO = Path(__file__).resolve().parents[2]
KNOWN = "+" + DEMO_KNOWN_NUMBER


def _open_gate(gate: Path, answer: str) -> bool:
    """Hand the keyring its answer; False while the app has not started reading the gate."""
    try:
        fd = os.open(gate, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # no reader yet
            return False
        raise
    with os.fdopen(fd, "wb") as writer:
        writer.write(answer.encode())
    return True


def test_the_socket_answers_while_the_keyring_read_is_pending(
        tmp_path: Path, sandbox: SandboxServer) -> None:
    profile = tmp_path / "profile"
    settings = Settings(profile)
    settings.set_value("brand_url", sandbox.base_url)
    settings.set_value("user_id", DEMO_USER_ID)
    settings.set_value("auth_mode", "token")
    asked, gate = tmp_path / "asked", tmp_path / "gate"
    os.mkfifo(gate)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEEPCALL_")}
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path), PYTHONUTF8="1",
               PYTHON_KEYRING_BACKEND="tests.tools.slow_keyring.GatedKeyring",
               SLOW_KEYRING_ASKED=str(asked), SLOW_KEYRING_GATE=str(gate))

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "app", *args, "--profile", str(profile)],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=30)

    def state() -> dict[str, Any] | None:
        result = cli("state", "--timeout", "3")
        return json.loads(result.stdout) if result.returncode == 0 else None

    stderr_path = tmp_path / "app.stderr"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "app", "--profile", str(profile)],
                                   cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        poll_until(lambda: process.poll() is not None or asked.exists(), 30,
                   "the app to ask the keyring")
        assert process.poll() is None, stderr_path.read_text(errors="replace")[-3000:]
        assert asked.read_text(encoding="utf-8") == "token"
        # The keyring is still thinking: the app answers anyway, with its window up.
        pending = state()
        assert pending is not None, "`state` got no answer while the keyring read was pending"
        assert pending["window_visible"] is True
        popped = cli("pop", KNOWN, "--no-start")
        assert popped.returncode == 0, popped.stderr
        # Taken, and waiting for the account (not failed as "not set up").
        waiting = poll_until(lambda: (s := state()) and s.get("number") == KNOWN and s, 10,
                             "the pop to be taken")
        assert (waiting["status"], waiting["window_status"]) == ("loading", "loading")
        poll_until(lambda: _open_gate(gate, DEMO_TOKEN), 10, "the keyring to read its gate")
        settled = poll_until(lambda: (s := state()) and s.get("status") == "found" and s,
                             30, "the caller after the keyring answered")
        assert settled["number"] == KNOWN
    finally:
        stop_app(process)
    output = stderr_path.read_text(errors="replace")
    assert "Traceback" not in output
    assert DEMO_TOKEN not in output

