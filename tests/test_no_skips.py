"""The "nothing may skip" rule of tests/conftest.py keys on SCREENPOP_NO_SKIPS=1 (.ci/run sets
it), not on CI: GitHub sets CI=true on every runner, where the Windows and macOS jobs may skip
a test that needs a tool they lack, with its reason. A real pytest run of a tiny skipping test,
with the project's hook, each way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.sources.processes import REPO

SKIPPING_TEST = """
import pytest

def test_needs_a_missing_tool():
    pytest.skip("xdotool is not installed")
"""


def run_skipping_test(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import pytest_runtest_makereport  # noqa: F401\n")
    (tmp_path / "test_tiny.py").write_text(SKIPPING_TEST)
    environ = {key: value for key, value in os.environ.items() if key != "SCREENPOP_NO_SKIPS"}
    environ |= {"PYTHONPATH": str(REPO), "CI": "true", **env}  # GitHub's CI=true either way
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs",
                           "-q", str(tmp_path)],
                          cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=60)


def test_without_the_variable_a_skip_stays_a_skip_with_its_reason(tmp_path: Path) -> None:
    result = run_skipping_test(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout
    assert "xdotool is not installed" in result.stdout


def test_with_the_variable_a_skip_fails_the_run(tmp_path: Path) -> None:
    result = run_skipping_test(tmp_path, SCREENPOP_NO_SKIPS="1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed" in result.stdout
    assert "SCREENPOP_NO_SKIPS=1, where nothing may skip" in result.stdout
    assert "xdotool is not installed" in result.stdout


def test_ci_run_sets_the_variable_for_its_test_run() -> None:
    ci_run = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    export = ci_run.index("export SCREENPOP_NO_SKIPS=1")
    assert export < ci_run.index("tests/tools/with-desktop.sh uv run pytest")
