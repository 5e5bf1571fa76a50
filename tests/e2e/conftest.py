"""The environment of a real app in its own process: Xvfb, the sandbox's account set up in its
profile, the token in the environment (never on a command line)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.sandbox.accounts import DEMO_TOKEN, DEMO_USER_ID
from app.sandbox.server import SandboxServer
from app.services.credentials import TOKEN_ENV
from app.services.settings import Settings


@pytest.fixture
def app_env(x_display: str, sandbox: SandboxServer, tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "DISPLAY": x_display, "QT_QPA_PLATFORM": "xcb"}
    for name in ("DEEPCALL_SSID", "DEEPCALL_USER_ID", "DEEPCALL_BRAND_URL",
                 "SCREENPOP_SCREENSHOT_DIR"):
        env.pop(name, None)
    env[TOKEN_ENV] = DEMO_TOKEN  # the environment, never a command line
    settings = Settings(tmp_path / "profile")
    settings.set_value("brand_url", sandbox.base_url)
    settings.set_value("user_id", DEMO_USER_ID)
    settings.set_value("auth_mode", "token")
    return env
