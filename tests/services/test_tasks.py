"""OwnedTasks: every task kept until it ends, a bug in one logged, all cancelled together."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest

from app.services.tasks import OwnedTasks
from tests.fixtures.qt_async import wait_until

log = logging.getLogger("app.test.tasks")


async def _fail() -> None:
    raise RuntimeError("a bug in a task")


def test_an_exception_escaping_a_task_is_logged_unless_its_awaiter_handles_it(
        run_async: Callable[..., Any], caplog: pytest.LogCaptureFixture) -> None:
    tasks = OwnedTasks(log, "a test task")

    async def scenario() -> None:
        tasks.spawn(_fail())
        handled = tasks.spawn(_fail(), failure_handled=True)
        await wait_until(lambda: not tasks.busy)
        assert isinstance(handled.exception(), RuntimeError)

    with caplog.at_level(logging.ERROR, logger="app.test.tasks"):
        run_async(scenario())
    assert [r.getMessage() for r in caplog.records] == ["a test task failed unexpectedly"]


def test_cancel_and_wait_ends_every_running_task(run_async: Callable[..., Any]) -> None:
    tasks = OwnedTasks(log, "a test task")
    never = asyncio.Event()

    async def scenario() -> None:
        started = [tasks.spawn(never.wait()) for _ in range(3)]
        await wait_until(lambda: tasks.busy)
        await tasks.cancel_and_wait()
        assert all(task.cancelled() for task in started)
        assert not tasks.busy

    run_async(scenario())
