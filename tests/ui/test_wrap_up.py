"""After a call ends, the window goes back where it was before the pop (issue 11), through
the app's real graph: ``return_after_call_seconds`` later, never while the form has unsaved
edits or the note box holds a note (it goes once that clears), and not if a new call pops
or the agent comes to the window meanwhile."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_LEAD_NUMBER
from app.sandbox.server import SandboxServer
from app.services.call_tracker import ShownCall
from tests.fixtures.qt_async import wait_until
from tests.ui.conftest import RunAsync, Stack, StackFactory, quiesce
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


async def _keys_to_another_app(qtbot: QtBot, window: QWidget) -> QWidget:
    """The agent's CRM takes the keys (the offscreen platform activates what it shows)."""
    crm = QLineEdit()
    qtbot.addWidget(crm)
    crm.show()
    crm.activateWindow()
    await wait_until(lambda: crm.isActiveWindow() and not window.isActiveWindow(), 5)
    return crm


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


def test_unsaved_edits_keep_the_window_and_typing_in_it_keeps_it_for_the_call(
        make_stack: StackFactory, run_async: RunAsync) -> None:
    """Edits the agent did not save on an earlier call come back with this pop (drafts):
    the window waits for them; the agent then works on them in the window: it stays."""
    stack = _stack(make_stack)
    window = stack.window
    window.hide()

    async def scenario() -> None:
        assert stack.pop(KNOWN, "call-1")
        await stack.shown(KNOWN)
        saved = window.form.values()["Name"]
        window.form.restore_edits({NAME: "Aarav M."})  # as the presenter restores drafts
        _end_the_call(stack)
        await wait_until(lambda: window.wrap_up.waiting, 5)  # the time is up...
        assert window.isVisible()  # ...and the window stays with the edit
        assert window.form.values()["Name"] == "Aarav M."
        type_into(window.form, NAME, saved)  # the agent types it back, in the window
        assert not window.wrap_up.pending
        await quiesce()
        assert window.isVisible()

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


def test_the_agent_coming_to_the_window_during_the_call_keeps_it_after_the_call(
        make_stack: StackFactory, run_async: RunAsync, qtbot: QtBot) -> None:
    """Minimized before the pop; the agent comes to the window during the call (reads the
    caller): when the call ends it stays, not minimized under the agent's hands."""
    stack = _stack(make_stack)
    window = stack.window
    window.platform = "windows"  # a pop restores a minimized window there
    window.showMinimized()

    async def scenario() -> None:
        assert stack.pop(KNOWN, "call-1")
        await stack.shown(KNOWN)
        await _keys_to_another_app(qtbot, window)
        window.activateWindow()  # the agent comes to the window during the call
        await wait_until(window.isActiveWindow, 5)
        _end_the_call(stack)
        assert not window.wrap_up.pending, "the window would go back under the agent's hands"
        assert not window.isMinimized()

    run_async(scenario())


def test_x11_the_minimized_window_the_agent_opened_during_the_call_stays_open(
        make_stack: StackFactory, run_async: RunAsync, qtbot: QtBot) -> None:
    """X11: a pop leaves a minimized window minimized (it asks for attention); the agent
    opens it from the taskbar during the call: it is not minimized again at the end."""
    stack = _stack(make_stack)
    window = stack.window
    window.platform = "x11"
    window.showMinimized()

    async def scenario() -> None:
        await _keys_to_another_app(qtbot, window)
        assert stack.pop(KNOWN, "call-1")
        await stack.shown(KNOWN)
        assert window.isMinimized()
        window.showNormal()  # the agent clicks the flashing taskbar entry
        window.activateWindow()
        await wait_until(lambda: not window.isMinimized() and window.isActiveWindow(), 5)
        _end_the_call(stack)
        assert not window.wrap_up.pending, "the window would be minimized under the agent"
        assert not window.isMinimized()

    run_async(scenario())


def test_a_click_or_a_key_in_the_window_keeps_it_and_save_never_sends_it_away(
        make_stack: StackFactory, run_async: RunAsync) -> None:
    """The agent types into the form and clicks Save (events straight to the widgets, no
    activation of the window): the agent's work: neither the end of the call nor the
    save's delivery sends the window away."""
    stack = _stack(make_stack)
    window = stack.window
    window.hide()

    async def scenario() -> None:
        assert stack.pop(KNOWN, "call-1")
        await stack.shown(KNOWN)
        type_into(window.form, NAME, "Meera Nair")
        QTest.mouseClick(window.save_button, Qt.MouseButton.LeftButton)
        _end_the_call(stack)
        assert not window.wrap_up.pending
        await wait_until(lambda: stack.outbox.counts() == (0, 0), 10)  # delivered
        await quiesce()
        assert window.isVisible()

    run_async(scenario())


