"""Shared test setup. Fixture modules live in tests/fixtures/, one per concern."""

from __future__ import annotations

import os
import sys
from collections.abc import Generator

import pytest

from tests.platforms import is_other_os_skip

pytest_plugins = [
    "pytester",
    "tests.fixtures.sandbox",
    "tests.fixtures.desktop",
    "tests.fixtures.qt_async",
]

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# A machine-wide IT preset (/etc/xdg/..., %ProgramData%\...) must not change what the tests
# see, here or in the processes they start: set but empty means no preset at all. The preset
# tests point it at their own file.
os.environ["SCREENPOP_PRESET"] = ""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None]:
    """In Linux CI every tool is installed, so a skip means a broken setup: report it as a
    failure, unless the test is for another OS (tests/platforms.py). On the Windows and macOS
    runners the desktop tools those skips ask for (Xvfb, xclip, gnome-keyring) do not exist."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        if sys.platform.startswith("linux") and not is_other_os_skip(str(reason)):
            report.outcome = "failed"
            report.longrepr = f"skipped in CI, where nothing may skip: {reason}"
