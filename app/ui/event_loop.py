"""The app's asyncio loop: qasync's, except that asyncio code only ever runs inside it.

qasync runs every asyncio callback (a task's next step, a future's callbacks, a socket that
became readable) from a Qt timer, so it runs whenever Qt processes events, even when the loop
is not running: qasync's own last ``processEvents`` in ``run_until_complete``, a
``processEvents`` before or after the loop. A task stepped then finds no running loop:
``asyncio.timeout``, anyio and httpx fail half-way through a request with "no running event
loop" and leave it broken. Here such a callback waits, in order, for the loop to run again.
"""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import QObject, QTimerEvent
from qasync import QEventLoop  # after PySide6: qasync uses the Qt binding already loaded


class _CallbacksInTheLoop(QObject):
    """asyncio callbacks as Qt timers that run only while ``loop`` is the running loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._loop = loop
        self._armed: dict[int, asyncio.Handle] = {}
        self._waiting: list[asyncio.Handle] = []  # came due while the loop was not running
        self._stopped = False

    def add(self, handle: asyncio.Handle, delay: float) -> asyncio.Handle:
        self._armed[self.startTimer(int(max(0.0, delay) * 1000))] = handle
        return handle

    def timerEvent(self, event: QTimerEvent) -> None:
        self.killTimer(event.timerId())
        handle = self._armed.pop(event.timerId(), None)
        if handle is None or handle.cancelled() or self._stopped:
            return
        if asyncio._get_running_loop() is not self._loop:
            self._waiting.append(handle)
        elif asyncio.current_task(self._loop) is not None:
            # Qt handles events inside a task's step (``processEvents`` in the app's shutdown):
            # stepping another task from here is refused by asyncio and its wakeup lost, so it
            # waits for the next turn of the loop, after this step.
            self.add(handle, 0)
        else:
            handle._run()

    def rearm_waiting(self) -> None:
        """What came due outside the loop runs first when it runs again."""
        waiting, self._waiting = self._waiting, []
        for handle in waiting:
            self.add(handle, 0)

    def stop(self) -> None:
        self._stopped = True
        for timer_id in self._armed:
            self.killTimer(timer_id)
        self._armed.clear()
        self._waiting.clear()


class AppEventLoop(QEventLoop):  # type: ignore[misc]  # qasync has no type hints
    """``qasync.QEventLoop`` that never runs a callback while another loop, or none, runs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._callbacks = _CallbacksInTheLoop(self)
        self._stop_requested = False
        super().__init__(*args, **kwargs)

    def _add_callback(self, handle: asyncio.Handle, delay: float = 0) -> asyncio.Handle:
        # qasync's one way in: call_soon, call_later, call_at, socket readiness, threads.
        return self._callbacks.add(handle, delay)

    def run_forever(self) -> Any:
        # Only ``stop()`` ends an asyncio loop, but Qt may end its own: on Windows' end of
        # session or an update's Restart Manager it emits aboutToQuit and quits. The app hears
        # aboutToQuit and closes in order; the loop runs on until that is done.
        self._stop_requested = False
        while True:
            self._callbacks.rearm_waiting()
            result = super().run_forever()
            if self._stop_requested or self.is_closed():
                return result

    def stop(self) -> None:
        self._stop_requested = True
        super().stop()

    def close(self) -> None:
        super().close()
        self._callbacks.stop()
