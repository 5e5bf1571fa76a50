"""The window wired to a real DeepCall client talking to the sandbox over loopback HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.api.auth import Auth, TokenAuth
from app.api.client import DeepCallClient, Timeouts
from app.core.field_mapping import default_mapping
from app.sandbox.accounts import DEMO_TOKEN, DEMO_USER_ID
from app.sandbox.server import SandboxServer
from app.services.pop_coordinator import PopCoordinator, SimplePopRequest
from app.services.settings import Settings
from app.services.store import LocalStore
from app.ui.main_window import MainWindow
from app.ui.presenter import WindowPresenter
from tests.fixtures.qt_async import wait_until

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]
_NO_CODE = compile("", "<none>", "exec")


def app_tasks() -> list[asyncio.Task[Any]]:
    """Pending tasks running the app's own code (lookups, notes), not the test's."""
    return [t for t in asyncio.all_tasks()
            if "/app/" in getattr(t.get_coro(), "cr_code", _NO_CODE).co_filename]


async def quiesce(timeout: float = 5.0) -> None:
    """Wait until the app's tasks have ended, so none is left for Qt to step between tests."""
    await wait_until(lambda: not app_tasks(), timeout)


@dataclass
class Stack:
    window: MainWindow
    coordinator: PopCoordinator
    client: DeepCallClient
    store: LocalStore
    settings: Settings
    presenter: WindowPresenter

    def pop(self, e164: str, call_id: str | None = None) -> bool:
        return self.coordinator.pop(SimplePopRequest(e164, call_id, "test"))


StackFactory = Callable[..., Stack]
@pytest.fixture
def make_stack(qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path,
               run_async: RunAsync) -> Iterator[StackFactory]:
    made: list[Stack] = []
    # As in the app: closing a window must not quit Qt (that would stop the qasync loop).
    QApplication.setQuitOnLastWindowClosed(False)

    def make(auth: Auth | None = None, base_url: str | None = None,
             total_timeout: float = 3.0, dedupe_seconds: float = 10.0,
             cache_seconds: float = 120.0) -> Stack:
        client = DeepCallClient(base_url or sandbox.base_url,
                                auth or TokenAuth(DEMO_USER_ID, DEMO_TOKEN),
                                timeouts=Timeouts(connect=1.0, total=total_timeout))
        profile = tmp_path / f"profile{len(made)}"
        profile.mkdir()
        store = LocalStore.in_profile(profile)
        settings = Settings(profile)
        coordinator = PopCoordinator(client, default_mapping(), store,
                                     dedupe_seconds=dedupe_seconds, cache_seconds=cache_seconds)
        window = MainWindow(settings)
        qtbot.addWidget(window)
        window.show()
        presenter = WindowPresenter(window, coordinator, settings=settings)
        stack = Stack(window, coordinator, client, store, settings, presenter)
        made.append(stack)
        return stack

    yield make
    async def close_all() -> None:
        for stack in made:
            await stack.coordinator.shutdown()
            await stack.client.aclose()

    for stack in made:
        stack.window.quitting = True  # let qtbot close it without the quit request
    run_async(close_all())
    for stack in made:
        stack.store.close()
