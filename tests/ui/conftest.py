"""The app's object graph, built by the composition root (``app.session.build_session``) with
a DeepCall client of the test's own talking to the sandbox over loopback HTTP."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.api.auth import Auth, TokenAuth
from app.api.client import DeepCallClient, Timeouts
from app.core.pop_request import PopRequest
from app.sandbox.accounts import DEMO_TOKEN, DEMO_USER_ID
from app.sandbox.server import SandboxServer
from app.services import outbox_retry
from app.services.outbox import Outbox
from app.services.pop_coordinator import PopCoordinator
from app.services.secrets import MemorySecretStore
from app.services.settings import Settings
from app.services.store import LocalStore
from app.session import AppSession, SessionOptions, build_session
from app.ui.main_window import MainWindow
from app.ui.tray import Tray
from tests.fixtures.doubles import FixedAccount
from tests.fixtures.qt_async import wait_until

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]
_NO_CODE = compile("", "<none>", "exec")
# The app's own folder as code file names spell it (backslashes on Windows).
_APP_FOLDER = f"{os.sep}app{os.sep}"


def app_tasks() -> list[asyncio.Task[Any]]:
    """Pending tasks running the app's own code (lookups, notes), not the test's."""
    return [t for t in asyncio.all_tasks()
            if _APP_FOLDER in getattr(t.get_coro(), "cr_code", _NO_CODE).co_filename]


async def quiesce(timeout: float = 5.0) -> None:
    """Wait until the app's tasks have ended, so what the test checks next is their outcome
    (between ``run_async`` calls the loop runs nothing: their work would wait for the next)."""
    await wait_until(lambda: not app_tasks(), timeout)


@pytest.fixture
def long_backoff(monkeypatch: pytest.MonkeyPatch) -> float:
    """Ten minutes between the outbox's tries: what is sent during a test was not sent by
    its retry timer."""
    monkeypatch.setattr(outbox_retry, "FIRST_RETRY_SECONDS", 600.0)
    monkeypatch.setattr(outbox_retry, "LAST_RETRY_SECONDS", 600.0)
    return 600.0


@pytest.fixture
def tray_notices_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    """A tray whose notices the agent would see, on any runner: offscreen Qt has no tray,
    and macOS shows none from an unbundled Python (the rules tests/ui/test_tray_only.py
    checks); a test of what a notice says must not depend on either."""
    monkeypatch.setattr(Tray, "available", lambda _self: True)
    monkeypatch.setattr(Tray, "why_notices_unseen", lambda _self: None)


@dataclass
class Stack:
    session: AppSession
    client: DeepCallClient

    @property
    def window(self) -> MainWindow:
        return self.session.window

    @property
    def coordinator(self) -> PopCoordinator:
        return self.session.coordinator

    @property
    def outbox(self) -> Outbox:
        return self.session.outbox

    @property
    def store(self) -> LocalStore:
        return self.session.store

    @property
    def settings(self) -> Settings:
        return self.session.settings

    def state(self) -> dict[str, object]:
        return self.session.state()

    def save_note_draft_now(self) -> None:
        """What the draft timer does half a second after typing stops."""
        self.session.presenter.save_note_draft()

    def ctrl_s(self) -> None:
        """The agent's Ctrl+S (Cmd+S on macOS) in the window."""
        self.window.activateWindow()
        QTest.keySequence(self.window, QKeySequence(QKeySequence.StandardKey.Save))

    def pop(self, e164: str, call_id: str | None = None) -> bool:
        return self.coordinator.pop(PopRequest(e164, call_id, source="test"))

    def nothing_due_soon(self) -> bool:
        """Every item waiting in the outbox is due a minute from now or later."""
        soon = time.time() + 60
        return all(item.next_attempt > soon for item in self.store.outbox_items())

    async def shown(self, number: str, status: str = "found") -> None:
        """Until ``number``'s pop has ended as ``status`` on screen and the app is idle."""
        await wait_until(lambda: self.state()["number"] == number
                         and self.window.status == status
                         and self.window.form.pending_count() == 0, 5)
        await quiesce()


StackFactory = Callable[..., Stack]


def requests_of(sandbox: SandboxServer, action: str) -> int:
    """How many ``action`` requests (e.g. "update", "notesAdd") the sandbox has logged."""
    return sum(1 for r in sandbox.requests() if r.action == action)


def directory_values(sandbox: SandboxServer, number: str) -> dict[str, str]:
    """What DeepCall's directory holds for ``number`` (Directory key -> text)."""
    record = sandbox.contact(number.lstrip("+"))
    assert record is not None, f"no contact {number} in the sandbox"
    return dict(record.values)


def close_when_the_test_ends(request: pytest.FixtureRequest,
                             close: Callable[[], None]) -> None:
    """Run ``close`` (on the app's loop) as soon as the test body ends.

    The app ends through its own shutdown path before pytest-qt closes its widgets, and a
    counters refresh or a lookup still waiting is cancelled there, as when the agent quits.
    (pytest-qt's event processing outside the loop steps no task: ``AppEventLoop`` keeps
    asyncio work for its next run.)
    """
    closers: list[Callable[[], None]] = request.node.__dict__.setdefault("_app_closers", [])
    closers.append(close)


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_call(item: pytest.Item) -> object:
    try:
        return (yield)
    finally:
        for close in item.__dict__.get("_app_closers", []):
            close()


@pytest.fixture(autouse=True)
def _qasync_loop_is_current(qasync_loop: object) -> None:
    """Widgets start coroutines (the keyring on a worker thread, connection tests): every UI
    test has the app's kind of loop as the current one, and, as in the app, closing the last
    window (a dialog) does not quit Qt and stop that loop."""
    QApplication.setQuitOnLastWindowClosed(False)


@pytest.fixture
def make_stack(qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path,
               run_async: RunAsync, request: pytest.FixtureRequest) -> Iterator[StackFactory]:
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
        stored = Settings(profile)  # what the agent saved before this run
        stored.dedupe_seconds = int(dedupe_seconds)
        stored.cache_seconds = int(cache_seconds)
        session = build_session(
            SessionOptions(profile_dir=profile, log_file=profile / "logs" / "screenpop.log",
                           secrets=MemorySecretStore()),
            account=FixedAccount(client))
        session.window.show()  # closed by session.aclose(), the app's own shutdown path
        stack = Stack(session, client)
        made.append(stack)
        return stack

    async def close_all() -> None:
        for stack in made:
            await stack.session.aclose()

    close_when_the_test_ends(request, lambda: run_async(close_all()))
    yield make
    run_async(close_all())  # idempotent: already closed unless the test body failed early
