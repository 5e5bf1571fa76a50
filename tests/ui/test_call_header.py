"""The shown call in the window (issue 11), through the app's real graph: the header follows
``CallTracker.callChanged`` (ringing, in call with a running duration, ended, the line, a
transfer); a withheld caller is shown as such, with nothing looked up."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QLabel

from app.core.caller_id import WITHHELD_LABEL
from app.sandbox.seed import DEMO_KNOWN_NUMBER
from app.sandbox.server import SandboxServer
from app.services.call_tracker import ShownCall
from app.ui.call_status import call_details_text, call_state_text, duration_text
from tests.fixtures.qt_async import wait_until
from tests.ui.conftest import RunAsync, StackFactory

KNOWN = "+" + DEMO_KNOWN_NUMBER


def test_durations_and_texts() -> None:
    assert duration_text(135) == "02:15"
    assert duration_text(3600 + 62) == "1:01:02"
    assert duration_text(-3) == "00:00"
    assert call_state_text(None, 0) == ""
    assert call_state_text(ShownCall(None, None), 0) == ""
    assert call_state_text(ShownCall("c", "ringing"), 0) == "Ringing"
    assert call_state_text(ShownCall("c", "answered", answered_at=100.0), 235.5) == \
        "In call 02:15"
    assert call_state_text(ShownCall("c", "ended", duration_seconds=271), 0) == \
        "Call ended · 04:31"
    assert call_details_text(ShownCall("c", "ringing", line="Sales IN",
                                       from_agent="Priya")) == \
        "Sales IN · Transferred from Priya"


def test_the_header_follows_the_shown_call_and_ticks_only_in_call(
        make_stack: StackFactory, run_async: RunAsync) -> None:
    stack = make_stack()
    call = stack.window.header.call
    calls = stack.session.calls

    async def scenario() -> None:
        assert stack.pop(KNOWN, "call-1")
        calls.callChanged.emit(ShownCall("call-1", "ringing", line="Sales IN"))
        assert call.state.text() == "Ringing"
        assert call.details.full_text() == "Sales IN"
        assert not call.ticking
        answered = time.monotonic() - 135
        calls.callChanged.emit(ShownCall("call-1", "answered", line="Sales IN",
                                         from_agent="Priya", answered_at=answered))
        assert call.state.text() == "In call 02:15"
        assert call.details.full_text() == "Sales IN · Transferred from Priya"
        assert call.ticking
        # The clock runs on screen: the next second shows without another event.
        await wait_until(lambda: call.state.text() == "In call 02:16", 3)
        calls.callEnded.emit(ShownCall("call-1", "ended", line="Sales IN",
                                       duration_seconds=271))
        calls.callChanged.emit(ShownCall("call-1", "ended", line="Sales IN",
                                         duration_seconds=271))
        assert call.state.text() == "Call ended · 04:31"
        assert not call.ticking
        await stack.shown(KNOWN)
        # A pop with no call around it (a clipboard number): nothing about a call.
        calls.callChanged.emit(ShownCall(None, None))
        assert not call.isVisibleTo(stack.window)

    run_async(scenario())


def test_a_withheld_caller_is_shown_as_such_and_nothing_is_looked_up(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    stack = make_stack()
    window = stack.window
    before = len(sandbox.requests())

    async def scenario() -> None:
        # What the services emit for a withheld pop (part S): the call's key, the label.
        stack.coordinator.popReceived.emit("withheld:call-7", WITHHELD_LABEL, None)
        await wait_until(lambda: window.status == "withheld", 2)

    run_async(scenario())
    assert window.header.number.full_text() == WITHHELD_LABEL
    assert window.header.status.text() == "Withheld"
    page_text = [label.text() for label in window.form.widget().findChildren(QLabel)
                 if label.isVisibleTo(window.form)]
    assert page_text == ["The caller withheld their number: there is nothing to look up."]
    # No call id: a note cannot be filed; the box says why and keeps what is typed.
    window.notes.editor.setPlainText("Asked for the manager")
    assert not window.notes.send_button.isEnabled()
    assert "call's ID" in window.notes.status.text()
    # An event names the call now: notes can go under it.
    stack.session.calls.callChanged.emit(ShownCall("call-7", "answered",
                                                   answered_at=time.monotonic()))
    assert window.notes.send_button.isEnabled()
    assert window.notes.editor.toPlainText() == "Asked for the manager"
    assert window.header.call.state.text().startswith("In call")
    assert len(sandbox.requests()) == before
