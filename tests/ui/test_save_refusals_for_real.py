"""A Save the whole app does not send, or DeepCall refuses: the graph tests/ui/conftest.py
builds, on a DeepCall client talking to the sandbox over loopback HTTP.

- a pattern the agent gave a field in the field mapping stops the Save here: its message
  under the field and in ``state()["field_errors"]``, the edit kept, nothing sent;
- DeepCall's 1510 (the number is on the Do-Not-Call list) for an update and a create, and
  1504 (a colleague created the caller between the app's getInfo and its create): the plain
  message on the form, the edits kept as unsaved, nothing left queued; after 1504 the next
  Save sees the colleague's contact and goes on from there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from app.api.errors import ApiGroup
from app.core.error_messages import user_message
from app.core.field_mapping import FieldMapping, default_mapping
from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_PLAIN_NUMBER, DEMO_UNKNOWN_NUMBER
from app.sandbox.server import SandboxServer
from app.services.contact_edits import FORM_ERROR_KEY, INVALID
from app.services.outbox_delivery import CONFLICT
from app.ui.contact_form import UNSAVED_MARK
from tests.fixtures.qt_async import wait_signal
from tests.ui.conftest import Stack, StackFactory, directory_values, quiesce, requests_of
from tests.ui.form_typing import editor, label_text, problem_text, type_into

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]
KNOWN = "+" + DEMO_KNOWN_NUMBER  # Aarav Mehta
PLAIN = "+" + DEMO_PLAIN_NUMBER  # Rohan Gupta, city Delhi
UNKNOWN = "+" + DEMO_UNKNOWN_NUMBER
NAME = ("Cu", "Name")
EMAIL = ("Cu", "Email")
CITY = ("Cu", "city")
CITY_HINT = "a city name with capitals, like New Delhi"
DNC = user_message(ApiGroup.DIRECTORY, 1510)
NOT_CREATED = user_message(ApiGroup.DIRECTORY, 1504)


def _directory_requests(sandbox: SandboxServer) -> list[str]:
    return [r.action for r in sandbox.requests() if r.group == "Directory"]


def _nothing_queued(stack: Stack) -> None:
    assert stack.outbox.counts() == (0, 0)
    assert stack.store.outbox_items() == []
    assert (stack.state()["outbox"], stack.state()["outbox_held"]) == (0, 0)


def test_a_mapping_pattern_stops_the_save_under_its_field_and_sends_nothing(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    stack = make_stack()
    form = stack.window.form
    stack.session.mapping.save(FieldMapping(tuple(
        dataclasses.replace(f, pattern=r"[A-Z][a-z]+( [A-Z][a-z]+)*", pattern_hint=CITY_HINT)
        if f.label == "city" else f for f in default_mapping().fields)))
    message = f"City must look like {CITY_HINT}."

    async def scenario() -> None:
        stack.pop(PLAIN)
        await stack.shown(PLAIN)
        sandbox.clear_requests()
        type_into(form, CITY, "new delhi")
        type_into(form, EMAIL, "rohan@gupta.in")  # valid, but not sent beside an invalid one
        stack.ctrl_s()
        await quiesce()
        assert problem_text(form, CITY) == message
        assert problem_text(form, EMAIL) == ""
        assert editor(form, CITY).text() == "new delhi"
        assert label_text(form, CITY).endswith(UNSAVED_MARK)
        assert stack.window.form_message.text() == INVALID
        state = stack.state()
        assert state["field_errors"] == {"City": message, FORM_ERROR_KEY: INVALID}
        assert state["unsaved"] == {"City": "new delhi", "Email": "rohan@gupta.in"}
        assert state["fields"]["City"] == "Delhi"  # type: ignore[index]
        _nothing_queued(stack)
        # A value that matches is saved, with the other edit, in one update.
        type_into(form, CITY, "New Delhi")
        await wait_signal(stack.outbox.saveDelivered, 10, trigger=stack.ctrl_s)
        await quiesce()

    run_async(scenario())
    assert _directory_requests(sandbox) == ["getInfo", "update"]  # none before the fix
    saved = directory_values(sandbox, PLAIN)
    assert (saved["custom_field_1"], saved["email"]) == ("New Delhi", "rohan@gupta.in")


@pytest.mark.parametrize("number", [KNOWN, UNKNOWN], ids=["update", "create"])
def test_a_number_on_the_dnc_list_is_refused_in_plain_words_and_the_edits_stay(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer,
        number: str) -> None:
    stack = make_stack(dedupe_seconds=0)
    window = stack.window
    action = "update" if number == KNOWN else "create"

    async def scenario() -> None:
        stack.pop(number)
        await stack.shown(number, "found" if number == KNOWN else "unknown")
        sandbox.mark_dnc(number)
        type_into(window.form, NAME, "Meera Nair")
        type_into(window.form, EMAIL, "meera@nair.example.in")
        await wait_signal(stack.outbox.saveReturned, 10, trigger=window.save_button.click)
        await quiesce()
        assert window.form_message.isVisibleTo(window)
        assert window.form_message.text() == DNC
        state = stack.state()
        assert state["field_errors"] == {FORM_ERROR_KEY: DNC}
        assert state["unsaved"] == {"Name": "Meera Nair", "Email": "meera@nair.example.in"}
        assert editor(window.form, NAME).text() == "Meera Nair"
        assert label_text(window.form, EMAIL).endswith(UNSAVED_MARK)
        _nothing_queued(stack)
        # DeepCall answering again (the next pop) sends nothing: a refusal is not retried.
        stack.pop(PLAIN)
        await stack.shown(PLAIN)
        _nothing_queued(stack)

    run_async(scenario())
    assert requests_of(sandbox, action) == 1
    assert stack.store.field_drafts(number)  # still there for the agent, after the next call
    if number == KNOWN:
        assert directory_values(sandbox, KNOWN)["name"] == "Aarav Mehta"
    else:
        assert sandbox.contact(DEMO_UNKNOWN_NUMBER) is None


@pytest.mark.parametrize("colleague", [{"name": "Meera N."}, {"company": "Nair Exports"}],
                         ids=["same-field", "other-field"])
def test_a_create_that_loses_the_race_to_a_colleagues_create_keeps_the_edits(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer,
        colleague: dict[str, str]) -> None:
    """The first Save answers 1504: the message on the form, the edit unsaved, nothing
    queued. The next Save finds the colleague's contact with getInfo and does not create:
    where the colleague filled the same field it is a conflict the agent decides; otherwise
    the agent's value is written over the colleague's contact as an update."""
    stack = make_stack()
    window = stack.window
    form = window.form

    async def scenario() -> None:
        stack.pop(UNKNOWN)
        await stack.shown(UNKNOWN, "unknown")
        sandbox.race_next_create(UNKNOWN, colleague)
        type_into(form, NAME, "Meera Nair")
        await wait_signal(stack.outbox.saveReturned, 10, trigger=window.save_button.click)
        await quiesce()
        assert window.form_message.text() == NOT_CREATED
        assert stack.state()["field_errors"] == {FORM_ERROR_KEY: NOT_CREATED}
        assert stack.state()["unsaved"] == {"Name": "Meera Nair"}
        assert label_text(form, NAME).endswith(UNSAVED_MARK)
        _nothing_queued(stack)
        assert [r.action for r in sandbox.requests() if r.group == "Directory"] == [
            "getInfo", "create"]
        sandbox.clear_requests()
        if "name" in colleague:
            await wait_signal(stack.outbox.saveReturned, 10, trigger=stack.ctrl_s)
            await quiesce()
            assert stack.state()["field_errors"] == {"Name": CONFLICT}
            assert "Meera N." in problem_text(form, NAME)
            assert stack.state()["unsaved"] == {"Name": "Meera Nair"}
        else:
            await wait_signal(stack.outbox.saveDelivered, 10, trigger=stack.ctrl_s)
            await quiesce()
            state = stack.state()
            assert (state["unsaved"], state["field_errors"]) == ({}, {})
            assert (state["status"], state["name"]) == ("found", "Meera Nair")
        _nothing_queued(stack)

    run_async(scenario())
    assert requests_of(sandbox, "create") == 0  # checked with getInfo, never created again
    saved = directory_values(sandbox, UNKNOWN)
    if "name" in colleague:
        assert saved["name"] == "Meera N."  # the colleague's value is not overwritten
        assert requests_of(sandbox, "update") == 0
    else:
        assert (saved["name"], saved["company"]) == ("Meera Nair", "Nair Exports")
        assert requests_of(sandbox, "update") == 1
