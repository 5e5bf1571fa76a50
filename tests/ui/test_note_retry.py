""""Retry sending note" sends the note that failed, and only that one (review of issue 10,
finding 5): the same words typed on the caller's next call are a second note."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_PLAIN_NUMBER
from app.sandbox.server import SandboxServer
from app.services.outbox import note_text
from tests.fixtures.qt_async import wait_signal, wait_until
from tests.ui.conftest import StackFactory, quiesce

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]
KNOWN = "+" + DEMO_KNOWN_NUMBER
OTHER = "+" + DEMO_PLAIN_NUMBER


def test_the_same_words_on_the_callers_next_call_are_a_second_note(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    stack = make_stack(dedupe_seconds=0)
    notes = stack.window.notes
    text = "No answer, call back later"

    async def scenario() -> None:
        sandbox.add_fault("http503", action="notesAdd")  # DeepCall's notes away all morning
        for number in (KNOWN, OTHER, KNOWN):  # the caller, someone else, the caller again
            stack.pop(number)
            await wait_until(lambda: stack.window.status == "found")
            await quiesce()
            if number == KNOWN:
                notes.editor.setPlainText(text)
                await wait_signal(stack.outbox.noteFailed, 5,
                                  trigger=notes.send_button.click)
                await quiesce()

    run_async(scenario())
    assert [note_text(item) for item in stack.store.outbox_items("note")] == [text, text]
