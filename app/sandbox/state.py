"""One sandbox's state: its data, its active faults and its request log."""

from __future__ import annotations

from app.sandbox.faults import Fault, FaultBoard
from app.sandbox.requestlog import RequestLog
from app.sandbox.store import Store


class SandboxState:
    def __init__(self, startup_faults: list[Fault] | None = None) -> None:
        self.startup_faults = list(startup_faults or [])
        self.store = Store()
        self.faults = FaultBoard(self.startup_faults)
        self.requests = RequestLog()

    def reset(self) -> None:
        """Seed data, an empty request log, and only the faults the server started with."""
        self.store.reset()
        self.requests.clear()
        self.faults.set(self.startup_faults)
