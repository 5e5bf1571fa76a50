"""The outbox in the whole app (tests/ui/conftest.py's graph, the sandbox over loopback HTTP):
a write that keeps failing while everything else works backs off instead of storming.
(DeepCall answering again sends what waits at once: tests/ui/test_editing_for_real.py.)"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Coroutine
from typing import Any

from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_LEAD_NUMBER
from app.sandbox.server import SandboxServer
from app.services.outbox import NoteTarget
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
    """A save and a note of one caller wait while DeepCall refuses writes (503) and answers
    reads: the getInfo before the save is a successful answer, which must not wake the note
    again (nor the note's end the save: they would take turns without end). Each is tried
    once when DeepCall answers, then backs off."""
    stack = make_stack(dedupe_seconds=0)
    window = stack.window

    async def scenario() -> None:
        stack.pop(KNOWN)
        await stack.shown(KNOWN)
        sandbox.set_faults("http503@notesAdd", "http503@update")
        window.notes.editor.setPlainText("Wants the Gold plan")
        await wait_signal(stack.outbox.noteFailed, 10, trigger=window.notes.send_button.click)
        type_into(window.form, EMAIL, "aarav@renewed.example.in")
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
    assert [requests_of(sandbox, action) for action in ("notesAdd", "getInfo", "update")] \
        == [1, 1, 1]


def test_a_callers_second_save_waits_for_the_first_and_says_so(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer,
        long_backoff: float) -> None:
    """The second save was typed on top of the first: it never overtakes it (a retry of the
    first that fails leaves it waiting), the agent hears that it waits, and once the first
    has reached DeepCall the second follows by itself."""
    stack = make_stack(dedupe_seconds=0)
    window = stack.window

    async def scenario() -> None:
        stack.pop(KNOWN)
        await stack.shown(KNOWN)
        sandbox.set_faults("http503@update")
        type_into(window.form, EMAIL, "aarav@renewed.example.in")
        await wait_signal(stack.outbox.saveWaiting, 10, trigger=window.save_button.click)
        type_into(window.form, CITY, "Pune")
        _, _, message = await wait_signal(stack.outbox.saveWaiting, 10,
                                          trigger=window.save_button.click)
        assert "earlier save" in message
        assert "earlier save" in window.statusBar().currentMessage()
        await quiesce()
        assert stack.outbox.counts() == (2, 0)
        sandbox.clear_requests()
        stack.pop(LEAD)  # DeepCall answers: the first is tried again, the second still waits
        await stack.shown(LEAD)
        await wait_until(lambda: not stack.outbox.busy, 5)
        await quiesce()
        assert (requests_of(sandbox, "getInfo"), requests_of(sandbox, "update")) == (1, 1)
        sandbox.clear_faults()
        stack.pop(KNOWN)  # DeepCall takes writes again: the first, then the second
        await wait_until(lambda: stack.outbox.counts() == (0, 0) and not stack.outbox.busy, 10)

    run_async(scenario())
    record = sandbox.contact(DEMO_KNOWN_NUMBER)
    assert record is not None
    assert (record.values["email"], record.values["custom_field_1"]) == (
        "aarav@renewed.example.in", "Pune")
    assert requests_of(sandbox, "update") == 3  # one failed try, then each save once


def test_an_unreadable_outbox_keeps_its_last_counts_in_state_and_says_it_is_unreadable(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer,
        long_backoff: float) -> None:
    """``outbox`` and ``outbox_held`` stay integers (the last counts read) while the database
    cannot be read; ``outbox_unreadable`` says so, and goes back to false once it can."""
    stack = make_stack()
    assert (stack.state()["outbox"], stack.state()["outbox_held"],
            stack.state()["outbox_unreadable"]) == (0, 0, False)
    sandbox.set_faults("http503@notesAdd")
    stack.outbox.add_note(NoteTarget(KNOWN), "Call back at 5")
    run_async(wait_until(lambda: stack.state()["outbox"] == 1, 5))
    run_async(quiesce())

    # Another program takes the table away: the app's own connection can no longer read it.
    with sqlite3.connect(stack.store.path) as other:
        other.execute("ALTER TABLE outbox RENAME TO outbox_away")
    state = stack.state()
    assert (state["outbox"], state["outbox_held"], state["outbox_unreadable"]) == (1, 0, True)
    assert type(state["outbox"]) is int
    assert type(state["outbox_held"]) is int

    with sqlite3.connect(stack.store.path) as other:
        other.execute("ALTER TABLE outbox_away RENAME TO outbox")
    state = stack.state()
    assert (state["outbox"], state["outbox_held"], state["outbox_unreadable"]) == (1, 0, False)
