"""The test fixture that runs coroutines on the app's loop catches what the code leaves behind."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

LEAKY_TESTS = """
import asyncio

def test_leaves_an_unretrieved_task_error(run_async):
    async def boom():
        raise RuntimeError("nobody awaited me")

    async def scenario():
        task = asyncio.ensure_future(boom())
        while not task.done():
            await asyncio.sleep(0)
        del task

    run_async(scenario())

def test_a_clean_one(run_async):
    async def fine():
        return 1
    assert run_async(fine()) == 1
"""


def test_an_unhandled_loop_error_fails_the_test_that_caused_it(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    # An exception no task retrieved must fail the test that left it behind: not pass
    # silently, and not be blamed on (or swallowed by) a later test.
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    pytester.makeconftest('pytest_plugins = ["tests.fixtures.qt_async"]')
    pytester.makepyfile(test_leaky=LEAKY_TESTS)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*event loop reported errors nobody handled*nobody awaited me*"])
    result.assert_outcomes(passed=2, errors=1)
