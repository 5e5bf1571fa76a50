"""The self-test's keyring check against a keyring that does not answer or is locked, and its
ending when interrupted (Ctrl+C, SIGTERM): real processes on a private D-Bus."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import keyring
import pytest

from app.commands.self_test_checks import KEYRING_SECONDS, SELF_TEST_SERVICE
from tests.fixtures.secret_service import (  # noqa: F401 (fixtures)
    SecretServiceDouble,
    locked_secret_service,
    silent_secret_service,
)

REPO = Path(__file__).resolve().parents[2]


def _env(x_display: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "DISPLAY": x_display, "QT_QPA_PLATFORM": "xcb", **extra}
    env.pop("SCREENPOP_PROFILE", None)
    return env


def _self_test(env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", "self-test"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def _line(result: subprocess.CompletedProcess[str], name: str) -> str:
    return next(line for line in result.stdout.splitlines() if line.split(" ")[1] == name + ":")


def _started_and_in_the_keyring_check(env: dict[str, str]) -> subprocess.Popen[str]:
    """A self-test that has printed its first line: it is now in the keyring check, which
    waits on a service that never answers (the D-Bus call is sent within milliseconds)."""
    child = subprocess.Popen([sys.executable, "-m", "app", "self-test"], cwd=REPO, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().startswith("PASS qt-platform")
    return child


def _ended(child: subprocess.Popen[str], within: float) -> int:
    try:
        return child.wait(timeout=within)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        pytest.fail(f"the self-test did not end within {within:g} s")


def test_a_keyring_that_does_not_answer_is_a_fail_line_and_the_other_checks_run(
        x_display: str, silent_secret_service: SecretServiceDouble) -> None:  # noqa: F811
    env = _env(x_display, DBUS_SESSION_BUS_ADDRESS=silent_secret_service.address)
    try:
        result = _self_test(env, timeout=KEYRING_SECONDS + 45)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"self-test hung on the keyring check; printed so far: {exc.stdout!r}")
    assert _line(result, "keyring") == (
        f"FAIL keyring: no answer within {KEYRING_SECONDS:g} s (the keyring may be locked or "
        "waiting for a password prompt)")
    assert _line(result, "deepcall-sandbox").startswith("PASS")
    assert _line(result, "icons").startswith("PASS")
    assert result.returncode == 1


def test_a_locked_keyring_is_a_fail_line_without_an_unlock_prompt(
        x_display: str, locked_secret_service: SecretServiceDouble) -> None:  # noqa: F811
    env = _env(x_display, DBUS_SESSION_BUS_ADDRESS=locked_secret_service.address)
    result = _self_test(env, timeout=KEYRING_SECONDS + 45)
    assert _line(result, "keyring").startswith("FAIL keyring: the default keyring collection "
                                               "is locked"), result.stdout
    asked = locked_secret_service.calls()
    assert "Get:Locked" in asked
    assert not [call for call in asked if call in ("Unlock", "CreateItem", "CreateCollection",
                                                   "SearchItems", "OpenSession")], asked


def test_ctrl_c_ends_a_self_test_waiting_on_the_keyring(
        x_display: str, silent_secret_service: SecretServiceDouble) -> None:  # noqa: F811
    child = _started_and_in_the_keyring_check(
        _env(x_display, DBUS_SESSION_BUS_ADDRESS=silent_secret_service.address))
    child.send_signal(signal.SIGINT)
    assert _ended(child, within=KEYRING_SECONDS / 3) == 130


def test_sigterm_ends_the_self_test_and_removes_its_throw_away_profile(
        x_display: str, silent_secret_service: SecretServiceDouble) -> None:  # noqa: F811
    before = set(Path(tempfile.gettempdir()).glob("screenpop-self-test-*"))
    child = _started_and_in_the_keyring_check(
        _env(x_display, DBUS_SESSION_BUS_ADDRESS=silent_secret_service.address))
    child.send_signal(signal.SIGTERM)
    code = _ended(child, within=KEYRING_SECONDS / 3)
    left = set(Path(tempfile.gettempdir()).glob("screenpop-self-test-*")) - before
    for folder in left:
        shutil.rmtree(folder, ignore_errors=True)
    assert left == set()
    assert code == 128 + signal.SIGTERM


def test_a_test_secret_left_by_a_killed_run_is_removed(x_display: str,
                                                      keyring_backend: object) -> None:
    keyring.set_password(SELF_TEST_SERVICE, "token", "left-by-a-killed-run")
    try:
        result = _self_test(_env(x_display))
        assert _line(result, "keyring").startswith("PASS keyring:"), result.stdout
        assert keyring.get_password(SELF_TEST_SERVICE, "token") is None
    finally:
        if keyring.get_password(SELF_TEST_SERVICE, "token") is not None:
            keyring.delete_password(SELF_TEST_SERVICE, "token")
