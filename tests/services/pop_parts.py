"""The services of a pop, wired as the composition root wires them, on a real DeepCall client
talking to the sandbox over loopback HTTP. No window: these tests are about the services."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.api.auth import Auth, TokenAuth
from app.api.client import DeepCallClient, Timeouts
from app.core.field_mapping import default_mapping
from app.core.pop_request import PopRequest
from app.sandbox.accounts import DEMO_TOKEN, DEMO_USER_ID
from app.services.lookup_cache import LookupCache
from app.services.outbox import Outbox
from app.services.pop_coordinator import PopCoordinator
from app.services.pop_history import PopHistory
from app.services.state_snapshot import caller_state
from app.services.store import LocalStore
from tests.fixtures.doubles import FixedAccount

DEMO_AUTH = TokenAuth(DEMO_USER_ID, DEMO_TOKEN)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class PopParts:
    coordinator: PopCoordinator
    outbox: Outbox
    account: FixedAccount
    store: LocalStore
    client: DeepCallClient | None
    history: PopHistory

    def pop(self, number: str, call_id: str | None = None, source: str | None = None) -> bool:
        return self.coordinator.pop(PopRequest(number, call_id, source=source))

    def state(self) -> dict[str, object]:
        return caller_state(self.coordinator.current)

    def add_note(self, text: str) -> int | None:
        target = self.coordinator.note_target()
        assert target is not None
        return self.outbox.add_note(target, text)


@contextlib.asynccontextmanager
async def pop_parts(url: str | None, profile: Path, auth: Auth = DEMO_AUTH,
                    timeouts: Timeouts | None = None, *, dedupe_seconds: float = 10.0,
                    cache_seconds: float = 120.0,
                    clock: Callable[[], float] | None = None) -> AsyncIterator[PopParts]:
    """``url`` None: no account is set up (no client)."""
    client = None if url is None else DeepCallClient(
        url, auth, timeouts=timeouts or Timeouts(connect=2, total=5))
    store = LocalStore.in_profile(profile)
    account = FixedAccount(client)
    extra: dict[str, Any] = {} if clock is None else {"clock": clock}
    cache = LookupCache(cache_seconds, **extra)
    history = PopHistory(store)
    coordinator = PopCoordinator(account, default_mapping(), history, cache,
                                 dedupe_seconds=dedupe_seconds, **extra)
    outbox = Outbox(store, account)
    try:
        yield PopParts(coordinator, outbox, account, store, client, history)
    finally:
        await coordinator.shutdown()
        await outbox.shutdown()
        await account.aclose()
        store.close()
