"""The sandbox's mutable state: every account's data, safe to touch from any thread.

The server's handlers run on its own event-loop thread while tests call ``reset()`` from theirs,
so every access goes through one lock (held briefly, never across an ``await``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from app.sandbox.accounts import Account
from app.sandbox.numbers import candidate_keys
from app.sandbox.records import AccountData, CallRecord, ContactRecord, Note
from app.sandbox.seed import build_all

T = TypeVar("T")


class Store:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[str, AccountData] = build_all()

    def reset(self) -> None:
        """Back to the seed data (drops every create/update/note made since)."""
        fresh = build_all()
        with self._lock:
            self._data = fresh

    def with_account(self, account: Account, action: Callable[[AccountData], T]) -> T:
        """Run ``action`` on the account's data under the lock."""
        with self._lock:
            return action(self._data[account.name])

    # Convenience readers for tests and the admin endpoint.
    def contact(self, account: Account, number: str) -> ContactRecord | None:
        return self.with_account(account, lambda data: find_contact(data, number)[1])

    def notes(self, account: Account, number: str | None = None) -> list[Note]:
        def pick(data: AccountData) -> list[Note]:
            # A number as the app sends it, or a key such as "anonymous" as is.
            keys = set(candidate_keys(number)) or {number} if number is not None else None
            return [n for n in data.notes if keys is None or n.number in keys]

        return self.with_account(account, pick)

    def craft_contact_info(self, account: Account, number: str,
                           groups: dict[str, dict[str, object]]) -> None:
        """Answer contactInfo for ``number`` with ``groups`` as given, until the next reset."""
        keys = candidate_keys(number)
        if not keys:
            raise ValueError(f"{number!r} is not a phone number")

        def put(data: AccountData) -> None:
            data.crafted.update({key: groups for key in keys})

        self.with_account(account, put)

    def craft_agent_status(self, account: Account, status: str) -> None:
        """Answer the counters' agentStatus with ``status`` as given, until the next reset."""

        def put(data: AccountData) -> None:
            data.crafted_agent_status = status

        self.with_account(account, put)

    def mark_dnc(self, account: Account, number: str) -> None:
        """Put ``number`` on the Do-Not-Call list: Directory create/update of it answer 1510
        until the next reset."""
        keys = candidate_keys(number)
        if not keys:
            raise ValueError(f"{number!r} is not a phone number")
        self.with_account(account, lambda data: data.dnc.update(keys))

    def race_next_create(self, account: Account, number: str,
                         contactinfo: dict[str, str]) -> None:
        """A colleague creates ``number`` with ``contactinfo`` just before the next Directory
        create of it is handled: that create answers 1504 and the contact exists from then on
        (until the next reset)."""
        keys = candidate_keys(number)
        if not keys:
            raise ValueError(f"{number!r} is not a phone number")

        def put(data: AccountData) -> None:
            data.racing_creates.update({key: dict(contactinfo) for key in keys})

        self.with_account(account, put)

    def contact_count(self, account: Account) -> int:
        return self.with_account(account, lambda data: len(data.contacts))


def find_contact(data: AccountData, raw: str | int) -> tuple[str | None, ContactRecord | None]:
    """(key, record) for an existing contact; (None, None) when ``raw`` is not a number;
    (key it would be filed under, None) when the number is valid but unknown."""
    keys = candidate_keys(raw)
    if not keys:
        return None, None
    for key in keys:
        if key in data.contacts:
            return key, data.contacts[key]
    return keys[-1], None


def calls_with(data: AccountData, key: str) -> list[CallRecord]:
    """Calls with that number, newest first."""
    return sorted((c for c in data.calls if c.number == key), key=lambda c: c.start,
                  reverse=True)
