"""The outbox in the whole app (tests/ui/conftest.py's graph, the sandbox over loopback HTTP):
a write that keeps failing while everything else works backs off instead of storming.
(DeepCall answering again sends what waits at once: tests/ui/test_editing_for_real.py.)"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_LEAD_NUMBER
from app.sandbox.server import SandboxServer
from tests.fixtures.qt_async import wait_signal, wait_until
from tests.ui.conftest import StackFactory, quiesce, requests_of
from tests.ui.form_typing import type_into

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]
KNOWN = "+" + DEMO_KNOWN_NUMBER
LEAD = "+" + DEMO_LEAD_NUMBER
EMAIL = ("Cu", "Email")
CITY = ("Cu", "city")


def test_a_write_that_keeps_failing_while_lookups_work_backs_off_instead_of_storming(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer,
        long_backoff: float) -> None:
    """Two saves of one caller wait while Directory update answers 503 and getInfo works:
    each getInfo before a save is a successful answer, which must not wake the other save
    for ever (they would take turns without end)."""
    stack = make_stack(dedupe_seconds=0)
    window = stack.window

    async def scenario() -> None:
        stack.pop(KNOWN)
        await stack.shown(KNOWN)
        sandbox.set_faults("http503@update")
        type_into(window.form, EMAIL, "aarav@renewed.example.in")
        await wait_signal(stack.outbox.saveWaiting, 10, trigger=window.save_button.click)
        type_into(window.form, CITY, "Pune")
        await wait_signal(stack.outbox.saveWaiting, 10, trigger=window.save_button.click)
        await quiesce()
        assert stack.outbox.counts() == (2, 0)
        sandbox.clear_requests()
        stack.pop(LEAD)  # DeepCall answers: both are tried again at once, once
        await stack.shown(LEAD)
        await wait_until(lambda: not stack.outbox.busy, 5)
        await quiesce()
        assert stack.outbox.counts() == (2, 0)
        assert stack.nothing_due_soon()

    run_async(scenario())
    assert (requests_of(sandbox, "getInfo"), requests_of(sandbox, "update")) == (2, 2)
