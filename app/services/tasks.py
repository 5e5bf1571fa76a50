"""The tasks one object started: kept until they end, never fire-and-forget.

Every part of the app that runs coroutines (the pop coordinator, the outbox, the account, a
dialog) keeps them here: a task is referenced until it ends, an exception escaping one is a
bug and goes to the log (not to asyncio's warning when it is collected), and shutdown cancels
them together and waits for them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class OwnedTasks:
    def __init__(self, log: logging.Logger, what: str) -> None:
        self._log = log
        self._what = what  # for the log: "a screen-pop task failed unexpectedly"
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, T], *,
              failure_handled: bool = False) -> asyncio.Task[T]:
        """Run ``coro``; ``failure_handled``: whoever awaits it deals with its exception."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._ended(done, failure_handled))
        return task

    def _ended(self, task: asyncio.Task[Any], failure_handled: bool) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()  # retrieved either way, so asyncio never warns about it
        if exc is not None and not failure_handled:
            self._log.error("%s failed unexpectedly", self._what, exc_info=exc)

    @property
    def busy(self) -> bool:
        return any(not task.done() for task in self._tasks)

    def cancel(self) -> list[asyncio.Task[Any]]:
        """Cancel every task still running; the ones cancelled."""
        running = [task for task in self._tasks if not task.done()]
        for task in running:
            task.cancel()
        return running

    async def cancel_and_wait(self) -> None:
        cancelled = self.cancel()
        if cancelled:
            await asyncio.gather(*cancelled, return_exceptions=True)
