"""An outbox (and the caller's edits) on a real DeepCall client talking to the sandbox over
loopback HTTP, with a short backoff where a test waits for the timer."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from app.api.auth import Auth
from app.api.client import DeepCallClient, Timeouts
from app.core.contact_view import ContactView, build_contact_view
from app.core.field_mapping import default_mapping
from app.services.contact_edits import ContactEdits
from app.services.outbox import Outbox, backoff_seconds
from app.services.store import LocalStore
from tests.fixtures.doubles import FixedAccount
from tests.services.pop_parts import DEMO_AUTH

PLAIN = "+919988776655"  # Rohan Gupta: email empty, city Delhi
KNOWN = "+919876543210"  # Aarav Mehta, with recent calls
UNKNOWN = "+918302390884"  # no contact on the demo account


@dataclass
class OutboxParts:
    outbox: Outbox
    edits: ContactEdits
    store: LocalStore
    account: FixedAccount
    client: DeepCallClient | None

    async def view(self, number: str) -> ContactView:
        """The form's view of ``number`` as a pop lays it out (from contactInfo)."""
        assert self.client is not None
        return build_contact_view(await self.client.contact_info(number), default_mapping())


def client_for(url: str, auth: Auth = DEMO_AUTH) -> DeepCallClient:
    return DeepCallClient(url, auth, timeouts=Timeouts(connect=2, total=5))


@contextlib.asynccontextmanager
async def outbox_parts(url: str | None, profile: Path, *, auth: Auth = DEMO_AUTH,
                       backoff: Callable[[int], float] = backoff_seconds,
                       ) -> AsyncIterator[OutboxParts]:
    store = LocalStore.in_profile(profile)
    client = None if url is None else client_for(url, auth)
    account = FixedAccount(client)
    outbox = Outbox(store, account, backoff=backoff)
    try:
        yield OutboxParts(outbox, ContactEdits(store, outbox), store, account, client)
    finally:
        await outbox.shutdown()
        await account.aclose()
        store.close()
