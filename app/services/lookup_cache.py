"""What DeepCall answered for recent numbers, so a repeat caller pops from memory at once.

Each entry remembers which account answered it (``Account.key``): an answer is only ever
given back to the same account, so a lookup that was still running when Settings changed
can never show the old account's contact to the new one.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from app.api.models import RecentCall
from app.core.contact import LookupResult

CACHE_MAX_ENTRIES: Final = 200


@dataclass
class CachedLookup:
    at: float  # the clock's time of the answer
    account: int
    result: LookupResult
    recent_calls: tuple[RecentCall, ...]


class LookupCache:
    """At most ``max_entries`` numbers, least recently answered dropped first."""

    def __init__(self, seconds: float = 120.0, *, max_entries: int = CACHE_MAX_ENTRIES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, CachedLookup] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def set_seconds(self, seconds: float) -> None:
        self.seconds = seconds

    def fresh(self, number: str, account: int) -> CachedLookup | None:
        """The answer for ``number`` from ``account`` if it is recent enough, else None."""
        entry = self._entries.get(number)
        if entry is None or entry.account != account:
            return None
        if self._clock() - entry.at > self.seconds:
            return None
        return entry

    def remember(self, number: str, account: int, result: LookupResult,
                 recent_calls: tuple[RecentCall, ...] = ()) -> None:
        self._entries[number] = CachedLookup(self._clock(), account, result, recent_calls)
        self._entries.move_to_end(number)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def set_recent_calls(self, number: str, account: int,
                         recent_calls: tuple[RecentCall, ...]) -> None:
        """recentCalls answered after contactInfo: complete the entry it belongs to."""
        entry = self._entries.get(number)
        if entry is not None and entry.account == account:
            entry.recent_calls = recent_calls

    def forget(self, number: str) -> None:
        """The agent asked this computer to forget the caller: their answer goes too."""
        self._entries.pop(number, None)

    def clear(self) -> None:
        self._entries.clear()
