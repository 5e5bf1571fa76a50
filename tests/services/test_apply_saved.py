"""A delivered save reaches the screen without another lookup: the current result, the header's
name and the cache show what DeepCall now holds, exactly as DeepCall answers it next time.

Real Directory writes and contactInfo against the sandbox over loopback HTTP.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.api.auth import TokenAuth
from app.core.contact_view import build_contact_view
from app.core.field_mapping import default_mapping
from app.sandbox.accounts import DEMO_TOKEN, DEMO_USER_ID, EMPTY_TOKEN, EMPTY_USER_ID
from app.sandbox.server import SandboxServer
from app.services.pop_result import PopResult
from tests.fixtures.qt_async import wait_signal
from tests.services.pop_parts import PopParts, pop_parts

KNOWN = "+919876543210"  # Aarav Mehta: every field, a Lead group
UNKNOWN = "+918302390884"  # unknown on the demo and the empty account


def _contact_infos(sandbox: SandboxServer) -> int:
    return sum(1 for r in sandbox.requests() if r.action == "contactInfo")


async def _deepcall_answers(parts: PopParts, number: str) -> dict[str, str]:
    """What contactInfo answers now, laid out as the form shows it."""
    assert parts.client is not None
    result = await parts.client.contact_info(number)
    return build_contact_view(result, default_mapping()).display_values()


def test_a_delivered_update_shows_in_form_header_and_cache(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    saved = {"email": "aarav.m@example.in", "custom_field_1": "Pune", "custom_field_5": "Cold"}

    async def scenario() -> None:
        async with pop_parts(sandbox.base_url, tmp_path, dedupe_seconds=0) as parts:
            coordinator = parts.coordinator
            await wait_signal(coordinator.contactFound,
                              trigger=lambda: parts.pop(KNOWN, source="test"))
            assert parts.client is not None
            await parts.client.directory_update(KNOWN, saved)  # what the outbox delivered
            lookups = _contact_infos(sandbox)
            args = await wait_signal(coordinator.contactFound, trigger=lambda: (
                coordinator.apply_saved(KNOWN, saved, created=False)))
            shown: PopResult = args[0]
            assert shown is coordinator.current
            expected = await _deepcall_answers(parts, KNOWN)
            assert shown.view is not None
            assert shown.view.display_values() == expected
            assert expected["Email"] == "aarav.m@example.in"  # the sandbox did store it
            assert parts.state()["fields"] == expected
            assert _contact_infos(sandbox) == lookups + 1  # only the check above asked
            # The next pop of the number comes from the cache with the saved values.
            sandbox.add_fault("http502", action="contactInfo")
            args = await wait_signal(coordinator.contactFound,
                                     trigger=lambda: parts.pop(KNOWN, source="test"))
            again: PopResult = args[0]
            assert again.from_cache
            assert again.view is not None
            assert again.view.display_values() == expected

    run_async(scenario())


@pytest.mark.parametrize(("user_id", "token"), [
    (DEMO_USER_ID, DEMO_TOKEN),  # an unknown caller answers blank fields
    (EMPTY_USER_ID, EMPTY_TOKEN),  # an unknown caller answers an empty message
])
def test_a_created_caller_becomes_known_without_another_lookup(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path,
        user_id: str, token: str) -> None:
    saved = {"name": "Ravi Kumar", "email": "ravi@example.in", "custom_field_2": "Silver"}

    async def scenario() -> None:
        async with pop_parts(sandbox.base_url, tmp_path, TokenAuth(user_id, token)) as parts:
            coordinator = parts.coordinator
            await wait_signal(coordinator.callerUnknown,
                              trigger=lambda: parts.pop(UNKNOWN, source="test"))
            assert parts.client is not None
            await parts.client.directory_create(UNKNOWN, saved)
            lookups = _contact_infos(sandbox)
            args = await wait_signal(coordinator.contactFound, trigger=lambda: (
                coordinator.apply_saved(UNKNOWN, saved, created=True)))
            assert _contact_infos(sandbox) == lookups  # no other lookup
            shown: PopResult = args[0]
            assert shown.status == "found"
            assert shown.caller_name == "Ravi Kumar"  # the header's name
            assert shown.view is not None
            assert not shown.view.is_new  # the form now updates the contact
            assert parts.state()["name"] == "Ravi Kumar"
            history = parts.store.recent_pops()
            assert (history[0].status, history[0].name) == ("found", "Ravi Kumar")
            expected = await _deepcall_answers(parts, UNKNOWN)
            assert {k: v for k, v in shown.view.display_values().items() if v} == \
                {k: v for k, v in expected.items() if v}

    run_async(scenario())


def test_a_save_for_a_caller_no_longer_shown_updates_only_the_cache(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    plain = "+919988776655"
    saved = {"company": "Gupta Traders"}

    async def scenario() -> None:
        async with pop_parts(sandbox.base_url, tmp_path, dedupe_seconds=0) as parts:
            coordinator = parts.coordinator
            await wait_signal(coordinator.contactFound,
                              trigger=lambda: parts.pop(KNOWN, source="test"))
            await wait_signal(coordinator.contactFound,
                              trigger=lambda: parts.pop(plain, source="test"))
            shown = coordinator.current
            emitted: list[object] = []
            coordinator.contactFound.connect(emitted.append)
            coordinator.apply_saved(KNOWN, saved, created=False)
            assert emitted == []
            assert coordinator.current is shown  # the caller on screen is untouched
            sandbox.add_fault("http502", action="contactInfo")
            args = await wait_signal(coordinator.contactFound,
                                     trigger=lambda: parts.pop(KNOWN, source="test"))
            assert args[0].from_cache
            assert args[0].view.display_values()["Company"] == "Gupta Traders"

    run_async(scenario())
