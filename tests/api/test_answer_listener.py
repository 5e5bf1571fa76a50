"""The client's answer listener, against the sandbox over loopback HTTP: told of every
successful answer (what the outbox waits for), never of an error envelope or a fault, so an
expired token answering 1014 to everything wakes nobody."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from app.api.auth import Auth, TokenAuth
from app.api.client import DeepCallClient, Timeouts
from app.api.errors import DeepCallApiError
from app.sandbox import accounts
from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_UNKNOWN_NUMBER
from app.sandbox.server import SandboxServer

KNOWN = "+" + DEMO_KNOWN_NUMBER
UNKNOWN = "+" + DEMO_UNKNOWN_NUMBER
DEMO = TokenAuth(accounts.DEMO_USER_ID, accounts.DEMO_TOKEN)
EXPIRED = TokenAuth(accounts.DEMO_USER_ID, accounts.EXPIRED_TOKEN)
Call = Callable[[DeepCallClient], Awaitable[Any]]


def _answers(sandbox: SandboxServer, auth: Auth, call: Call) -> int:
    """How many times the listener heard of a successful answer during ``call``."""
    heard: list[None] = []

    async def scenario() -> None:
        async with DeepCallClient(sandbox.base_url, auth,
                                  timeouts=Timeouts(connect=1, total=3)) as client:
            client.set_answer_listener(lambda: heard.append(None))
            with contextlib.suppress(DeepCallApiError):  # a failure is heard of, or not
                await call(client)

    asyncio.run(scenario())
    return len(heard)


SUCCESSES: dict[str, Call] = {
    "contactInfo": lambda c: c.contact_info(KNOWN),
    "contactInfo of an unknown caller": lambda c: c.contact_info(UNKNOWN),
    "recentCalls": lambda c: c.recent_calls(KNOWN),
    "counters": lambda c: c.counters(),
    "getInfo": lambda c: c.directory_get_info(KNOWN),
    "update": lambda c: c.directory_update(KNOWN, {"custom_field_1": "Pune"}),
    "create": lambda c: c.directory_create(UNKNOWN, {"name": "Meera Nair"}),
}


@pytest.mark.parametrize("call", SUCCESSES.values(), ids=SUCCESSES.keys())
def test_each_successful_answer_is_heard_once(sandbox: SandboxServer, call: Call) -> None:
    assert _answers(sandbox, DEMO, call) == 1


def test_a_note_deepcall_took_is_heard(sandbox: SandboxServer) -> None:
    async def note(client: DeepCallClient) -> None:
        [latest, *_] = await client.recent_calls(KNOWN)
        await client.notes_add(KNOWN, "heard", latest.call_id)

    assert _answers(sandbox, DEMO, note) == 2  # recentCalls, then notesAdd


@pytest.mark.parametrize("call", SUCCESSES.values(), ids=SUCCESSES.keys())
def test_an_expired_token_answering_1014_is_never_heard(sandbox: SandboxServer,
                                                         call: Call) -> None:
    assert _answers(sandbox, EXPIRED, call) == 0


@pytest.mark.parametrize("fault", ["http503", "internal", "drop", "malformed_json"])
def test_a_fault_is_never_heard(sandbox: SandboxServer, fault: str) -> None:
    sandbox.set_faults(fault)
    assert _answers(sandbox, DEMO, SUCCESSES["contactInfo"]) == 0


def test_a_directory_refusal_is_never_heard(sandbox: SandboxServer) -> None:
    # getInfo of a number DeepCall does not hold: its error envelope (1012), not a success.
    assert _answers(sandbox, DEMO, lambda c: c.directory_get_info(UNKNOWN)) == 0


def test_a_failing_listener_never_costs_the_answer(sandbox: SandboxServer) -> None:
    async def scenario() -> object:
        async with DeepCallClient(sandbox.base_url, DEMO) as client:
            client.set_answer_listener(lambda: 1 / 0)  # type: ignore[func-returns-value]
            return await client.counters()

    assert asyncio.run(scenario()) is not None