def test_a_new_call_while_the_wrap_up_waits_shows_the_new_caller(
        make_stack: StackFactory, run_async: RunAsync, qtbot: QtBot,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The wrap-up waits for call-1's edits; call-2 pops: emptying the form for the new
    caller must not finish the old wrap-up first (the window sent behind, or minimized or
    hidden, under the new caller)."""
    stack = _stack(make_stack)
    window = stack.window
    window.platform = "x11"
    window.show()
    lowered: list[bool] = []
    monkeypatch.setattr(window, "lower", lambda: lowered.append(True))

    async def scenario() -> None:
        await _keys_to_another_app(qtbot, window)  # the window is behind the CRM
        assert stack.pop(KNOWN, "call-1")
        await stack.shown(KNOWN)
        window.form.restore_edits({NAME: "Aarav M."})  # edits of an earlier call (drafts)
        await _keys_to_another_app(qtbot, window)
        _end_the_call(stack)
        await wait_until(lambda: window.wrap_up.waiting, 5)  # waits for the edit
        assert stack.pop(LEAD, "call-2")  # the next caller rings
        await stack.shown(LEAD)
        assert lowered == [], "the new call's pop sent the window behind"
        assert not window.wrap_up.pending
        assert window.wrap_up.place == "behind"  # where it goes after call-2

    run_async(scenario())


@pytest.mark.parametrize("delivered", [True, False])
def test_a_save_still_in_the_outbox_keeps_the_window_until_deepcall_answers(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer,
        delivered: bool) -> None:
    """The save is queued (the form shows its values as saved) and DeepCall takes 2 s: the
    window waits for the answer. Delivered: it goes back then. Refused (DNC): it stays,
    with the edits back in the form and the reason, where the agent sees them."""
    stack = _stack(make_stack)
    window = stack.window
    window.hide()

    async def scenario() -> None:
        assert stack.pop(KNOWN, "call-1")
        await stack.shown(KNOWN)
        if not delivered:
            sandbox.mark_dnc(KNOWN)
        sandbox.set_faults("latency=2000@Directory/update")
        window.form.restore_edits({NAME: "Meera Nair"})
        window.save_button.click()  # as the presenter's Save, without the agent's input
        assert not window.form.has_edits()  # shown as saved while it waits
        _end_the_call(stack)
        await wait_until(lambda: window.wrap_up.waiting, 5)
        assert window.isVisible()
        await wait_until(lambda: stack.outbox.counts() == (0, 0), 10)  # DeepCall answered
        if delivered:
            await wait_until(window.isHidden, 5)
        else:
            await wait_until(window.form.has_edits, 5)
            await quiesce()
            assert window.isVisible(), "the save's refusal landed in a hidden window"

    run_async(scenario())


@pytest.mark.parametrize("hands", ["click", "wheel", "key"])
def test_the_agents_hands_anywhere_in_the_window_keep_it(
        make_stack: StackFactory, run_async: RunAsync, hands: str) -> None:
    """A click on the caller's name, the wheel over the form, a key (an arrow in the recent
    calls): no edit, no activation, yet the agent works in the window. The window system
    hands such input to the window's native window, which the wrap-up watches."""
    stack = _stack(make_stack)
    window = stack.window
    window.hide()

    async def scenario() -> None:
        assert stack.pop(KNOWN, "call-1")
        await stack.shown(KNOWN)
        await quiesce()
        assert not window.wrap_up.agent_worked
        handle = window.windowHandle()
        assert handle is not None
        if hands == "click":
            QTest.mouseClick(handle, Qt.MouseButton.LeftButton, pos=window.header.mapTo(
                window, window.header.rect().center()))
        elif hands == "wheel":
            where = QPointF(window.form.mapTo(window, window.form.rect().center()))
            QApplication.sendEvent(handle, QWheelEvent(
                where, QPointF(window.mapToGlobal(where.toPoint())), QPoint(), QPoint(0, -120),
                Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                Qt.ScrollPhase.NoScrollPhase, False))
        else:
            QTest.keyClick(handle, Qt.Key.Key_Down)
        _end_the_call(stack)
        assert not window.wrap_up.pending, "the window would go back under the agent's hands"

    run_async(scenario())
