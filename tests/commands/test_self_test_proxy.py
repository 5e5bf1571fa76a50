"""A proxy in the environment (dead, here) does not fail the self-test's loopback round trip to
its embedded sandbox: real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEAD_PROXY = "http://127.0.0.1:9"  # the discard port: nothing listens


@pytest.mark.parametrize("proxy", [{"HTTP_PROXY": DEAD_PROXY}, {"ALL_PROXY": DEAD_PROXY},
                                   {"http_proxy": DEAD_PROXY, "no_proxy": "localhost"},
                                   {"all_proxy": DEAD_PROXY, "https_proxy": DEAD_PROXY}])
def test_the_sandbox_check_goes_direct_whatever_proxy_the_environment_sets(
        x_display: str, keyring_backend: object, proxy: dict[str, str]) -> None:
    env = {**os.environ, "DISPLAY": x_display, "QT_QPA_PLATFORM": "xcb", **proxy}
    env.pop("SCREENPOP_PROFILE", None)
    result = subprocess.run([sys.executable, "-m", "app", "self-test"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    line = next(line for line in result.stdout.splitlines() if " deepcall-sandbox:" in line)
    assert line.startswith("PASS deepcall-sandbox: contactInfo answered"), result.stdout
