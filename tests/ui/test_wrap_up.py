"""After a call ends, the window goes back where it was before the pop (issue 11), through
the app's real graph: ``return_after_call_seconds`` later, never while the form has unsaved
edits or the note box holds a note (it goes once that clears), and not if a new call pops
or the agent comes to the window meanwhile."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_LEAD_NUMBER
from app.services.call_tracker import ShownCall
from tests.fixtures.qt_async import wait_until
from tests.ui.conftest import RunAsync, Stack, StackFactory
from tests.ui.form_typing import type_into

KNOWN = "+" + DEMO_KNOWN_NUMBER
LEAD = "+" + DEMO_LEAD_NUMBER
ENDED = ShownCall("call-1", "ended", duration_seconds=30)
NAME = ("Cu", "Name")


def _stack(make_stack: StackFactory, seconds: int = 1) -> Stack:
    stack = make_stack()
    stack.settings.set_value("return_after_call_seconds", seconds)
    return stack


def _end_the_call(stack: Stack) -> None:
    stack.session.calls.callEnded.emit(ENDED)


def test_a_hidden_window_is_hidden_again_after_the_call(
        make_stack: StackFactory, run_async: RunAsync) -> None:
    stack = _stack(make_stack)
    window = stack.window
    window.hide()

    async def scenario() -> None:
        assert stack.pop(KNOWN, "call-1")
        assert window.isVisible()
        await stack.shown(KNOWN)
        _end_the_call(stack)
        assert window.isVisible()  # wrap-up first: the form stays
        await wait_until(lambda: window.isHidden(), 5)

    run_async(scenario())


def test_a_minimized_window_is_minimized_again(
        make_stack: StackFactory, run_async: RunAsync) -> None:
    stack = _stack(make_stack)
    window = stack.window
    window.platform = "windows"  # where a pop brings a minimized window back
    window.showMinimized()

    async def scenario() -> None:
        assert stack.pop(KNOWN, "call-1")
        assert not window.isMinimized()
        await stack.shown(KNOWN)
        _end_the_call(stack)
        await wait_until(lambda: window.isMinimized(), 5)

    run_async(scenario())


def test_a_window_that_was_behind_goes_behind_again(
        make_stack: StackFactory, run_async: RunAsync, monkeypatch: pytest.MonkeyPatch) -> None:
    stack = _stack(make_stack)
    window = stack.window
    lowered: list[bool] = []
    monkeypatch.setattr(window, "lower", lambda: lowered.append(True))
    monkeypatch.setattr(window, "isActiveWindow", lambda: False)  # another app has the keys

    async def scenario() -> None:
        assert stack.pop(KNOWN, "call-1")
        await stack.shown(KNOWN)
        _end_the_call(stack)
        await wait_until(lambda: bool(lowered), 5)

    run_async(scenario())
    assert window.isVisible()


def test_unsaved_edits_keep_the_window_until_they_are_undone(
        make_stack: StackFactory, run_async: RunAsync) -> None:
    stack = _stack(make_stack)
    window = stack.window
    window.hide()

    async def scenario() -> None:
        assert stack.pop(KNOWN, "call-1")
        await stack.shown(KNOWN)
        saved = window.form.values()["Name"]
        type_into(window.form, NAME, "Aarav M.")
        _end_the_call(stack)
        await wait_until(lambda: window.wrap_up.waiting, 5)  # the time is up...
        assert window.isVisible()  # ...and the window stays with the edit
        assert window.form.values()["Name"] == "Aarav M."
        type_into(window.form, NAME, saved)  # typed back: nothing unsaved
        await wait_until(lambda: window.isHidden(), 5)

    run_async(scenario())


def test_a_note_being_typed_keeps_the_window_until_the_box_is_empty(
        make_stack: StackFactory, run_async: RunAsync) -> None:
    stack = _stack(make_stack)
    window = stack.window
    window.hide()

    async def scenario() -> None:
        assert stack.pop(KNOWN, "call-1")
        await stack.shown(KNOWN)
        window.notes.editor.setPlainText("Wants a call back")
        _end_the_call(stack)
        await wait_until(lambda: window.wrap_up.waiting, 5)
        assert window.isVisible()
        assert window.notes.editor.toPlainText() == "Wants a call back"
        window.notes.editor.clear()
        await wait_until(lambda: window.isHidden(), 5)

    run_async(scenario())


def test_a_new_pop_or_the_agent_coming_to_the_window_cancels_it(
        make_stack: StackFactory, run_async: RunAsync) -> None:
    stack = _stack(make_stack, seconds=60)
    window = stack.window
    window.hide()

    async def scenario() -> None:
        assert stack.pop(KNOWN, "call-1")
        await stack.shown(KNOWN)
        _end_the_call(stack)
        assert window.wrap_up.pending
        assert stack.pop(LEAD, "call-2")
        assert not window.wrap_up.pending
        # The new call keeps where the window was before the first one: hidden.
        assert window.wrap_up.place == "hidden"
        await stack.shown(LEAD)
        _end_the_call(stack)
        assert window.wrap_up.pending
        QApplication.sendEvent(window, QEvent(QEvent.Type.WindowActivate))
        assert not window.wrap_up.pending

    run_async(scenario())
    assert window.isVisible()


def test_off_by_default(make_stack: StackFactory, run_async: RunAsync) -> None:
    stack = make_stack()
    window = stack.window
    window.hide()

    async def scenario() -> None:
        assert stack.pop(KNOWN, "call-1")
        await stack.shown(KNOWN)
        _end_the_call(stack)
        assert not window.wrap_up.pending

    run_async(scenario())
    assert window.isVisible()
