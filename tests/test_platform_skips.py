"""The rule "nothing may skip" (tests/conftest.py, under .ci/run's SCREENPOP_NO_SKIPS=1) and
tests for another OS: such a test skips with its reason, a test that skips for a missing tool
still fails."""

from __future__ import annotations

import pytest

from tests.sources.processes import REPO

EXAMPLE = '''
import pytest
from tests.platforms import only_on

@only_on("win32-never", "an OS this machine is not")
def test_for_another_os() -> None:
    pass

def test_missing_tool() -> None:
    pytest.skip("needs a tool that is not installed")

def test_missing_tool_whose_reason_quotes_the_marker() -> None:
    pytest.skip("needs xclip (its message: not on this OS: x11 only)")
'''


def test_under_the_no_skip_rule_only_a_skip_for_another_os_is_not_a_failure(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCREENPOP_NO_SKIPS", "1")
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    pytester.makeconftest("from tests.conftest import pytest_runtest_makereport  # noqa: F401\n")
    pytester.makepyfile(test_example=EXAMPLE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rsf")
    # Only a reason that starts with the marker is another OS's: one that merely quotes it
    # (a tool's message) is a missing tool like any other.
    result.assert_outcomes(skipped=1, failed=2)
    result.stdout.fnmatch_lines_random([
        "*not on this OS: an OS this machine is not*",
        "*SCREENPOP_NO_SKIPS=1, where nothing may skip: *needs a tool*",
        "*SCREENPOP_NO_SKIPS=1, where nothing may skip: *needs xclip*"])
