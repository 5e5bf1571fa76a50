"""The agent's edits against the sandbox over real HTTP: kept as drafts, checked, saved once
(update and create change what contactInfo answers next), conflicts and refusals back to the
drafts with the reason, never an invalid value sent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.sandbox.server import SandboxServer
from app.services.contact_edits import FORM_ERROR_KEY
from app.services.outbox_delivery import CONFLICT
from app.services.store import LocalStore
from tests.fixtures.qt_async import wait_signal
from tests.services.outbox_parts import PLAIN, UNKNOWN, client_for, outbox_parts

EMAIL = ("Cu", "Email")
CITY = ("Cu", "city")
NAME = ("Cu", "Name")


def test_an_update_reaches_deepcall_and_contactinfo_shows_it_next_time(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            view = await parts.view(PLAIN)
            edits = {EMAIL: "rohan@gupta.in", CITY: "Delhi"}  # the city did not change
            parts.edits.keep(view, edits)
            assert set(parts.edits.drafts(PLAIN)) == {EMAIL}
            sandbox.clear_requests()
            _, number, saved, kind = await wait_signal(
                parts.outbox.saveDelivered, timeout=10,
                trigger=lambda: parts.edits.save(view, edits))
            assert (number, saved, kind) == (PLAIN, {"email": "rohan@gupta.in"}, "update")
            assert [r.action for r in sandbox.requests()] == ["getInfo", "update"]
            assert sandbox.requests()[1].body["contactinfo"] == {"email": "rohan@gupta.in"}  # type: ignore[index]
            assert parts.edits.drafts(PLAIN) == {}
            assert parts.store.outbox_items() == []
            again = await parts.view(PLAIN)
            assert again.field(EMAIL).value == "rohan@gupta.in"  # type: ignore[union-attr]

    run_async(scenario())


def test_an_unknown_caller_is_created_and_is_known_next_time(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            view = await parts.view(UNKNOWN)
            assert view.is_new
            edits = {NAME: "Meera Nair", EMAIL: "meera@nair.in"}
            _, _, saved, kind = await wait_signal(
                parts.outbox.saveDelivered, timeout=10,
                trigger=lambda: parts.edits.save(view, edits))
            assert (saved, kind) == ({"name": "Meera Nair", "email": "meera@nair.in"}, "create")
            assert [r.action for r in sandbox.requests()] == ["contactInfo", "getInfo", "create"]
            known = await parts.view(UNKNOWN)
            assert not known.is_new
            assert known.caller_name == "Meera Nair"

    run_async(scenario())


def test_invalid_edits_are_never_sent_and_stay_drafts_with_their_message(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            view = await parts.view(PLAIN)
            sandbox.clear_requests()
            outcome = parts.edits.save(view, {EMAIL: "rohan at gupta", CITY: "Noida"})
            assert outcome.outbox_id is None
            assert "valid email" in outcome.field_errors[EMAIL]
            assert outcome.form_error
            assert parts.store.outbox_items() == []
            assert sandbox.requests() == []
            assert parts.edits.state(view) == {
                "unsaved": {"Email": "rohan at gupta", "City": "Noida"},
                "field_errors": {"Email": outcome.field_errors[EMAIL],
                                 FORM_ERROR_KEY: outcome.form_error}}
            # Nothing changed is no save either.
            assert parts.edits.save(view, {}).form_error.startswith("Nothing to save")

    run_async(scenario())


async def _changed_by_a_colleague(sandbox: SandboxServer, number: str,
                                  values: dict[str, str]) -> None:
    async with client_for(sandbox.base_url) as colleague:
        await colleague.directory_update(number, values)


def test_a_conflict_shows_both_values_and_keep_mine_then_saves(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            view = await parts.view(PLAIN)  # the form filled before the colleague's change
            await _changed_by_a_colleague(sandbox, PLAIN, {"email": "desk@gupta.in"})
            edits = {EMAIL: "rohan@gupta.in", CITY: "Noida"}
            _, number, form_error = await wait_signal(
                parts.outbox.saveReturned, timeout=10,
                trigger=lambda: parts.edits.save(view, edits))
            assert (number, form_error) == (PLAIN, "")
            # Nothing was overwritten, not even the field without a conflict.
            record = sandbox.contact(PLAIN[1:])
            assert record is not None
            assert (record.values["email"], record.values["custom_field_1"]) == (
                "desk@gupta.in", "Delhi")
            drafts = parts.edits.drafts(PLAIN)
            assert (drafts[EMAIL].value, drafts[EMAIL].theirs, drafts[EMAIL].error) == (
                "rohan@gupta.in", "desk@gupta.in", CONFLICT)
            assert (drafts[CITY].value, drafts[CITY].theirs) == ("Noida", None)
            assert parts.edits.save(view, edits).outbox_id is None  # the agent decides first
            parts.edits.resolve(PLAIN, EMAIL, keep_mine=True)
            _, _, saved, _ = await wait_signal(
                parts.outbox.saveDelivered, timeout=10,
                trigger=lambda: parts.edits.save(view, edits))
            assert saved == {"email": "rohan@gupta.in", "custom_field_1": "Noida"}
            record = sandbox.contact(PLAIN[1:])
            assert record is not None
            assert (record.values["email"], record.values["custom_field_1"]) == (
                "rohan@gupta.in", "Noida")

    run_async(scenario())


def test_using_deepcalls_value_drops_the_draft_and_shows_theirs(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            view = await parts.view(PLAIN)
            await _changed_by_a_colleague(sandbox, PLAIN, {"email": "desk@gupta.in"})
            await wait_signal(parts.outbox.saveReturned, timeout=10, trigger=lambda:
                              parts.edits.save(view, {EMAIL: "rohan@gupta.in"}))
            parts.edits.resolve(PLAIN, EMAIL, keep_mine=False)
            assert parts.edits.drafts(PLAIN) == {}
            assert parts.edits.view_for(view).field(EMAIL).value == "desk@gupta.in"  # type: ignore[union-attr]

    run_async(scenario())


def test_drafts_survive_a_restart_and_typing_back_or_esc_drops_them(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            view = await parts.view(PLAIN)
            parts.edits.keep(view, {EMAIL: "rohan@", CITY: "Noi"})
        reopened = LocalStore.in_profile(tmp_path)
        drafts = reopened.field_drafts(PLAIN)
        assert {k: (d.value, d.base) for k, d in drafts.items()} == {
            EMAIL: ("rohan@", ""), CITY: ("Noi", "Delhi")}
        reopened.close()
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            parts.edits.keep(view, {EMAIL: "rohan@gupta.in", CITY: "Delhi"})  # typed back
            assert {k: d.value for k, d in parts.edits.drafts(PLAIN).items()} == {
                EMAIL: "rohan@gupta.in"}
            parts.edits.revert(PLAIN, EMAIL)
            assert parts.edits.drafts(PLAIN) == {}

    run_async(scenario())


def test_a_save_waiting_in_the_outbox_is_what_the_form_shows(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            view = await parts.view(UNKNOWN)
            sandbox.set_faults("http503@Directory/getInfo")
            _, _, message = await wait_signal(
                parts.outbox.saveWaiting, timeout=10,
                trigger=lambda: parts.edits.save(view, {NAME: "Meera Nair"}))
            assert "kept" in message
            shown = parts.edits.view_for(view)
            assert shown.field(NAME).value == "Meera Nair"  # type: ignore[union-attr]
            assert not shown.is_new  # the next save updates the contact being created

    run_async(scenario())
