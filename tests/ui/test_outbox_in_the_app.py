"""The outbox in the whole app (tests/ui/conftest.py's graph, the sandbox over loopback HTTP):
what waits is sent the moment DeepCall answers a request again, each item once, and a write
that keeps failing while everything else works backs off instead of storming."""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_LEAD_NUMBER, DEMO_PLAIN_NUMBER
from app.sandbox.server import SandboxServer
from app.services import outbox as outbox_module
from tests.fixtures.qt_async import wait_signal, wait_until
from tests.ui.conftest import Stack, StackFactory, quiesce
from tests.ui.form_typing import type_into

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]
KNOWN = "+" + DEMO_KNOWN_NUMBER
PLAIN = "+" + DEMO_PLAIN_NUMBER
LEAD = "+" + DEMO_LEAD_NUMBER
EMAIL = ("Cu", "Email")
CITY = ("Cu", "city")
NOTE = "Call back after the renewal quote"


@pytest.fixture
def long_backoff(monkeypatch: pytest.MonkeyPatch) -> float:
    """Ten minutes between tries: whatever is sent during a test was not sent by the timer."""
    monkeypatch.setattr(outbox_module, "FIRST_RETRY_SECONDS", 600.0)
    monkeypatch.setattr(outbox_module, "LAST_RETRY_SECONDS", 600.0)
    return 600.0


async def _shown(stack: Stack, number: str, status: str = "found") -> None:
    await wait_until(lambda: stack.state()["number"] == number
                     and stack.window.status == status
                     and stack.window.form.pending_count() == 0, 5)
    await quiesce()


def _requests(sandbox: SandboxServer, action: str) -> int:
    return sum(1 for r in sandbox.requests() if r.action == action)


def _not_due_for_long(stack: Stack) -> bool:
    soon = time.time() + 60
    return all(item.next_attempt > soon for item in stack.store.outbox_items())


def test_the_next_pop_of_any_caller_sends_what_waits_at_once_each_once(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer,
        long_backoff: float) -> None:
    stack = make_stack(dedupe_seconds=0)
    window = stack.window

    async def scenario() -> None:
        stack.pop(KNOWN)
        await _shown(stack, KNOWN)
        sandbox.set_faults("http503")  # DeepCall goes away mid-shift
        type_into(window.form, EMAIL, "aarav@renewed.example.in")
        await wait_signal(stack.outbox.saveWaiting, 10, trigger=window.save_button.click)
        window.notes.editor.setPlainText(NOTE)
        await wait_signal(stack.outbox.noteFailed, 10, trigger=window.notes.send_button.click)
        await quiesce()
        assert stack.outbox.counts() == (2, 0)
        assert _not_due_for_long(stack)
        sandbox.clear_faults()  # back; nothing tells the app but its next answer
        sandbox.clear_requests()
        stack.pop(PLAIN)
        await wait_until(lambda: stack.outbox.counts() == (0, 0), 5)
        await _shown(stack, PLAIN)

    run_async(scenario())
    assert [n.content for n in sandbox.notes(DEMO_KNOWN_NUMBER)].count(NOTE) == 1
    assert (_requests(sandbox, "notesAdd"), _requests(sandbox, "update")) == (1, 1)
    record = sandbox.contact(DEMO_KNOWN_NUMBER)
    assert record is not None
    assert record.values["email"] == "aarav@renewed.example.in"
    assert stack.store.outbox_items() == []


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
        await _shown(stack, KNOWN)
        sandbox.set_faults("http503@update")
        type_into(window.form, EMAIL, "aarav@renewed.example.in")
        await wait_signal(stack.outbox.saveWaiting, 10, trigger=window.save_button.click)
        type_into(window.form, CITY, "Pune")
        await wait_signal(stack.outbox.saveWaiting, 10, trigger=window.save_button.click)
        await quiesce()
        assert stack.outbox.counts() == (2, 0)
        sandbox.clear_requests()
        stack.pop(LEAD)  # DeepCall answers: both are tried again at once, once
        await _shown(stack, LEAD)
        await wait_until(lambda: not stack.outbox.busy, 5)
        await quiesce()
        assert stack.outbox.counts() == (2, 0)
        assert _not_due_for_long(stack)

    run_async(scenario())
    assert (_requests(sandbox, "getInfo"), _requests(sandbox, "update")) == (2, 2)
