"""A malformed DeepCall address, given on the command line or saved in settings.ini, is a
usage error (exit 2) with its reason: real ``screenpop`` processes, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.sandbox import accounts
from app.sandbox.seed import DEMO_KNOWN_NUMBER

BAD_ADDRESSES = [
    ("http://[::1", "closing bracket"),
    ("https://v4-api.deepcall.com:99999", "port"),
    ("https://v4-api.deepcall.com:abc", "port"),
    ("https://v4-api.deepcall.com:-1", "port"),
    ("https://xn--a.com", "host name"),
    ("http://[::1]x:80", "IPv6"),  # once: "unexpected internal error", exit 1
    ("https://[::1:127.0.0.1]%", "IPv6"),
    ("https://v4-api.deepcall.com#", "#fragment"),  # once: every request went to "/"
]


def child_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEEPCALL_")}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"),
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring", PYTHONUTF8="1",
               DEEPCALL_TOKEN=accounts.DEMO_TOKEN, QT_QPA_PLATFORM="offscreen")
    return env


def screenpop(args: list[str], tmp_path: Path,
              timeout: float = 60) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "app", *args], env=child_env(tmp_path),
                            capture_output=True, text=True, timeout=timeout)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert accounts.DEMO_TOKEN not in result.stdout + result.stderr
    return result


@pytest.mark.parametrize(("address", "reason"), BAD_ADDRESSES)
def test_lookup_refuses_a_bad_brand_with_its_reason(tmp_path: Path, address: str,
                                                    reason: str) -> None:
    result = screenpop(["lookup", "+" + DEMO_KNOWN_NUMBER, "--brand", address,
                        "--user-id", accounts.DEMO_USER_ID, "--profile", str(tmp_path / "p")],
                       tmp_path)
    assert result.returncode == 2, result.stderr
    assert reason in result.stderr
    assert "internal error" not in result.stderr


@pytest.mark.parametrize(("address", "reason"), BAD_ADDRESSES[:2])
def test_lookup_refuses_a_bad_saved_brand_with_its_reason(tmp_path: Path, address: str,
                                                          reason: str) -> None:
    profile = tmp_path / "p"
    profile.mkdir()
    (profile / "settings.ini").write_text(
        f"[General]\nbrand_url={address}\nuser_id={accounts.DEMO_USER_ID}\n", encoding="utf-8")
    result = screenpop(["lookup", "+" + DEMO_KNOWN_NUMBER, "--profile", str(profile)], tmp_path)
    assert result.returncode == 2, result.stderr
    assert reason in result.stderr
    assert "Settings" in result.stderr


@pytest.mark.parametrize(("address", "reason"), BAD_ADDRESSES[:2])
def test_the_app_refuses_a_bad_brand_before_it_starts(tmp_path: Path, address: str,
                                                      reason: str) -> None:
    # Before the check the app started (and ran until the timeout): a hang fails this test.
    result = screenpop(["--brand", address, "--user-id", accounts.DEMO_USER_ID,
                        "--profile", str(tmp_path / "p")], tmp_path, timeout=20)
    assert result.returncode == 2, result.stderr
    assert reason in result.stderr
