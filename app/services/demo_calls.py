"""The demo's "Simulate incoming call": a seeded caller, never the one already on screen."""

from __future__ import annotations

import random
from collections.abc import Sequence

from app.core.pop_request import PopRequest
from app.services.pop_coordinator import PopCoordinator


class DemoCalls:
    def __init__(self, coordinator: PopCoordinator, numbers: Sequence[str],
                 rng: random.Random | None = None) -> None:
        self._coordinator = coordinator
        self._numbers = tuple(numbers)  # E.164
        self._random = rng or random.Random()  # picks demo callers: nothing secret

    def simulate(self) -> PopRequest | None:
        current = self._coordinator.current
        numbers = [n for n in self._numbers if current is None or n != current.number]
        if not numbers:
            return None
        request = PopRequest(self._random.choice(numbers), source="demo")
        self._coordinator.pop(request)
        return request
