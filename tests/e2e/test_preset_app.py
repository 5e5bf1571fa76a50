"""The IT preset in real processes: the app that ``screenpop pop`` starts finds its account in
the preset named by SCREENPOP_PRESET (nothing in the agent's profile) and the pop reaches the
sandbox through the preset's brand URL; ``--brand`` for one run wins over it and says so.
The real app on Xvfb; every command in another process, as a softphone runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.sandbox.accounts import DEMO_TOKEN, DEMO_USER_ID
from app.sandbox.seed import DEMO_KNOWN_NUMBER
from app.sandbox.server import SandboxServer
from app.services.credentials import TOKEN_ENV
from app.services.preset import PRESET_ENV
from app.sources.single_instance import LOCK_FILE_NAME
from tests.e2e.real_app import REPO, real_app
from tests.tools.other_process import end_detached, poll_until

pytestmark = [pytest.mark.xvfb,
              pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and sockets")]

KNOWN = "+" + DEMO_KNOWN_NUMBER
KNOWN_NAME = "Aarav Mehta"


def write_preset(tmp_path: Path, brand_url: str) -> Path:
    folder = tmp_path / "it"
    folder.mkdir()
    path = folder / "preset.ini"
    path.write_text(f"; what IT rolls out\n[General]\nbrand_url={brand_url}\nauth_mode=token\n"
                    f"user_id={DEMO_USER_ID}\ndefault_region=IN\n", encoding="utf-8")
    return path


@pytest.fixture
def env(x_display: str, tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "DISPLAY": x_display, "QT_QPA_PLATFORM": "xcb",
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "SCREENPOP_NO_START_FAILURE_WINDOW": "1"}
    for name in ("DEEPCALL_SSID", "DEEPCALL_USER_ID", "DEEPCALL_BRAND_URL",
                 "SCREENPOP_SCREENSHOT_DIR"):
        env.pop(name, None)
    env[TOKEN_ENV] = DEMO_TOKEN  # each agent's own secret: never in the preset
    return env


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Path]:
    """The agent's profile, empty: the account can only come from the preset. Whatever a
    ``pop`` started there (detached) ends with the test."""
    folder = tmp_path / "profile"
    yield folder
    lock = folder / LOCK_FILE_NAME
    if lock.exists():
        end_detached(int(lock.read_text().split()[0]), 20, [folder / "logs" / "launch.log"])


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "app", *args], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert "Traceback" not in result.stderr, result.stderr
    assert DEMO_TOKEN not in result.stdout + result.stderr
    return result


def shown(env: dict[str, str], profile: Path, number: str) -> dict[str, Any]:
    last: list[str] = []

    def found() -> dict[str, Any] | None:
        result = cli(env, "state", "--profile", str(profile), "--timeout", "3")
        last[:] = [result.stdout + result.stderr]
        if result.returncode != 0:
            return None
        state = json.loads(result.stdout)
        return state if state.get("number") == number and state.get("status") in (
            "found", "error") else None
    try:
        return poll_until(found, 40, f"the app to show {number}")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last state: {last}") from None


def test_a_pop_reaches_the_sandbox_through_the_presets_brand(
        env: dict[str, str], profile: Path, tmp_path: Path, sandbox: SandboxServer) -> None:
    preset = write_preset(tmp_path, sandbox.base_url)
    env[PRESET_ENV] = str(preset)
    popped = cli(env, "pop", KNOWN, "--profile", str(profile))  # nothing runs: it starts one
    assert popped.returncode == 0, popped.stderr
    state = shown(env, profile, KNOWN)
    assert state["status"] == "found", state
    assert KNOWN_NAME in json.dumps(state)
    # Nothing of the preset was copied into the agent's settings: it stays IT's.
    settings_ini = profile / "settings.ini"
    assert not settings_ini.exists() or sandbox.base_url not in settings_ini.read_text()


def test_brand_for_one_run_wins_over_the_preset_and_says_so(
        env: dict[str, str], profile: Path, tmp_path: Path, sandbox: SandboxServer) -> None:
    nobody = "http://127.0.0.1:9"  # the preset's address: nothing listens there
    preset = write_preset(tmp_path, nobody)
    env[PRESET_ENV] = str(preset)
    output = tmp_path / "app-output.txt"
    with real_app(profile, env, output, start=("-m", "app", "--brand", sandbox.base_url)):
        popped = cli(env, "pop", KNOWN, "--no-start", "--profile", str(profile))
        assert popped.returncode == 0, popped.stderr
        state = shown(env, profile, KNOWN)
        assert state["status"] == "found", state
    said = (f"this run uses the DeepCall address {sandbox.base_url} from --brand instead of "
            f"the address set by your IT department in {preset}; it is not saved.")
    assert said in output.read_text(encoding="utf-8")  # stderr
    assert said in (profile / "logs" / "screenpop.log").read_text(encoding="utf-8")
