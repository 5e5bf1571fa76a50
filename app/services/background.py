"""Blocking calls (the OS keyring) kept off the Qt thread, without holding the app open.

``asyncio.to_thread`` would use the loop's executor, which the loop waits for when it closes:
a keyring stuck on an unlock prompt nobody answers would keep the process (and its
single-instance lock) alive after the agent quit. A daemon thread does not.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


async def in_daemon_thread(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` on a daemon thread; its result (or exception) back on the loop."""
    loop = asyncio.get_running_loop()  # the app's loop steps tasks only while it runs
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():
            return  # the caller gave up (cancelled) meanwhile
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def work() -> None:
        result: Any = None
        error: BaseException | None = None
        try:
            result = fn(*args)
        except BaseException as exc:  # handed to the awaiting coroutine, not lost
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits any more
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=work, name=f"screenpop-{getattr(fn, '__name__', 'call')}",
                     daemon=True).start()
    return await future
