"""Editing a caller in the whole app: the real ContactEdits, outbox and store in the graph
tests/ui/conftest.py builds, on a DeepCall client talking to the sandbox over loopback HTTP.

What the agent does (keys, buttons) and what DeepCall ends up holding: Save, Add, a conflict
decided with "Keep mine", a refusal kept next to its field, DeepCall away mid-shift then back,
a note that may already be in DeepCall held for the agent's decision.
(tests/ui/test_editing.py tests the window's side alone, with an in-memory ContactEdits.)"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from app.api.auth import TokenAuth
from app.api.client import DeepCallClient
from app.core.field_mapping import FieldMapping, FieldSpec, default_mapping
from app.sandbox.accounts import DEMO_TOKEN, DEMO_USER_ID
from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_PLAIN_NUMBER, DEMO_UNKNOWN_NUMBER
from app.sandbox.server import SandboxServer
from app.services.outbox_delivery import CONFLICT
from app.ui.contact_form import UNSAVED_MARK
from tests.fixtures.qt_async import wait_signal, wait_until
from tests.ui.conftest import StackFactory, directory_values, quiesce, requests_of
from tests.ui.form_typing import editor, label_text, problem_text, type_into

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]
DEMO_AUTH = TokenAuth(DEMO_USER_ID, DEMO_TOKEN)  # the account make_stack's app uses
KNOWN = "+" + DEMO_KNOWN_NUMBER  # Aarav Mehta
PLAIN = "+" + DEMO_PLAIN_NUMBER  # Rohan Gupta: email empty, city Delhi
UNKNOWN = "+" + DEMO_UNKNOWN_NUMBER
NAME = ("Cu", "Name")
EMAIL = ("Cu", "Email")
CITY = ("Cu", "city")
SHOE_SIZE = ("Cu", "Shoe size")  # mapped by the agent to a key the account does not have


def test_ctrl_s_saves_to_deepcall_and_the_form_header_cache_and_state_show_it(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    stack = make_stack(dedupe_seconds=0)
    form = stack.window.form

    async def scenario() -> None:
        stack.pop(KNOWN)
        await stack.shown(KNOWN)
        type_into(form, NAME, "Aarav K. Mehta")
        assert label_text(form, NAME).endswith(UNSAVED_MARK)
        await wait_signal(stack.outbox.saveDelivered, 10, trigger=stack.ctrl_s)
        await quiesce()
        assert directory_values(sandbox, KNOWN)["name"] == "Aarav K. Mehta"
        assert editor(form, NAME).text() == "Aarav K. Mehta"
        assert not label_text(form, NAME).endswith(UNSAVED_MARK)
        assert form.edits() == {}
        assert not stack.window.save_button.isEnabled()
        assert stack.window.header.caller_name.full_text() == "Aarav K. Mehta"
        state = stack.state()
        assert (state["name"], state["unsaved"], state["field_errors"]) == (
            "Aarav K. Mehta", {}, {})
        assert state["fields"]["Name"] == "Aarav K. Mehta"  # type: ignore[index]
        # The same caller again: shown from the cache at once (before the refresh in the
        # background could answer), with the saved name.
        stack.pop(KNOWN)
        state = stack.state()
        assert (state["status"], state["from_cache"]) == ("found", True)
        assert state["fields"]["Name"] == "Aarav K. Mehta"  # type: ignore[index]
        assert editor(form, NAME).text() == "Aarav K. Mehta"
        await stack.shown(KNOWN)

    run_async(scenario())


def test_add_to_deepcall_makes_an_unknown_caller_known_without_asking_again(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    stack = make_stack()
    window = stack.window

    async def scenario() -> None:
        stack.pop(UNKNOWN)
        await stack.shown(UNKNOWN, "unknown")
        assert window.save_button.text() == "&Add to DeepCall"
        asked = requests_of(sandbox, "contactInfo")
        type_into(window.form, NAME, "Meera Nair")
        await wait_signal(stack.outbox.saveDelivered, 10, trigger=window.save_button.click)
        await quiesce()
        assert directory_values(sandbox, UNKNOWN)["name"] == "Meera Nair"
        assert window.status == "found"
        assert window.header.caller_name.full_text() == "Meera Nair"
        assert window.save_button.text() == "&Save to DeepCall"
        state = stack.state()
        assert (state["status"], state["name"], state["unsaved"]) == ("found", "Meera Nair", {})
        assert requests_of(sandbox, "contactInfo") == asked

    run_async(scenario())


def test_a_change_made_in_deepcall_meanwhile_is_shown_and_keep_mine_saves_over_it(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    stack = make_stack()
    form = stack.window.form

    async def scenario() -> None:
        stack.pop(PLAIN)
        await stack.shown(PLAIN)
        # A colleague on the same account changes the email after the form was filled.
        async with DeepCallClient(sandbox.base_url, DEMO_AUTH) as colleague:
            await colleague.directory_update(PLAIN, {"email": "desk@gupta.in"})
        type_into(form, EMAIL, "rohan@gupta.in")
        await wait_signal(stack.outbox.saveReturned, 10, trigger=stack.ctrl_s)
        await quiesce()
        assert directory_values(sandbox, PLAIN)["email"] == "desk@gupta.in"  # not overwritten
        under = problem_text(form, EMAIL)
        assert "desk@gupta.in" in under
        assert "rohan@gupta.in" in under
        assert editor(form, EMAIL).text() == "rohan@gupta.in"
        assert stack.state()["field_errors"] == {"Email": CONFLICT}
        row = form.problem_row(EMAIL)
        assert row is not None
        keep = next(b for b in row.findChildren(type(stack.window.save_button))
                    if b.text() == "Keep mine")
        keep.click()
        await wait_until(lambda: form.problem_row(EMAIL) is None)
        await wait_signal(stack.outbox.saveDelivered, 10, trigger=stack.ctrl_s)
        await quiesce()
        assert directory_values(sandbox, PLAIN)["email"] == "rohan@gupta.in"
        state = stack.state()
        assert (state["unsaved"], state["field_errors"]) == ({}, {})
        assert state["fields"]["Email"] == "rohan@gupta.in"  # type: ignore[index]

    run_async(scenario())


def test_an_edit_of_outer_whitespace_only_is_no_edit_once_save_is_pressed(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    stack = make_stack()
    window = stack.window
    form = window.form

    async def scenario() -> None:
        stack.pop(PLAIN)
        await stack.shown(PLAIN)
        type_into(form, CITY, " Delhi ")  # the saved value, with spaces around it
        stack.session.presenter.keep_drafts()
        assert stack.state()["unsaved"] == {"City": " Delhi "}
        stack.ctrl_s()
        assert "Nothing to save" in window.form_message.text()
        assert stack.state()["unsaved"] == {}
        assert stack.store.field_drafts(PLAIN) == {}
        assert PLAIN not in stack.session.history.pending_marks()
        assert editor(form, CITY).text() == "Delhi"
        assert not label_text(form, CITY).endswith(UNSAVED_MARK)
        assert not window.save_button.isEnabled()
        # Beside a real change: saved trimmed, shown as saved, no mark left behind.
        type_into(form, CITY, " Pune ")
        type_into(form, EMAIL, "rohan@gupta.in")
        await wait_signal(stack.outbox.saveDelivered, 10, trigger=stack.ctrl_s)
        await quiesce()
        assert directory_values(sandbox, PLAIN)["custom_field_1"] == "Pune"
        assert editor(form, CITY).text() == "Pune"
        assert not label_text(form, CITY).endswith(UNSAVED_MARK)
        assert form.edits() == {}
        assert stack.state()["unsaved"] == {}

    run_async(scenario())


def test_a_value_deepcall_refuses_is_explained_next_to_its_field_and_kept(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    stack = make_stack()
    form = stack.window.form
    # The agent mapped a label to a Directory key this account does not have: only DeepCall
    # can say no to that (its 1000 names the key).
    stack.session.mapping.save(FieldMapping((*default_mapping().fields, FieldSpec(
        "Shoe size", "custom", "Shoe size", 900, "text", "custom_field_9"))))
    sandbox.craft_contact_info(DEMO_KNOWN_NUMBER, {"Cu": {
        "mobile": int(DEMO_KNOWN_NUMBER), "Name": "Aarav Mehta", "Shoe size": ""}})

    async def scenario() -> None:
        stack.pop(KNOWN)
        await stack.shown(KNOWN)
        type_into(form, SHOE_SIZE, "42")
        await wait_signal(stack.outbox.saveReturned, 10, trigger=stack.ctrl_s)
        await quiesce()
        assert "DeepCall refused this value" in problem_text(form, SHOE_SIZE)
        assert "custom_field_9" in problem_text(form, SHOE_SIZE)
        assert editor(form, SHOE_SIZE).text() == "42"  # the edit is kept
        assert label_text(form, SHOE_SIZE).endswith(UNSAVED_MARK)
        state = stack.state()
        assert state["unsaved"] == {"Shoe size": "42"}
        assert "refused" in state["field_errors"]["Shoe size"]  # type: ignore[index]
        assert stack.outbox.counts() == (0, 0)

    run_async(scenario())


def test_deepcall_away_mid_shift_then_the_next_answer_delivers_each_change_once(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer,
        long_backoff: float) -> None:
    """A save and a note from the window wait while DeepCall answers 503 (status bar, state);
    when it is back, the next pop of any caller sends both at once (not the retry timer:
    the next try is ten minutes away), each exactly once."""
    stack = make_stack(dedupe_seconds=0)
    window = stack.window
    note = "Call back after the renewal quote"

    async def scenario() -> None:
        stack.pop(KNOWN)
        await stack.shown(KNOWN)
        sandbox.set_faults("http503")
        type_into(window.form, EMAIL, "aarav@renewed.example.in")
        await wait_signal(stack.outbox.saveWaiting, 10, trigger=stack.ctrl_s)
        window.notes.editor.setPlainText(note)
        await wait_signal(stack.outbox.noteFailed, 10, trigger=window.notes.send_button.click)
        await quiesce()
        button = stack.session.outbox_status.button
        assert button.isVisibleTo(window)
        assert button.text() == "2 changes waiting"
        assert (stack.state()["outbox"], stack.state()["outbox_held"]) == (2, 0)
        assert stack.nothing_due_soon()
        sandbox.clear_faults()
        sandbox.clear_requests()
        stack.pop(PLAIN)
        await wait_until(lambda: stack.outbox.counts() == (0, 0), 5)
        await stack.shown(PLAIN)
        assert (stack.state()["outbox"], stack.state()["outbox_held"]) == (0, 0)
        assert not button.isVisibleTo(window)

    run_async(scenario())
    assert [n.content for n in sandbox.notes(DEMO_KNOWN_NUMBER)].count(note) == 1
    assert (requests_of(sandbox, "notesAdd"), requests_of(sandbox, "update")) == (1, 1)
    assert directory_values(sandbox, KNOWN)["email"] == "aarav@renewed.example.in"
    assert stack.store.outbox_items() == []


def test_a_note_that_may_already_be_in_deepcall_waits_for_send_again(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    stack = make_stack()
    window = stack.window
    note = "Promised the refund by Friday"

    def stored() -> int:
        return [n.content for n in sandbox.notes(DEMO_KNOWN_NUMBER)].count(note)

    async def scenario() -> None:
        stack.pop(KNOWN)
        await stack.shown(KNOWN)
        sandbox.set_faults("drop_after@notesAdd*1")  # stored, then the connection closes
        window.notes.editor.setPlainText(note)
        await wait_signal(stack.outbox.noteHeld, 10, trigger=window.notes.send_button.click)
        await quiesce()
        assert stored() == 1
        status = stack.session.outbox_status
        assert status.button.text() == "1 needs your decision"
        assert (stack.state()["outbox"], stack.state()["outbox_held"]) == (0, 1)
        stack.pop(PLAIN)  # DeepCall answering does not send a held note
        await stack.shown(PLAIN)
        assert stored() == 1
        status.button.click()
        held = status.held_window
        assert held is not None
        assert held.isVisible()
        assert held.selected_id() is not None
        await wait_signal(stack.outbox.noteSent, 10, trigger=held.send_again.click)
        await quiesce()
        assert (stack.state()["outbox"], stack.state()["outbox_held"]) == (0, 0)
        assert not status.button.isVisibleTo(window)

    run_async(scenario())
    assert stored() == 2  # the agent chose to send it again: once more, no more
    assert requests_of(sandbox, "notesAdd") == 2
    assert stack.store.outbox_items() == []
