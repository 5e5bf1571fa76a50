"""The number sources against the real app (``python -m app``) on Xvfb, not a stand-in.

Each app runs as its own process on the test display; numbers come from ``python -m app pop``,
``python -m app tel:...`` and bare numbers in other processes, and the result is read back with
``python -m app state``. Waits are on the other processes' answers, with deadlines.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.commands import pop
from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_LEAD_NUMBER, DEMO_PLAIN_NUMBER
from app.services.logs import LOG_FILE_NAME
from app.sources.forward import forward
from app.sources.single_instance import LOCK_FILE_NAME
from tests.sources.processes import REPO
from tests.tools.other_process import end_detached, gone, poll_until, stop_app

pytestmark = [pytest.mark.xvfb,
              pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and sockets")]

SETTLED = ("found", "unknown", "error")


@pytest.fixture
def app_env(x_display: str) -> dict[str, str]:
    env = {**os.environ, "DISPLAY": x_display, "QT_QPA_PLATFORM": "xcb"}
    for name in ("DEEPCALL_TOKEN", "DEEPCALL_SSID", "DEEPCALL_USER_ID", "DEEPCALL_BRAND_URL",
                 "SCREENPOP_SCREENSHOT_DIR"):
        env.pop(name, None)
    return env


def cli(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def app_state(env: dict[str, str], profile: Path) -> dict[str, Any] | None:
    result = cli(env, "state", "--profile", str(profile), "--timeout", "3")
    if result.returncode != 0:
        return None
    state = json.loads(result.stdout)
    assert isinstance(state, dict)
    return state


def settled_on(env: dict[str, str], profile: Path, number: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        state = app_state(env, profile)
        if state and state.get("number") == number and state.get("status") in SETTLED:
            return state
        return None
    return poll_until(done, 30, f"the app to show {number}")


@contextlib.contextmanager
def demo_apps(env: dict[str, str], profile: Path, count: int,
              logs: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` real demo apps on ``profile``, started back to back; all ended afterwards."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for index in range(count):
            with (logs / f"app{index}.out").open("wb") as out:
                processes.append(subprocess.Popen(
                    [sys.executable, "-m", "app", "--demo", "--profile", str(profile)],
                    cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out,
                    stderr=subprocess.STDOUT))
        yield processes
    finally:
        for process in processes:
            stop_app(process)


def lock_pid(profile: Path) -> int:
    return int((profile / LOCK_FILE_NAME).read_text().split()[0])


def test_two_near_simultaneous_starts_end_with_exactly_one_instance(
        app_env: dict[str, str], tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    with demo_apps(app_env, profile, 2, tmp_path) as apps:
        # One of them must hand over to the other and leave; wait for that, not for a time.
        def one_has_exited() -> list[subprocess.Popen[bytes]] | None:
            return [p for p in apps if p.poll() is not None] or None

        exited = poll_until(one_has_exited, 60, "one of the two starts to hand over and exit")
        assert len(exited) == 1, [p.returncode for p in apps]
        loser = exited[0]
        winner = next(p for p in apps if p is not loser)
        loser_output = (tmp_path / f"app{apps.index(loser)}.out").read_text()
        assert loser.returncode == 0, loser_output
        assert "already running; its window was brought to the front" in loser_output
        assert winner.poll() is None
        state = poll_until(lambda: app_state(app_env, profile), 30, "the instance to answer")
        assert state["status"] == "idle"
        assert lock_pid(profile) == winner.pid
        # A third start now is a plain hand-over to the same instance.
        third = cli(app_env, "--demo", "--profile", str(profile))
        assert third.returncode == 0, third.stderr
        assert "already running" in third.stdout
        assert winner.poll() is None


def test_numbers_from_other_processes_reach_the_apps_state(
        app_env: dict[str, str], tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    with demo_apps(app_env, profile, 1, tmp_path) as (app,):
        poll_until(lambda: app.poll() is not None or app_state(app_env, profile), 60,
                 "the app to answer")
        assert app.poll() is None, (tmp_path / "app0.out").read_text()[-3000:]

        known = "+" + DEMO_KNOWN_NUMBER  # +919876543210, as a softphone's hook passes it
        result = cli(app_env, "pop", "9876543210", "--call-id", "c-101", "--profile",
                     str(profile))
        assert result.returncode == 0, result.stderr
        state = settled_on(app_env, profile, known)
        assert state["status"] == "found"
        assert state["call_id"] == "c-101"
        assert state["source"] == "cli"
        assert state["fields"]["Name"] == "Aarav Mehta"

        # A tel: link, as the OS's link handler passes it.
        lead = "+" + DEMO_LEAD_NUMBER
        tel = f"tel:+91-{DEMO_LEAD_NUMBER[2:7]}-{DEMO_LEAD_NUMBER[7:]}"
        result = cli(app_env, tel, "--profile", str(profile))
        assert result.returncode == 0, result.stderr
        assert settled_on(app_env, profile, lead)["status"] == "found"

        # A bare number as the first argument ("run a program with the number").
        plain = "+" + DEMO_PLAIN_NUMBER
        result = cli(app_env, "--profile", str(profile), "0" + DEMO_PLAIN_NUMBER[2:])
        assert result.returncode == 0, result.stderr
        assert settled_on(app_env, profile, plain)["status"] == "found"

        # A raw protocol client speaks to the same app.
        reply = forward(profile, '{"cmd": "state"}')
        assert reply is not None
        assert reply["state"]["number"] == plain
        refused = cli(app_env, "pop", "12345", "--profile", str(profile))
        assert refused.returncode == 2
        assert (app_state(app_env, profile) or {})["number"] == plain  # junk never got there
        assert app.poll() is None


def test_pop_starts_the_app_when_none_runs_and_the_state_says_it_needs_setting_up(
        app_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # Not the demo: a fresh profile with no DeepCall account. pop starts the real app, which
    # opens Settings (first start) and still takes the pop; the state says why nothing shows.
    profile = tmp_path / "new profile"
    for name in ("DEEPCALL_TOKEN", "DEEPCALL_SSID", "DEEPCALL_USER_ID", "DEEPCALL_BRAND_URL"):
        monkeypatch.delenv(name, raising=False)
    for name in ("DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.setenv(name, app_env[name])
    monkeypatch.chdir(REPO)
    started: list[subprocess.Popen[bytes]] = []
    real_start = pop.start_instance

    def recording_start(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        child = real_start(*args, **kwargs)
        started.append(child)
        return child

    monkeypatch.setattr(pop, "start_instance", recording_start)
    try:
        code = pop.main(["08302390884", "--call-id", "c-7", "--profile", str(profile)])
        out, err = capsys.readouterr()
        assert code == 0, err
        assert "+91 83023 90884" in out
        assert "note: DeepCall is not set up yet" in err  # why the window shows no contact
        assert len(started) == 1
        assert pop.app_command(str(profile))[1:] == ["-m", "app", "--profile", str(profile)]
        state = settled_on(app_env, profile, "+918302390884")
        assert state["status"] == "error"
        assert state["call_id"] == "c-7"
        assert "Settings" in (state["error_message"] or "")
        assert state["window_visible"] is True
        assert lock_pid(profile) == started[0].pid
        # The next pop goes straight to the instance now running.
        again = cli(app_env, "pop", "+918302390884", "--no-start", "--profile", str(profile))
        assert again.returncode == 0, again.stderr
        assert (profile / "logs" / "launch.log").exists()
    finally:
        for child in started:
            stop_app(child)
    assert forward(profile, "state") is None  # nothing left running


def test_two_pops_at_once_with_no_app_running_start_one_instance_and_both_land(
        app_env: dict[str, str], tmp_path: Path) -> None:
    # Two softphone hooks fire together on a cold machine: each starts the app; one of the
    # started apps must hand over to the other, and neither pop may be lost or fail.
    profile = tmp_path / "cold profile"
    pops = [subprocess.Popen([sys.executable, "-m", "app", "pop", number, "--profile",
                              str(profile)], cwd=REPO, env=app_env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
            for number in ("+918302390884", "+919876543210")]
    pid = None
    try:
        results = [p.communicate(timeout=60) for p in pops]
        for process, (out, err) in zip(pops, results, strict=True):
            assert process.returncode == 0, err
            assert out.startswith("Screen-Pop: +91")
        state = poll_until(lambda: app_state(app_env, profile), 30, "the instance to answer")
        assert state["number"] in ("+918302390884", "+919876543210")
        pid = lock_pid(profile)
        assert not gone(pid)
    finally:
        for process in pops:
            if process.poll() is None:
                process.kill()
                process.communicate()
        if pid is None and (profile / LOCK_FILE_NAME).exists():
            pid = lock_pid(profile)
        if pid is not None:  # detached by pop: not our child, so no wait()
            end_detached(pid, 30, [profile / "logs" / "launch.log",
                                   profile / "logs" / LOG_FILE_NAME])


def test_the_real_app_recovers_from_a_crash_that_left_its_socket_and_lock(
        app_env: dict[str, str], tmp_path: Path) -> None:
    from app.sources.socket_address import server_name

    profile = tmp_path / "profile"
    with demo_apps(app_env, profile, 1, tmp_path) as (first,):
        poll_until(lambda: first.poll() is not None or app_state(app_env, profile), 60,
                 "the first app to answer")
        first.kill()  # SIGKILL: no shutdown path runs, the socket file and lock stay behind
        first.wait(20)
    assert Path(server_name(profile)).exists()
    assert (profile / LOCK_FILE_NAME).exists()
    assert forward(profile, "state") is None

    with demo_apps(app_env, profile, 1, tmp_path) as (second,):
        poll_until(lambda: second.poll() is not None or app_state(app_env, profile), 60,
                 "the restarted app to answer")
        assert second.poll() is None, (tmp_path / "app0.out").read_text()[-3000:]
        assert (app_state(app_env, profile) or {})["status"] == "idle"
        assert lock_pid(profile) == second.pid
        result = cli(app_env, "pop", "9876543210", "--no-start", "--profile", str(profile))
        assert result.returncode == 0, result.stderr
        assert settled_on(app_env, profile, "+919876543210")["status"] == "found"


def test_the_real_app_writes_its_threads_stacks_on_sigusr1_and_keeps_running(
        app_env: dict[str, str], tmp_path: Path) -> None:
    # For a stuck app: what every thread is doing, without ending it (a support request).
    profile = tmp_path / "profile"
    with demo_apps(app_env, profile, 1, tmp_path) as (app,):
        poll_until(lambda: app.poll() is not None or app_state(app_env, profile), 60,
                   "the app to answer")
        os.kill(app.pid, signal.SIGUSR1)
        output = tmp_path / "app0.out"
        poll_until(lambda: "Current thread" in output.read_text(), 10, "the stack dump")
        assert "most recent call first" in output.read_text()
        assert (app_state(app_env, profile) or {}).get("status") == "idle"
        assert app.poll() is None


def test_the_real_app_listens_again_when_its_socket_file_is_swept_away(
        app_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A tmp cleaner (macOS after 3 days, systemd-tmpfiles after 10) deletes the socket file,
    # then its folder, under the running app: the next pops must reach that same app, not
    # start a second one that has nobody to hand over to (issue 13).
    import shutil
    import tempfile

    from app.sources.socket_address import server_name

    def sweep_folder(folder: Path) -> None:
        # At once, as the app may make its socket again the moment the file is gone.
        swept = folder.with_name("swept")
        folder.rename(swept)
        shutil.rmtree(swept)

    base = Path(tempfile.mkdtemp(prefix="sps", dir="/tmp"))  # short: a socket folder of its own
    monkeypatch.setattr(tempfile, "tempdir", str(base))
    env = {**app_env, "TMPDIR": str(base)}
    profile = tmp_path / "profile"
    address = Path(server_name(profile))
    try:
        with demo_apps(env, profile, 1, tmp_path) as (app,):
            poll_until(lambda: app.poll() is not None or app_state(env, profile), 60,
                       "the app to answer")
            assert app.poll() is None, (tmp_path / "app0.out").read_text()[-3000:]
            assert address.parent.parent == base
            for sweep, number in ((address.unlink, "+" + DEMO_KNOWN_NUMBER),
                                  (lambda: sweep_folder(address.parent),
                                   "+" + DEMO_LEAD_NUMBER)):
                sweep()
                poll_until(address.exists, 10, "the app to listen again")
                result = cli(env, "pop", number, "--profile", str(profile))
                assert result.returncode == 0, result.stderr
                assert settled_on(env, profile, number)["status"] == "found"
                assert lock_pid(profile) == app.pid
                assert app.poll() is None
                assert not (profile / "logs" / "launch.log").exists()  # no second app
    finally:
        shutil.rmtree(base, ignore_errors=True)
