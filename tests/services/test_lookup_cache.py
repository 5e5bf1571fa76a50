"""The lookup cache: fresh answers only, only to the account that got them, bounded."""

from __future__ import annotations

from app.api.models import RecentCall
from app.core.contact import UnknownCaller
from app.services.lookup_cache import LookupCache
from tests.services.pop_parts import FakeClock

NUMBER = "+918302390884"
ANSWER = UnknownCaller(NUMBER)


def test_an_answer_is_given_back_only_to_the_account_that_got_it() -> None:
    cache = LookupCache(120)
    cache.remember(NUMBER, 1, ANSWER)
    assert cache.fresh(NUMBER, 1) is not None
    assert cache.fresh(NUMBER, 2) is None  # another account: its directory may differ
    cache.set_recent_calls(NUMBER, 2, (RecentCall("c-2", "inbound", "answered", 30, None,
                                                  "", "Priya"),))
    entry = cache.fresh(NUMBER, 1)
    assert entry is not None
    assert entry.recent_calls == ()  # another account's calls never join this entry


def test_answers_expire_and_the_oldest_go_first() -> None:
    clock = FakeClock()
    cache = LookupCache(120, max_entries=2, clock=clock)
    cache.remember(NUMBER, 1, ANSWER)
    clock.now += 120
    assert cache.fresh(NUMBER, 1) is not None
    clock.now += 0.5
    assert cache.fresh(NUMBER, 1) is None
    cache.set_seconds(300)
    assert cache.fresh(NUMBER, 1) is not None
    cache.remember("+14155550100", 1, ANSWER)
    cache.remember("+442071838750", 1, ANSWER)
    assert len(cache) == 2
    assert cache.fresh(NUMBER, 1) is None
    cache.clear()
    assert len(cache) == 0
