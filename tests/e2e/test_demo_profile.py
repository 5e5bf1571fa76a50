"""``screenpop --demo`` has a profile the other commands find (issue 11, demo).

The real app in its own process on Xvfb; every command in another process, as an agent or a
softphone runs them. XDG_CONFIG_HOME points into the test's folder, so "the agent's own
profile" and "the demo's" are both there, side by side, as on a real desktop.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.core.profile import DEMO_TRY_COMMAND
from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_UNKNOWN_NUMBER
from app.sources.single_instance import LOCK_FILE_NAME
from tests.e2e.real_app import REPO
from tests.tools.other_process import end_detached, poll_until, stop_app

pytestmark = [pytest.mark.xvfb,
              pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and sockets")]

KNOWN = "+" + DEMO_KNOWN_NUMBER
UNKNOWN = "+" + DEMO_UNKNOWN_NUMBER
SETTLED = ("found", "unknown", "error")


@pytest.fixture
def env(x_display: str, tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "DISPLAY": x_display, "QT_QPA_PLATFORM": "xcb",
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "SCREENPOP_NO_START_FAILURE_WINDOW": "1"}
    for name in ("DEEPCALL_TOKEN", "DEEPCALL_SSID", "DEEPCALL_USER_ID", "DEEPCALL_BRAND_URL",
                 "SCREENPOP_SCREENSHOT_DIR"):
        env.pop(name, None)
    return env


@pytest.fixture
def demo_dir(tmp_path: Path) -> Path:
    return tmp_path / "config" / "DeepCall Screen-Pop (demo)"


@pytest.fixture
def own_dir(tmp_path: Path) -> Path:
    return tmp_path / "config" / "DeepCall Screen-Pop"


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


def demo_state(env: dict[str, str]) -> dict[str, Any] | None:
    result = cli(env, "state", "--demo", "--timeout", "3")
    if result.returncode != 0:
        return None
    state = json.loads(result.stdout)
    assert isinstance(state, dict)
    return state


def settled_on(env: dict[str, str], number: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        state = demo_state(env)
        return state if state and state.get("number") == number \
            and state.get("status") in SETTLED else None
    return poll_until(done, 30, f"the demo app to show {number}")


@pytest.fixture
def ends_the_started_demo(demo_dir: Path, own_dir: Path) -> Iterator[None]:
    """Whatever ``pop --demo`` started (detached) ends with the test, wherever it went."""
    yield
    for profile in (demo_dir, own_dir):
        lock = profile / LOCK_FILE_NAME
        if lock.exists():
            end_detached(int(lock.read_text().split()[0]), 20, [profile / "logs" / "launch.log"])


@pytest.mark.usefixtures("ends_the_started_demo")
def test_the_windows_hint_starts_the_demo_and_every_command_reaches_it(
        env: dict[str, str], demo_dir: Path, own_dir: Path) -> None:
    command, *args = DEMO_TRY_COMMAND.split()
    assert command == "screenpop"
    popped = cli(env, *args)  # nothing runs yet: it starts `screenpop --demo`
    assert popped.returncode == 0, popped.stderr
    state = settled_on(env, KNOWN)
    assert (state["status"], state["name"]) == ("found", "Aarav Mehta")  # the demo account

    linked = cli(env, "--demo", f"tel:{UNKNOWN}")  # as a tel: handler would run it
    assert linked.returncode == 0, linked.stderr
    assert settled_on(env, UNKNOWN)["status"] == "unknown"
    assert cli(env, "--demo", "9876543210").returncode == 0  # a bare number too
    settled_on(env, KNOWN)

    # A softphone's call hooks with --demo follow the call in the demo app.
    ringing = cli(env, "event", "ringing", "--call-id", "d-1", "--number", UNKNOWN,
                  "--line", "Sales IN", "--demo")
    assert ringing.returncode == 0, ringing.stderr
    state = settled_on(env, UNKNOWN)
    assert (state["call_id"], state["call_state"], state["line"]) == ("d-1", "ringing", "Sales IN")
    answered = cli(env, "event", "answered", "--call-id", "d-1", "--demo")
    assert answered.returncode == 0, answered.stderr
    state = demo_state(env) or {}
    assert (state.get("number"), state.get("call_id"), state.get("call_state")) == (
        UNKNOWN, "d-1", "answered")

    # The agent's own profile is another app's: nothing runs there, nothing was written.
    assert cli(env, "state").returncode == 3
    assert not any(own_dir.iterdir())  # (`state` made the folder when it found no app)
    not_running = cli(env, "pop", "--demo", KNOWN, "--no-start", "--profile", str(own_dir))
    assert not_running.returncode == 5  # --profile wins over --demo
    assert f"screenpop --profile {own_dir}" in not_running.stderr


def test_a_new_demo_starts_empty_but_a_second_start_leaves_the_running_one_alone(
        env: dict[str, str], demo_dir: Path, own_dir: Path, tmp_path: Path) -> None:
    (demo_dir / "logs").mkdir(parents=True)
    (demo_dir / "logs" / "screenpop.log").write_text("an earlier demo's log\n")
    (demo_dir / "earlier.txt").write_text("an earlier demo's file")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("not the demo's")
    (demo_dir / "link").symlink_to(outside, target_is_directory=True)
    own_dir.mkdir(parents=True)
    (own_dir / "settings.ini").write_text("[general]\n")

    def start() -> subprocess.Popen[bytes]:
        app = subprocess.Popen([sys.executable, "-m", "app", "--demo"], cwd=REPO, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        poll_until(lambda: app.poll() is not None or demo_state(env), 30, "the demo to answer")
        assert app.poll() is None
        return app

    first = start()
    try:
        assert not (demo_dir / "earlier.txt").exists()
        assert "earlier" not in (demo_dir / "logs" / "screenpop.log").read_text()
        assert not (demo_dir / "link").exists()
        assert not (demo_dir / "link").is_symlink()
        assert (outside / "keep.txt").exists()  # a link is removed, never followed
        assert (own_dir / "settings.ini").exists()  # only the demo's folder is emptied

        assert cli(env, "pop", "--demo", KNOWN, "--no-start").returncode == 0
        settled_on(env, KNOWN)
        second = cli(env, "--demo")
        assert second.returncode == 0, second.stderr
        assert "already running" in second.stdout
        after = demo_state(env)
        assert after is not None
        assert [row["number"] for row in after["history"]] == [KNOWN]
        assert "app_started" in (demo_dir / "logs" / "screenpop.log").read_text()
    finally:
        stop_app(first)

    again = start()
    try:
        fresh = demo_state(env)
        assert fresh is not None
        assert (fresh["number"], fresh["history"]) == (None, [])  # the last demo's calls: gone
    finally:
        stop_app(again)


def test_a_link_in_the_demos_place_is_not_emptied(env: dict[str, str], demo_dir: Path,
                                                  tmp_path: Path) -> None:
    elsewhere = tmp_path / "someone's folder"
    elsewhere.mkdir()
    (elsewhere / "theirs.txt").write_text("not the demo's")
    demo_dir.parent.mkdir(parents=True)
    demo_dir.symlink_to(elsewhere, target_is_directory=True)
    app = subprocess.Popen([sys.executable, "-m", "app", "--demo"], cwd=REPO, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        poll_until(lambda: app.poll() is not None or demo_state(env), 30, "the demo to answer")
        assert app.poll() is None
        assert (elsewhere / "theirs.txt").read_text() == "not the demo's"
    finally:
        stop_app(app)


@pytest.mark.usefixtures("ends_the_started_demo")  # were it started after all
@pytest.mark.parametrize("kind", ["answered", "ended"])
def test_a_hang_up_hook_with_demo_never_starts_the_demo(env: dict[str, str], demo_dir: Path,
                                                        kind: str) -> None:
    result = cli(env, "event", kind, "--call-id", "d-9", "--demo")
    assert result.returncode == 5
    assert "start it with: screenpop --demo)" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (demo_dir / LOCK_FILE_NAME).exists()
    assert demo_state(env) is None
