"""One caller's lookup: contactInfo and recentCalls started together on one DeepCall client.

The contact is what the window waits for; recent calls may come a little later. Errors come
back typed (``DeepCallApiError``; a bug becomes ``UnexpectedError`` and is logged), each
request's time is kept for ``state``'s timings, and ``cancel()`` stops whatever still runs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from app.api.errors import DeepCallApiError
from app.api.models import RecentCall
from app.core.contact import LookupResult
from app.services.errors import UnexpectedError
from app.services.logs import log_event, ms_since

log = logging.getLogger(__name__)

Spawn = Callable[[Coroutine[Any, Any, Any]], "asyncio.Task[Any]"]


class LookupClient(Protocol):
    """What a lookup needs of ``app.api.client.DeepCallClient``."""

    async def contact_info(self, caller_number: str, field: str = ...) -> LookupResult: ...
    async def recent_calls(self, caller_number: str) -> list[RecentCall]: ...


@dataclass(frozen=True)
class RecentCallsOutcome:
    calls: tuple[RecentCall, ...] = ()
    error: DeepCallApiError | None = None
    pending: bool = False  # still running: ``CallerLookup.recent_calls()`` waits for it


class CallerLookup:
    def __init__(self, client: LookupClient, number: str, spawn: Spawn) -> None:
        self.started = time.perf_counter()
        self.timings: dict[str, float] = {}
        self._contact = spawn(self._timed("contact_info", client.contact_info(number)))
        self._calls = spawn(self._timed("recent_calls", client.recent_calls(number)))

    async def _timed(self, name: str, coro: Coroutine[Any, Any, Any]) -> Any:
        t0 = time.perf_counter()
        try:
            return await coro
        finally:
            self.timings[f"{name}_ms"] = ms_since(t0)

    async def contact(self) -> LookupResult:
        """The contactInfo answer; raises ``DeepCallApiError`` (``UnexpectedError`` for a bug)."""
        try:
            return await self._contact  # type: ignore[no-any-return]
        except (DeepCallApiError, asyncio.CancelledError):
            raise
        except Exception as exc:
            log.exception("contactInfo failed unexpectedly")
            raise UnexpectedError(exc) from None
        finally:
            self.timings["total_ms"] = ms_since(self.started)

    def recent_calls_now(self) -> RecentCallsOutcome:
        """recentCalls as it stands: its calls, its error, or pending."""
        task = self._calls
        if not task.done():
            return RecentCallsOutcome(pending=True)
        if task.cancelled():
            return RecentCallsOutcome()
        exc = task.exception()
        if isinstance(exc, DeepCallApiError):
            log_event(log, "recent_calls_failed", logging.WARNING,
                      error=type(exc).__name__, detail=exc.detail)
            return RecentCallsOutcome(error=exc)
        if exc is not None:
            log.error("recentCalls failed unexpectedly", exc_info=exc)
            return RecentCallsOutcome(error=UnexpectedError(exc))
        return RecentCallsOutcome(calls=tuple(task.result()))

    async def recent_calls(self) -> RecentCallsOutcome:
        """Wait for recentCalls to end, however it ends."""
        try:
            await asyncio.wait([self._calls])
        except asyncio.CancelledError:
            self._calls.cancel()
            raise
        return self.recent_calls_now()

    def cancel(self) -> None:
        """Latest wins: whatever still runs for a number no longer wanted stops here."""
        for task in (self._contact, self._calls):
            if not task.done():
                task.cancel()
