"""The window against the real sandbox over HTTP: found, unknown, latest wins, dedupe, cache."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtWidgets import QLineEdit

from app.core.phone import display_format
from app.sandbox.seed import (
    DEMO_KNOWN_NUMBER,
    DEMO_LEAD_NUMBER,
    DEMO_PLAIN_NUMBER,
    DEMO_UNKNOWN_NUMBER,
)
from app.sandbox.server import SandboxServer
from tests.fixtures.qt_async import wait_until
from tests.ui.conftest import Stack, StackFactory, app_tasks, quiesce

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]
KNOWN = "+" + DEMO_KNOWN_NUMBER
LEAD = "+" + DEMO_LEAD_NUMBER
PLAIN = "+" + DEMO_PLAIN_NUMBER
UNKNOWN = "+" + DEMO_UNKNOWN_NUMBER


async def _settled(stack: Stack, status: str, timeout: float = 5.0) -> None:
    await wait_until(lambda: stack.window.status == status, timeout)
    await quiesce()


def _contact_info_requests(sandbox: SandboxServer) -> int:
    return sum(1 for r in sandbox.requests() if r.path.endswith("/contactInfo"))


def test_number_shows_at_once_then_the_contact_fills_in(
        make_stack: StackFactory, run_async: RunAsync) -> None:
    stack = make_stack()
    window = stack.window

    async def scenario() -> None:
        assert stack.pop(KNOWN)
        # Before any HTTP answer: the formatted number and a visible "looking up" state.
        assert window.status == "loading"
        assert window.header.number.text() == display_format(KNOWN)
        assert window.header.status.text() == "Looking up…"
        assert window.header.busy.isVisibleTo(window)
        await _settled(stack, "found")
        await wait_until(lambda: len(window.recent.calls()) > 0)

    run_async(scenario())
    assert window.header.caller_name.text() == "Aarav Mehta"
    values = window.form.values()
    assert values["Name"] == "Aarav Mehta"
    assert values["Lead source"]  # the second group ("Lead") is shown too
    mobile = window.form.editor("mobile")
    assert isinstance(mobile, QLineEdit)
    assert mobile.isReadOnly()
    assert not window.header.busy.isVisibleTo(window)
    state = stack.state()
    assert state["status"] == "found"
    assert state["fields"] == values


def test_unknown_caller_gets_the_new_caller_form(
        make_stack: StackFactory, run_async: RunAsync) -> None:
    stack = make_stack()

    async def scenario() -> None:
        stack.pop(UNKNOWN)
        await _settled(stack, "unknown")

    run_async(scenario())
    window = stack.window
    assert window.header.status.text() == "New caller"
    assert window.header.caller_name.text().startswith("New caller")
    values = window.form.values()
    assert {"Name", "Email", "City", "Lead status"} <= set(values)
    assert all(v == "" for k, v in values.items() if k != "Mobile")
    name = window.form.editor("Name")
    assert isinstance(name, QLineEdit)
    assert not name.isReadOnly()  # ready to type the new contact


def test_latest_number_wins_under_latency(make_stack: StackFactory, run_async: RunAsync,
                                          sandbox: SandboxServer) -> None:
    stack = make_stack()
    seen: list[str] = []
    stack.window.state_changed.connect(seen.append)
    sandbox.add_fault("latency", action="contactInfo", ms=600, times=1)  # only the first

    async def scenario() -> None:
        stack.pop(KNOWN)
        stack.pop(LEAD)  # while the first lookup is still waiting on the server
        assert app_tasks()  # the helper below does see running lookups
        await _settled(stack, "found")
        # Every lookup task (the stale one included) has ended: nothing can arrive later.
        await quiesce()

    run_async(scenario())
    assert stack.coordinator.current.number == LEAD
    assert stack.window.header.caller_name.text() == "Sneha Iyer"
    assert seen.count("found") == 1  # the cancelled lookup never reached the window


def test_the_same_number_again_does_not_pop_twice(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    stack = make_stack()

    async def scenario() -> None:
        assert stack.pop(KNOWN)
        await _settled(stack, "found")
        assert not stack.pop(KNOWN)

    run_async(scenario())
    assert stack.window.status == "found"
    assert _contact_info_requests(sandbox) == 1


def test_a_recent_number_pops_from_the_cache_at_once(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    stack = make_stack(dedupe_seconds=0)

    async def scenario() -> None:
        stack.pop(KNOWN)
        await _settled(stack, "found")
        stack.pop(PLAIN)
        await _settled(stack, "found")
        assert stack.coordinator.current.number == PLAIN
        sandbox.add_fault("latency", action="contactInfo", ms=300)
        stack.pop(KNOWN)
        # Shown from memory in the same turn of the loop, before the refresh answers.
        assert stack.window.status == "found"
        assert stack.window.header.caller_name.text() == "Aarav Mehta"
        await wait_until(lambda: _contact_info_requests(sandbox) == 3)

    run_async(scenario())
    assert stack.coordinator.current.number == KNOWN


def test_recent_calls_say_they_are_coming_never_a_false_none(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    stack = make_stack()
    recent = stack.window.recent
    sandbox.add_fault("latency", action="recentCalls", ms=400, times=1)

    async def scenario() -> None:
        stack.pop(KNOWN)
        # Nothing is known about the calls yet: no "no earlier calls" claim.
        assert recent.placeholder_text() == "Looking up recent calls…"
        await wait_until(lambda: stack.window.status == "found")
        assert recent.placeholder_text() == "Looking up recent calls…"  # still on its way
        await wait_until(lambda: len(recent.calls()) > 0)
        await quiesce()

    run_async(scenario())
    assert recent.placeholder_text() is None


def test_failed_recent_calls_are_not_shown_as_no_calls(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    stack = make_stack()
    sandbox.add_fault("internal", action="recentCalls")

    async def scenario() -> None:
        stack.pop(KNOWN)
        await _settled(stack, "found")
        await wait_until(lambda: "could not be loaded" in
                         (stack.window.recent.placeholder_text() or ""))

    run_async(scenario())
    assert stack.window.recent.calls() == []
    assert stack.window.header.caller_name.text() == "Aarav Mehta"


def test_typing_into_a_cached_contact_survives_the_background_refresh(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    stack = make_stack(dedupe_seconds=0)
    window = stack.window

    async def scenario() -> None:
        stack.pop(KNOWN)
        await _settled(stack, "found")
        stack.pop(PLAIN)
        await _settled(stack, "found")
        sandbox.add_fault("latency", action="contactInfo", ms=300, times=1)
        stack.pop(KNOWN)  # from the cache at once; the refresh is still on its way
        name = window.form.editor("Name")
        assert isinstance(name, QLineEdit)
        name.setText("Aarav Mehta (son)")
        name.textEdited.emit(name.text())
        await wait_until(lambda: _contact_info_requests(sandbox) == 3)
        await quiesce()

    run_async(scenario())
    assert window.form.values()["Name"] == "Aarav Mehta (son)"
