"""The app's loop (``AppEventLoop``) runs asyncio code only while it is the running loop.

Qt processes events when no asyncio loop runs: qasync's own last pass in
``run_until_complete``, pytest-qt's hooks, a test's ``qtbot`` waits. A DeepCall call stepped
then fails half-way with "no running event loop" (``asyncio.timeout``, anyio, httpx), which is
how a session's first counters refresh broke ``test_first_start_opens_settings_and_then_pops``
about one run in four.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.api.auth import TokenAuth
from app.api.client import DeepCallClient
from app.sandbox.accounts import DEMO_TOKEN, DEMO_USER_ID
from app.sandbox.server import SandboxServer
from tests.fixtures.qt_async import wait_until

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]


def _qt_handles_events_outside_the_loop(qtbot: QtBot) -> None:
    """Until a Qt timer armed now fires: Qt fires timers in the order they come due, so what
    asyncio had due before it has had its turn, with no asyncio loop running."""
    fired: list[bool] = []
    QTimer.singleShot(20, lambda: fired.append(True))
    qtbot.waitUntil(lambda: bool(fired), timeout=3000)


def test_a_deepcall_call_due_outside_the_loop_waits_for_it(
        qtbot: QtBot, run_async: RunAsync, sandbox: SandboxServer) -> None:
    loop = asyncio.get_event_loop()
    client = DeepCallClient(sandbox.base_url, TokenAuth(DEMO_USER_ID, DEMO_TOKEN))
    try:
        call = loop.create_task(client.counters())  # its first step is due now
        _qt_handles_events_outside_the_loop(qtbot)
        assert not call.done(), call  # not stepped (and broken) with no loop running
        counters = run_async(call)  # the next run of the loop carries it out
        assert counters is not None
        assert [r.action for r in sandbox.requests()] == ["counters"]
    finally:
        run_async(client.aclose())


def test_callbacks_due_outside_the_loop_run_in_order_once_it_runs(
        qtbot: QtBot, run_async: RunAsync) -> None:
    loop = asyncio.get_event_loop()
    ran: list[tuple[int, object]] = []
    for n in range(3):
        loop.call_soon(lambda n=n: ran.append((n, asyncio._get_running_loop())))
    cancelled = loop.call_soon(lambda: ran.append((-1, None)))
    _qt_handles_events_outside_the_loop(qtbot)
    cancelled.cancel()  # while it waits: it never runs
    assert ran == []
    run_async(wait_until(lambda: len(ran) >= 3))
    assert ran == [(0, loop), (1, loop), (2, loop)]


def test_qt_events_handled_inside_a_task_step_never_step_another_task(
        run_async: RunAsync) -> None:
    # The app's shutdown ends with QApplication.processEvents() inside its main task's step.
    # A keyring answer arriving then woke the Settings dialog's task from inside that step:
    # asyncio refused ("Cannot enter into task ... while another task ... is being
    # executed"), the wakeup was lost, and the app hung for ever cancelling that task at exit.
    loop = asyncio.get_event_loop()

    async def waiter(answer: asyncio.Future[str]) -> str:
        return await answer

    async def step_that_handles_qt_events() -> str:
        answer: asyncio.Future[str] = loop.create_future()
        other = loop.create_task(waiter(answer))
        await asyncio.sleep(0)  # the other task now waits on the answer
        answer.set_result("saved")  # its wakeup is due...
        for _ in range(3):  # ...while this step hands Qt its events, as aclose() does
            QApplication.processEvents()
        assert not other.done()  # not stepped from inside this task's step
        await asyncio.wait({other}, timeout=5)  # (a lost wakeup: never done, and no cancel
        assert other.done(), "the other task's wakeup was lost"  # would ever finish either)
        return other.result()

    assert run_async(step_that_handles_qt_events()) == "saved"
