"""The real app started on a profile whose saved DeepCall address is malformed: it runs, takes
pops, and says what is wrong with the address (not "something unexpected"), with no traceback.
(That Settings opens with the reason is tests/ui/test_session.py's, in-process.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.sandbox import accounts
from app.sandbox.seed import DEMO_KNOWN_NUMBER
from tests.tools.other_process import poll_until, stop_app

REPO = Path(__file__).resolve().parents[2]
KNOWN = "+" + DEMO_KNOWN_NUMBER


@pytest.mark.parametrize(("address", "reason"), [
    ("http://[::1", "closing bracket"),
    ("https://v4-api.deepcall.com:99999", "port"),
])
def test_the_app_starts_and_names_the_bad_saved_address(tmp_path: Path, address: str,
                                                        reason: str) -> None:
    profile = tmp_path / "profile"
    profile.mkdir()
    (profile / "settings.ini").write_text(
        f"[General]\nbrand_url={address}\nuser_id={accounts.DEMO_USER_ID}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEEPCALL_")}
    env.update(QT_QPA_PLATFORM="offscreen", DEEPCALL_TOKEN=accounts.DEMO_TOKEN,
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring", HOME=str(tmp_path))

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "app", *args, "--profile", str(profile)],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=30)

    def state() -> dict[str, Any] | None:
        result = cli("state", "--timeout", "2")
        return json.loads(result.stdout) if result.returncode == 0 else None

    stderr_path = tmp_path / "app.stderr"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "app", "--profile", str(profile)],
                                   cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        poll_until(lambda: process.poll() is not None or state(), 30, "the app to answer")
        assert process.poll() is None, stderr_path.read_text(errors="replace")[-3000:]
        popped = cli("pop", KNOWN, "--no-start")
        assert popped.returncode == 0, popped.stderr
        settled = poll_until(lambda: (s := state()) and s.get("status") == "error" and s,
                             20, "the pop to end")
        assert reason in settled["error_message"]
        assert "unexpected" not in settled["error_message"]
    finally:
        stop_app(process)
    output = stderr_path.read_text(errors="replace")
    assert "Traceback" not in output
    assert accounts.DEMO_TOKEN not in output
