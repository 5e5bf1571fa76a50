"""Held notes, in the whole app over real HTTP: the sandbox's faults hold them, the agent
decides through the status bar's button, and the sandbox's stored notes say what arrived."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.sandbox.seed import DEMO_KNOWN_NUMBER
from app.sandbox.server import SandboxServer
from app.services.outbox import NoteTarget
from app.services.store import LocalStore
from tests.fixtures.qt_async import wait_until
from tests.fixtures.questions import answer
from tests.services.outbox_parts import outbox_parts
from tests.ui.conftest import Stack, StackFactory, quiesce

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]
KNOWN = "+" + DEMO_KNOWN_NUMBER
IN_DEEPCALL, NOT_THERE, ALSO_NOT_THERE = ("A: call back at 5", "B: wants the brochure",
                                          "C: asked about the invoice")


def _hold(stack: Stack, sandbox: SandboxServer, fault: str, text: str,
          run_async: RunAsync) -> None:
    sandbox.set_faults(fault)
    stack.outbox.add_note(NoteTarget(KNOWN), text)

    async def held() -> None:
        await wait_until(lambda: any(i.payload.get("content") == text
                                     for i in stack.outbox.held_items()), 5)
        await quiesce()

    run_async(held())
    sandbox.clear_faults()


def _arrived(sandbox: SandboxServer, before: int) -> list[str]:
    return [note.content for note in sandbox.notes(DEMO_KNOWN_NUMBER)[before:]]


def test_a_double_click_on_send_again_sends_only_the_note_the_agent_chose(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer,
        qtbot: QtBot) -> None:
    stack = make_stack()
    before = len(sandbox.notes(DEMO_KNOWN_NUMBER))
    # A reached DeepCall but its answer did not; B and C never reached it. All three are
    # held: the app cannot tell the difference, the agent checks DeepCall.
    _hold(stack, sandbox, "drop_after@notesAdd*1", IN_DEEPCALL, run_async)
    _hold(stack, sandbox, "drop@notesAdd*2", NOT_THERE, run_async)
    _hold(stack, sandbox, "drop@notesAdd*1", ALSO_NOT_THERE, run_async)
    assert _arrived(sandbox, before) == [IN_DEEPCALL]
    assert stack.state()["outbox_held"] == 3

    status = stack.session.outbox_status
    assert status.button.isVisibleTo(stack.window)
    QTest.mouseClick(status.button, Qt.MouseButton.LeftButton)
    held = status.held_window
    assert held is not None
    qtbot.waitExposed(held)
    held.items.setCurrentRow(1)  # the agent checked: B is not in DeepCall
    assert held.items.currentItem().text().startswith(f"Note for +91 98765 43210: “{NOT_THERE}")

    # A double-click (or Alt+S twice): the second click has no note the agent chose.
    QTest.mouseClick(held.send_again, Qt.MouseButton.LeftButton)
    QTest.mouseClick(held.send_again, Qt.MouseButton.LeftButton)
    run_async(quiesce())
    assert _arrived(sandbox, before) == [IN_DEEPCALL, NOT_THERE]
    assert held.selected_id() is None  # until the agent picks the next one
    assert not held.send_again.isEnabled()
    assert not held.discard.isEnabled()

    # A is in DeepCall already: the agent discards it, and the question names it.
    rows = [held.items.item(i).text() for i in range(held.items.count())]
    held.items.setCurrentRow(next(i for i, row in enumerate(rows) if IN_DEEPCALL in row))
    held.discard.click()
    box = answer(held, "Discard")
    assert IN_DEEPCALL in box.text()
    run_async(quiesce())
    assert _arrived(sandbox, before) == [IN_DEEPCALL, NOT_THERE]  # each exactly once
    assert [i.payload.get("content") for i in stack.outbox.held_items()] == [ALSO_NOT_THERE]
    assert (stack.state()["outbox"], stack.state()["outbox_held"]) == (0, 1)
    assert status.button.text() == "1 needs your decision"


def test_what_can_never_be_sent_is_held_for_the_agent_and_counted_alike_everywhere(
        make_stack: StackFactory, run_async: RunAsync) -> None:
    """An empty note or a save whose payload cannot be read (damaged-file recovery, an older
    version) is never sent: it is held with the reason, so the agent can discard it, and the
    status bar, `state` and the history's marks count the same items."""
    stack = make_stack()
    store = stack.store
    store.enqueue("note", KNOWN, {"content": "   "})
    store.enqueue("update", KNOWN, {"unreadable": "{\"contactinfo\": {\"email"})
    newer = store.enqueue("future-kind", KNOWN, {"x": 1})  # a newer version's: left alone
    stack.outbox.retry_all()
    run_async(quiesce())
    assert (stack.state()["outbox"], stack.state()["outbox_held"]) == (0, 2)
    assert stack.session.outbox_status.button.text() == "2 need your decision"
    marks = stack.session.history.pending_marks()[KNOWN]
    assert (marks.queued, marks.held) == (0, 2)

    held = stack.session.outbox_status.open_held()
    for left in (2, 1):
        held.items.setCurrentRow(0)
        assert "cannot be sent" in held.items.currentItem().text()
        held.send_again.click()  # to no avail: still held, nothing sent
        assert stack.state()["outbox_held"] == left
        held.items.setCurrentRow(0)
        held.discard.click()
        answer(held, "Discard")
    assert (stack.state()["outbox"], stack.state()["outbox_held"]) == (0, 0)
    assert not stack.session.outbox_status.button.isVisible()
    assert [item.id for item in store.outbox_items()] == [newer]


def test_what_an_earlier_run_left_unsendable_is_held_when_the_app_starts(
        tmp_path: Path, sandbox: SandboxServer, run_async: RunAsync) -> None:
    earlier = LocalStore.in_profile(tmp_path)  # e.g. recovered from a damaged file
    earlier.enqueue("note", KNOWN, {"content": ""})
    earlier.close()

    async def start() -> tuple[int, int]:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            return parts.outbox.counts()

    assert run_async(start()) == (0, 1)  # held with its reason, before anything is sent
