"""The calls around the pops in the whole app graph (issue 11): what the socket hands over
(``popRequested``, ``callEventReceived``) reaches the call tracker, ``state`` reports the
call, and a withheld caller costs DeepCall nothing; real window, real sandbox over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from app.core.pop_request import CallEvent, PopRequest
from app.sandbox.seed import DEMO_KNOWN_NUMBER
from app.sandbox.server import SandboxServer
from tests.fixtures.qt_async import wait_until
from tests.ui.conftest import StackFactory, quiesce

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]
KNOWN = "+" + DEMO_KNOWN_NUMBER


def test_the_sockets_calls_reach_state_through_the_app_graph(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    stack = make_stack()
    server = stack.session.server

    async def scenario() -> None:
        server.popRequested.emit(PopRequest(KNOWN, "c1", source="softphone", line="Sales IN"))
        await wait_until(lambda: stack.window.status == "found")
        await quiesce()
        server.callEventReceived.emit(CallEvent("answered", "c1"))

    run_async(scenario())
    state = stack.state()
    assert (state["number"], state["status"], state["call_id"], state["call_state"],
            state["line"]) == (KNOWN, "found", "c1", "answered", "Sales IN")
    [latest, *_] = state["history"]  # type: ignore[misc]
    assert (latest["call_id"], latest["call_state"], latest["line"]) == (
        "c1", "answered", "Sales IN")


def test_a_withheld_caller_without_a_call_id_keeps_the_note_and_says_why(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    stack = make_stack()
    notes = stack.window.notes

    async def scenario() -> None:
        stack.session.server.popRequested.emit(PopRequest(None, source="softphone"))
        await quiesce()

    sandbox.clear_requests()
    run_async(scenario())
    state = stack.state()
    assert (state["number"], state["formatted"], state["status"], state["call_state"]) == (
        None, "Withheld number", "withheld", None)
    notes.editor.setPlainText("Said they would call back from their office line")
    notes.send_button.click()
    assert notes.editor.toPlainText() == "Said they would call back from their office line"
    # Sending waits for the call's id, and the box says so (no button to press in vain).
    assert "needs the call's ID" in notes.status.text()
    assert not notes.send_button.isEnabled()
    assert stack.store.outbox_items() == []
    assert sandbox.requests() == []  # nothing looked up, nothing sent


def test_a_call_ringing_during_the_agents_call_is_announced_not_shown(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    """Review 11 (calls), 2: in c1, the socket's ringing of c2 leaves the window on c1; the
    status bar and the history panel say c2 rang."""
    stack = make_stack()
    server = stack.session.server
    other = "+919988776655"

    async def scenario() -> None:
        server.popRequested.emit(PopRequest(KNOWN, "c1", source="softphone"))
        await wait_until(lambda: stack.window.status == "found")
        server.callEventReceived.emit(CallEvent("answered", "c1"))
        await quiesce()
        server.popRequested.emit(PopRequest(other, "c2", source="softphone", line="Sales IN"))
        await quiesce()

    run_async(scenario())
    state = stack.state()
    assert (state["number"], state["call_id"], state["call_state"]) == (
        KNOWN, "c1", "answered")
    assert stack.window.statusBar().currentMessage() == (
        "Another call is ringing: +91 99887 76655 (Sales IN)")
    controller = stack.session.history_ui
    assert controller.show_action is not None
    controller.show_action.trigger()
    panel = controller.panel
    run_async(wait_until(lambda: panel.list.topLevelItemCount() == 2, 5))
    assert (panel.list.topLevelItem(0).text(1), panel.list.topLevelItem(0).text(2)) == (
        "+91 99887 76655", "Rang during your call")
