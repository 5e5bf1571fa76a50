"""The agent's counters in the status bar, refreshed on a timer.

One refresh at a time: a tick that arrives while the previous request is still running is
skipped rather than queued, so a slow DeepCall never piles up requests.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from app.api.errors import DeepCallApiError
from app.api.models import Counters
from app.services.logs import log_event, ms_since

log = logging.getLogger(__name__)

MIN_INTERVAL_SECONDS = 5.0


class CountersClient(Protocol):
    async def counters(self) -> Counters: ...


class CountersPoller(QObject):
    countersChanged = Signal(object)  # Counters
    countersFailed = Signal(object)  # DeepCallApiError (user_message for the status bar)

    def __init__(self, client: CountersClient | None, interval_seconds: float = 30.0,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh_now)
        self.set_interval(interval_seconds)
        self._task: asyncio.Task[None] | None = None
        self.last: Counters | None = None

    def set_client(self, client: CountersClient | None) -> None:
        self._client = client

    def use_client(self, client: CountersClient | None) -> None:
        """A new account: poll it from now on (at once), or stop when there is none."""
        self.set_client(client)
        if client is None:
            self.stop()
        else:
            self.start()

    def set_interval(self, seconds: float) -> None:
        self._timer.setInterval(int(max(seconds, MIN_INTERVAL_SECONDS) * 1000))

    @property
    def interval_seconds(self) -> float:
        return self._timer.interval() / 1000

    def start(self) -> None:
        """Refresh now and then every interval."""
        self._timer.start()
        self.refresh_now()

    def stop(self) -> None:
        self._timer.stop()
        if self._task is not None and not self._task.done():
            self._task.cancel()

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def refresh_now(self) -> bool:
        """Start one refresh unless one is running or no account is set; True if started."""
        if self._client is None or (self._task is not None and not self._task.done()):
            return False
        self._task = asyncio.ensure_future(self._refresh(self._client))
        return True

    async def _refresh(self, client: CountersClient) -> None:
        started = time.perf_counter()
        try:
            counters = await client.counters()
        except DeepCallApiError as exc:
            log_event(log, "counters_failed", logging.WARNING,
                      error=type(exc).__name__, code=getattr(exc, "code", None))
            self.countersFailed.emit(exc)
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("counters refresh failed unexpectedly", exc_info=exc)
            self.countersFailed.emit(DeepCallApiError(
                "The agent counters could not be read; the details are in the log.",
                detail=type(exc).__name__))
            return
        self.last = counters
        log_event(log, "counters_refreshed", ms=ms_since(started))
        self.countersChanged.emit(counters)

    async def shutdown(self) -> None:
        self._timer.stop()
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
