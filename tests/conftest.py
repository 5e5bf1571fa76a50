"""Shared test setup. Fixture modules live in tests/fixtures/, one per concern."""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

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
    """In CI every tool is installed, so a skip means a broken setup: report it as a failure."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped in CI, where nothing may skip: {reason}"
