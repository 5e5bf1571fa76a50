"""A queued save's check against DeepCall, the order of a caller's saves, and what comes back
to the drafts (review of issue 10, findings 3, 4, 7, 10, 11 and 15): never a silent
overwrite, never a newer draft lost, never an update overtaking its create."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.api.errors import ApiGroup, DeepCallError
from app.sandbox.server import SandboxServer
from app.services.outbox import CREATE, UPDATE
from app.services.outbox_delivery import (
    UNKNOWN_VALUE,
    Delivered,
    Returned,
    Save,
    deliver_update,
)
from app.services.store import LocalStore
from tests.fixtures.qt_async import wait_signal, wait_until
from tests.services.outbox_parts import PLAIN, UNKNOWN, client_for, outbox_parts

EMAIL = ("Cu", "Email")
NAME = ("Cu", "Name")
AGE = ("Cu", "Age")
VIP = ("Cu", "VIP")


class OneContact:
    """A DeepCall client double for a unit test of the check alone: getInfo answers
    ``info``; update records what it was asked to write, or raises ``refusal``."""

    def __init__(self, info: dict[str, object], refusal: DeepCallError | None = None) -> None:
        self.info = info
        self.refusal = refusal
        self.written: dict[str, str] = {}

    async def directory_get_info(self, cn: str, field: str = "all") -> dict[str, object]:
        return self.info

    async def directory_update(self, contact: str, info: dict[str, str]) -> dict[str, object]:
        if self.refusal is not None:
            raise self.refusal
        self.written.update(info)
        return {}


async def _check(tmp_path: Path, client: OneContact, values: dict[str, str],
                 base: dict[str, str], fields: dict[str, tuple[str, str]]) -> Any:
    store = LocalStore.in_profile(tmp_path)
    try:
        item_id = store.enqueue(UPDATE, PLAIN, {
            "contactinfo": values, "base": base,
            "fields": {key: list(field) for key, field in fields.items()}})
        item = store.outbox_item(item_id)
        assert item is not None
        save = Save.of(item)
        assert save is not None
        return await deliver_update(client, store, item, save)  # type: ignore[arg-type]
    finally:
        store.close()


def test_an_unchanged_number_or_yes_no_value_is_no_conflict(
        run_async: Callable[..., Any], tmp_path: Path) -> None:
    # The form showed display_text(42.0) == "42" and display_text(True) == "yes".
    client = OneContact({"custom_field_2": 42.0, "custom_field_3": True})
    outcome = run_async(_check(tmp_path, client, {"custom_field_2": "43", "custom_field_3": "no"},
                               {"custom_field_2": "42", "custom_field_3": "yes"},
                               {"custom_field_2": AGE, "custom_field_3": VIP}))
    assert isinstance(outcome, Delivered), outcome
    assert client.written == {"custom_field_2": "43", "custom_field_3": "no"}


def test_a_key_getinfo_leaves_out_is_unknown_never_overwritten(
        run_async: Callable[..., Any], tmp_path: Path) -> None:
    # DeepCall answered, but without "email": not "empty", so not written blind.
    client = OneContact({"name": "Rohan Gupta", "city": "Delhi"})
    outcome = run_async(_check(tmp_path, client, {"email": "r@g.in", "name": "Rohan G"},
                               {"email": "", "name": "Rohan Gupta"},
                               {"email": EMAIL, "name": NAME}))
    assert isinstance(outcome, Returned)
    assert client.written == {}
    [email, name] = outcome.drafts
    assert (email.label, email.value, email.theirs, email.error) == (
        "Email", "r@g.in", None, UNKNOWN_VALUE)
    assert (name.label, name.value, name.error) == ("Name", "Rohan G", "")


def test_a_refusal_naming_the_key_in_another_case_sits_next_to_that_field(
        run_async: Callable[..., Any], tmp_path: Path) -> None:
    refusal = DeepCallError(1000, "Invalid parameter: Email", ApiGroup.DIRECTORY, "update")
    outcome = run_async(_check(tmp_path, OneContact({"email": ""}, refusal),
                               {"email": "x@y"}, {"email": ""}, {"email": EMAIL}))
    assert isinstance(outcome, Returned)
    assert outcome.form_error == ""
    assert "Invalid parameter: Email" in outcome.drafts[0].error


def test_a_key_missing_from_getinfo_is_never_taken_as_empty(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path,
        monkeypatch: Any) -> None:
    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            view = await parts.view(PLAIN)  # email empty when the form was filled
            async with client_for(sandbox.base_url) as colleague:
                await colleague.directory_update(PLAIN, {"email": "desk@gupta.in"})
            assert parts.client is not None
            real = parts.client.directory_get_info

            async def nested(cn: str, field: str = "all") -> dict[str, object]:
                # The same facts in another shape: none of the saved keys at the top.
                return {"contact": cn, "contactinfo": await real(cn, field)}

            monkeypatch.setattr(parts.client, "directory_get_info", nested)
            await wait_signal(parts.outbox.saveReturned, timeout=10, trigger=lambda:
                              parts.edits.save(view, {EMAIL: "rohan@gupta.in"}))
            record = sandbox.contact(PLAIN[1:])
            assert record is not None
            assert record.values["email"] == "desk@gupta.in"
            draft = parts.edits.drafts(PLAIN)[EMAIL]
            # Asked for alone (field=email), DeepCall still did not show it: kept, unsaved.
            assert (draft.value, draft.error) == ("rohan@gupta.in", UNKNOWN_VALUE)
            assert _getinfo_fields(sandbox)[-2:] == ["all", "email"]

    run_async(scenario())


def test_a_create_is_made_when_getinfo_answers_an_empty_success(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path,
        monkeypatch: Any) -> None:
    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            assert parts.client is not None

            async def empty(cn: str, field: str = "all") -> dict[str, object]:
                return {}  # what parse_directory_info gives for "message": {} / [] / ""

            monkeypatch.setattr(parts.client, "directory_get_info", empty)
            _, _, saved, kind = await wait_signal(
                parts.outbox.saveDelivered, timeout=10, trigger=lambda: parts.outbox.add_save(
                    UNKNOWN, CREATE, {"name": "Meera Nair"}, {"name": ""}, {"name": NAME}))
            assert (saved, kind) == ({"name": "Meera Nair"}, CREATE)
            record = sandbox.contact(UNKNOWN[1:])
            assert record is not None
            assert record.values["name"] == "Meera Nair"

    run_async(scenario())


def test_a_returned_save_never_overwrites_a_newer_draft(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            view = await parts.view(PLAIN)
            sandbox.set_faults("http503@Directory/getInfo")
            await wait_signal(parts.outbox.saveWaiting, timeout=10, trigger=lambda:
                              parts.edits.save(view, {EMAIL: "rohan@gupta.co"}))
            # The agent fixes a typo and moves on to the next call (keep on callerLeaving).
            parts.edits.keep(view, {EMAIL: "rohan@gupta.com"})
            async with client_for(sandbox.base_url) as colleague:
                await colleague.directory_update(PLAIN, {"email": "desk@gupta.in"})
            sandbox.clear_faults()
            await wait_signal(parts.outbox.saveReturned, timeout=10,
                              trigger=parts.outbox.retry_all)
            draft = parts.edits.drafts(PLAIN)[EMAIL]
            assert (draft.value, draft.base) == ("rohan@gupta.com", "rohan@gupta.co")
            assert draft.theirs == "desk@gupta.in"  # the conflict joins the newer draft

    run_async(scenario())


def test_an_update_waits_for_the_create_queued_before_it(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path,
                                backoff=lambda _n: 0.3) as parts:
            sandbox.set_faults("http503@Directory/create*1")
            await wait_signal(parts.outbox.saveWaiting, timeout=10, trigger=lambda:
                              parts.outbox.add_save(UNKNOWN, CREATE, {"name": "Meera Nair"},
                                                    {"name": ""}, {"name": NAME}))
            returned: list[Any] = []
            parts.outbox.saveReturned.connect(lambda *a: returned.append(a))
            delivered: list[Any] = []
            parts.outbox.saveDelivered.connect(lambda *a: delivered.append(a[3]))
            parts.outbox.add_save(UNKNOWN, UPDATE, {"email": "meera@nair.in"},
                                  {"email": ""}, {"email": EMAIL})
            await wait_until(lambda: len(delivered) + len(returned) == 2, 10)
            assert returned == []
            assert delivered == [CREATE, UPDATE]
            record = sandbox.contact(UNKNOWN[1:])
            assert record is not None
            assert (record.values["name"], record.values["email"]) == (
                "Meera Nair", "meera@nair.in")

    run_async(scenario())


def test_a_refused_create_takes_the_update_typed_on_top_of_it_back_too(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            returned: list[int] = []
            parts.outbox.saveReturned.connect(lambda i, _n, _m: returned.append(i))
            create = parts.outbox.add_save(UNKNOWN, CREATE, {"name": "R2D2"},
                                           {"name": ""}, {"name": NAME})
            # Typed while the create waited: its base is what the create would have saved.
            update = parts.outbox.add_save(UNKNOWN, UPDATE,
                                           {"name": "R2 D2", "email": "r2@d2.in"},
                                           {"name": "R2D2", "email": ""},
                                           {"name": NAME, "email": EMAIL})
            await wait_until(lambda: len(returned) == 2 and not parts.outbox.busy, 10)
            assert returned == [create, update]
            assert parts.store.outbox_items() == []
            drafts = parts.edits.drafts(UNKNOWN)
            # Nothing of it is in DeepCall: the fields start from DeepCall's (empty) values,
            # so the next Save (an "Add to DeepCall") reports no false conflict.
            assert (drafts[NAME].value, drafts[NAME].base) == ("R2 D2", "")
            assert drafts[NAME].error.startswith("DeepCall refused this value")
            assert (drafts[EMAIL].value, drafts[EMAIL].base) == ("r2@d2.in", "")
            assert [r.action for r in sandbox.requests()] == ["getInfo", "create"]

    run_async(scenario())


def test_a_save_deepcall_cannot_take_for_its_number_comes_back_not_retried(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            _, number, form_error = await wait_signal(
                parts.outbox.saveReturned, timeout=10, trigger=lambda: parts.outbox.add_save(
                    "+123", UPDATE, {"email": "a@b.in"}, {"email": ""}, {"email": EMAIL}))
            assert number == "+123"
            assert form_error  # DeepCall's 1005 in plain words, above the form
            assert parts.store.outbox_items() == []
            assert parts.edits.drafts("+123")[EMAIL].value == "a@b.in"

    run_async(scenario())


def _getinfo_fields(sandbox: SandboxServer) -> list[object]:
    """The ``field`` of each getInfo the sandbox received, in order."""
    return [r.body.get("field") if r.body else None for r in sandbox.requests()
            if r.action == "getInfo"]


def _without_in_full_answers(monkeypatch: Any, parts: Any, key: str) -> None:
    """getInfo (real HTTP to the sandbox) answers ``field=all`` without ``key``, as an
    account may; asked for ``key`` alone it answers as the sandbox does."""
    real = parts.client.directory_get_info

    async def partial(cn: str, field: str = "all") -> dict[str, object]:
        answer = await real(cn, field)
        return {k: v for k, v in answer.items() if k != key} if field == "all" else answer

    monkeypatch.setattr(parts.client, "directory_get_info", partial)


def test_a_key_left_out_of_getinfo_is_asked_for_alone_and_then_written(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path,
        monkeypatch: Any) -> None:
    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            view = await parts.view(PLAIN)  # email empty, as DeepCall still has it
            _without_in_full_answers(monkeypatch, parts, "email")
            sandbox.clear_requests()
            _, _, saved, _ = await wait_signal(
                parts.outbox.saveDelivered, timeout=10,
                trigger=lambda: parts.edits.save(view, {EMAIL: "rohan@gupta.in"}))
            assert saved == {"email": "rohan@gupta.in"}

    run_async(scenario())
    record = sandbox.contact(PLAIN[1:])
    assert record is not None
    assert record.values["email"] == "rohan@gupta.in"
    assert _getinfo_fields(sandbox) == ["all", "email"]


def test_a_key_left_out_of_getinfo_and_changed_meanwhile_is_a_conflict(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path,
        monkeypatch: Any) -> None:
    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            view = await parts.view(PLAIN)
            async with client_for(sandbox.base_url) as colleague:
                await colleague.directory_update(PLAIN, {"email": "desk@gupta.in"})
            _without_in_full_answers(monkeypatch, parts, "email")
            await wait_signal(parts.outbox.saveReturned, timeout=10, trigger=lambda:
                              parts.edits.save(view, {EMAIL: "rohan@gupta.in"}))
            draft = parts.edits.drafts(PLAIN)[EMAIL]
            assert (draft.value, draft.theirs) == ("rohan@gupta.in", "desk@gupta.in")
            assert "meanwhile" in draft.error

    run_async(scenario())
    record = sandbox.contact(PLAIN[1:])
    assert record is not None
    assert record.values["email"] == "desk@gupta.in"  # the colleague's value stays


def test_a_key_that_is_no_field_of_the_account_is_deepcalls_refusal_next_to_it(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    shoe_size = ("Cu", "Shoe size")

    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            sandbox.clear_requests()
            _, _, form_error = await wait_signal(
                parts.outbox.saveReturned, timeout=10, trigger=lambda: parts.outbox.add_save(
                    PLAIN, UPDATE, {"custom_field_9": "42", "name": "Rohan G"},
                    {"custom_field_9": "", "name": "Rohan Gupta"},
                    {"custom_field_9": shoe_size, "name": NAME}))
            assert form_error == ""
            drafts = parts.edits.drafts(PLAIN)
            assert drafts[shoe_size].error.startswith("DeepCall refused this value")
            assert "custom_field_9" in drafts[shoe_size].error
            assert (drafts[NAME].value, drafts[NAME].error) == ("Rohan G", "")  # kept too

    run_async(scenario())
    assert _getinfo_fields(sandbox) == ["all", "custom_field_9"]
    assert [r.action for r in sandbox.requests()] == ["getInfo", "getInfo"]  # nothing written
