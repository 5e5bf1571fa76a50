"""Shared test setup. Fixture modules live in tests/fixtures/, one per concern."""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

from tests.platforms import is_other_os_skip

pytest_plugins = [
    "pytester",
    "tests.fixtures.sandbox",
    "tests.fixtures.desktop",
    "tests.fixtures.qt_async",
]

# .ci/run sets it: there every tool is installed, so a skip means a broken setup. Not `CI`,
# which GitHub sets on every runner: the Windows and macOS jobs may skip, each with its reason.
NO_SKIPS_VARIABLE = "SCREENPOP_NO_SKIPS"
NO_SKIPS = os.environ.get(NO_SKIPS_VARIABLE) == "1"

# A machine-wide IT preset (/etc/xdg/..., %ProgramData%\...) must not change what the tests
# see, here or in the processes they start: set but empty means no preset at all. The preset
# tests point it at their own file.
os.environ["SCREENPOP_PRESET"] = ""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None]:
    """Under SCREENPOP_NO_SKIPS=1 (.ci/run: every tool installed) a skip means a broken setup
    and is reported as a failure, unless the test is for another OS (tests/platforms.py)."""
    outcome = yield
    report = outcome.get_result()
    if NO_SKIPS and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        if not is_other_os_skip(str(reason)):
            report.outcome = "failed"
            report.longrepr = (f"skipped under {NO_SKIPS_VARIABLE}=1, where nothing may skip: "
                               f"{reason}")
