"""Notes from the window reach DeepCall (the sandbox); a failed note is kept and retried once."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from pytestqt.qtbot import QtBot

from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_PLAIN_NUMBER
from app.sandbox.server import SandboxServer
from tests.fixtures.qt_async import wait_signal, wait_until
from tests.ui.conftest import Stack, StackFactory, quiesce

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]
KNOWN = "+" + DEMO_KNOWN_NUMBER


def test_a_note_is_sent_for_the_current_call(make_stack: StackFactory, run_async: RunAsync,
                                             sandbox: SandboxServer, qtbot: QtBot) -> None:
    stack = make_stack()
    notes = stack.window.notes
    before = len(sandbox.notes(DEMO_KNOWN_NUMBER))

    async def scenario() -> None:
        stack.pop(KNOWN, call_id=None)
        await wait_until(lambda: stack.window.status == "found")
        await quiesce()
        notes.editor.setPlainText("Wants a callback about the Gold plan")
        await wait_signal(stack.outbox.noteSent, 5, trigger=notes.send_button.click)

    run_async(scenario())
    saved = sandbox.notes(DEMO_KNOWN_NUMBER)
    assert len(saved) == before + 1
    assert saved[-1].content == "Wants a callback about the Gold plan"
    # No callId came with the pop: the latest call from recentCalls is used.
    assert saved[-1].call_id == stack.window.recent.calls()[0].call_id
    assert notes.editor.toPlainText() == ""
    assert "saved" in notes.status.text()


def test_a_failed_note_is_kept_and_retried_once(make_stack: StackFactory, run_async: RunAsync,
                                                sandbox: SandboxServer) -> None:
    stack = make_stack()
    notes = stack.window.notes
    before = len(sandbox.notes(DEMO_KNOWN_NUMBER))
    text = "Asked for an invoice copy"

    async def scenario() -> None:
        stack.pop(KNOWN)
        await wait_until(lambda: stack.window.status == "found")
        await quiesce()
        sandbox.add_fault("http503", action="notesAdd")
        notes.editor.setPlainText(text)
        await wait_signal(stack.outbox.noteFailed, 5, trigger=notes.send_button.click)
        await quiesce()
        assert notes.editor.toPlainText() == text  # nothing lost
        assert "Retry" in notes.send_button.text()
        assert len(sandbox.notes(DEMO_KNOWN_NUMBER)) == before
        sandbox.clear_faults()
        await wait_signal(stack.outbox.noteSent, 5, trigger=notes.send_button.click)
        await quiesce()

    run_async(scenario())
    saved = sandbox.notes(DEMO_KNOWN_NUMBER)
    assert [n.content for n in saved[before:]] == [text]  # sent exactly once
    assert saved[-1].call_id == stack.window.recent.calls()[0].call_id
    assert notes.editor.toPlainText() == ""
    assert stack.store.outbox_items() == []


def test_a_half_typed_note_stays_with_its_caller(make_stack: StackFactory, run_async: RunAsync,
                                                 sandbox: SandboxServer) -> None:
    stack = make_stack(dedupe_seconds=0)
    editor = stack.window.notes.editor
    other = "+" + DEMO_PLAIN_NUMBER

    async def scenario() -> None:
        stack.pop(KNOWN)
        await wait_until(lambda: stack.window.status == "found")
        editor.setPlainText("Asked about the")
        stack.pop(other)  # the next call arrives before the note was sent
        # Never the previous caller's words in this caller's note box.
        assert editor.toPlainText() == ""
        await wait_until(lambda: stack.window.status == "found")
        stack.pop(KNOWN)
        assert editor.toPlainText() == "Asked about the"
        await wait_until(lambda: stack.window.status == "found")
        await quiesce()

    run_async(scenario())
    assert stack.store.load_draft(KNOWN) == "Asked about the"  # kept on disk too
    assert stack.store.load_draft(other) == ""


async def note_fails_for_one_caller_then_pop_another(stack: Stack, sandbox: SandboxServer,
                                                     text: str, other: str) -> None:
    """Pop KNOWN, send ``text`` while notesAdd answers 503, then pop ``other`` (whose answer
    has the outbox try the note again, still in vain) and let notesAdd work again."""
    stack.pop(KNOWN)
    await wait_until(lambda: stack.window.status == "found")
    await quiesce()
    sandbox.add_fault("http503", action="notesAdd")
    stack.window.notes.editor.setPlainText(text)
    await wait_signal(stack.outbox.noteFailed, 5,
                      trigger=stack.window.notes.send_button.click)
    await quiesce()
    stack.pop(other)
    await wait_until(lambda: stack.window.status == "found")
    await quiesce()
    sandbox.clear_faults()


def test_the_same_words_for_another_caller_are_that_callers_own_note(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    # A failed note for caller A must not swallow caller B's identical note as a "retry" of A's,
    # nor may A's note, once sent, wipe B's unsent box.
    stack = make_stack(dedupe_seconds=0)
    notes = stack.window.notes
    other = "+" + DEMO_PLAIN_NUMBER
    text = "Call back tomorrow"
    before_known = len(sandbox.notes(DEMO_KNOWN_NUMBER))
    before_other = len(sandbox.notes(DEMO_PLAIN_NUMBER))

    async def scenario() -> None:
        await note_fails_for_one_caller_then_pop_another(stack, sandbox, text, other)
        notes.editor.setPlainText(text)  # B's words, not sent yet
        sent = await wait_signal(stack.outbox.noteSent, 5, trigger=stack.outbox.retry_all)
        assert sent[1] == KNOWN  # A's note went; B's box keeps B's words
        assert notes.editor.toPlainText() == text
        await wait_signal(stack.outbox.noteSent, 5, trigger=notes.send_button.click)
        await quiesce()

    run_async(scenario())
    assert [n.content for n in sandbox.notes(DEMO_PLAIN_NUMBER)[before_other:]] == [text]
    assert [n.content for n in sandbox.notes(DEMO_KNOWN_NUMBER)[before_known:]] == [text]
    assert stack.store.outbox_items() == []


def test_a_note_sent_later_does_not_come_back_as_a_draft(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    # A failed note stays in the outbox; the next call must not also keep it as the caller's
    # draft, or it reappears unsent in the box after the outbox delivered it (a duplicate).
    stack = make_stack(dedupe_seconds=0)
    notes = stack.window.notes
    other = "+" + DEMO_PLAIN_NUMBER
    text = "Promised a refund by Friday"
    before = len(sandbox.notes(DEMO_KNOWN_NUMBER))

    async def scenario() -> None:
        await note_fails_for_one_caller_then_pop_another(stack, sandbox, text, other)
        # The outbox is flushed (as at the next start or settings change).
        await wait_signal(stack.outbox.noteSent, 5, trigger=stack.outbox.retry_all)
        await quiesce()
        stack.pop(KNOWN)
        await wait_until(lambda: stack.window.status == "found")
        await quiesce()

    run_async(scenario())
    assert [n.content for n in sandbox.notes(DEMO_KNOWN_NUMBER)[before:]] == [text]
    assert notes.editor.toPlainText() == ""
    assert stack.store.load_draft(KNOWN) == ""


def test_a_note_the_local_outbox_cannot_take_leaves_the_box_usable(
        make_stack: StackFactory, run_async: RunAsync) -> None:
    # The outbox write comes first; when it fails (a full disk, a broken database) the agent
    # keeps the text and a working button instead of a box stuck on "Sending…".
    stack = make_stack()
    notes = stack.window.notes

    async def scenario() -> None:
        stack.pop(KNOWN)
        await wait_until(lambda: stack.window.status == "found")
        await quiesce()

    run_async(scenario())
    stack.store.close()  # every write now fails
    notes.editor.setPlainText("Wants the premium plan")
    notes.send_button.click()
    assert notes.send_button.isEnabled()
    assert notes.editor.toPlainText() == "Wants the premium plan"
    assert "not sent" in notes.status.text()


def test_the_same_caller_popping_again_keeps_what_was_being_typed(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    # A repeat pop of the shown caller (after an error, or past the dedupe window) must not
    # replace the words typed since the last draft save with the older saved draft.
    stack = make_stack(dedupe_seconds=0)
    editor = stack.window.notes.editor

    async def scenario() -> None:
        stack.pop(KNOWN)
        await wait_until(lambda: stack.window.status == "found")
        editor.setPlainText("Wants a callback")
        stack.save_note_draft_now()
        editor.setPlainText("Wants a callback at 5 pm, on the office line")  # not saved yet
        stack.pop(KNOWN)
        assert editor.toPlainText() == "Wants a callback at 5 pm, on the office line"
        await wait_until(lambda: stack.window.status == "found")
        await quiesce()

    run_async(scenario())
    assert stack.store.load_draft(KNOWN) == "Wants a callback at 5 pm, on the office line"
