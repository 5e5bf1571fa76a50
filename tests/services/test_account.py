"""The account: credentials in, one DeepCall client out; the keyring read off the Qt thread."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer

from app.sandbox.accounts import ALT_TOKEN, ALT_USER_ID, DEMO_TOKEN, DEMO_USER_ID
from app.sandbox.server import SandboxServer
from app.services.account import Account, AccountProblem
from app.services.credentials import (
    CredentialOverrides,
    ResolvedCredentials,
    StoredAccountSnapshot,
    resolve_credentials,
)
from app.services.errors import NOT_SET_UP
from app.services.secrets import MemorySecretStore, SecretStore
from app.services.settings import Settings
from tests.fixtures.qt_async import wait_until

RunAsync = Callable[..., Any]


class Recorder:
    def __init__(self, account: Account) -> None:
        self.changes: list[object] = []
        self.problems: list[AccountProblem] = []
        account.changed.connect(lambda: self.changes.append(account.client))
        account.problem.connect(self.problems.append)


def _saved(tmp_path: Path, url: str, user_id: str = DEMO_USER_ID) -> Settings:
    settings = Settings(tmp_path)
    settings.brand_url = url
    settings.user_id = user_id
    return settings


def _keyring(token: str = DEMO_TOKEN) -> MemorySecretStore:
    secrets = MemorySecretStore()
    secrets.store("token", token)
    return secrets


def test_a_saved_account_gives_a_client_and_an_unchanged_one_keeps_it(
        run_async: RunAsync, sandbox: SandboxServer, tmp_path: Path) -> None:
    settings = _saved(tmp_path, sandbox.base_url)
    account = Account(settings, _keyring())
    seen = Recorder(account)

    async def scenario() -> None:
        account.reload()
        await account.wait_loaded()
        client = account.client
        assert client is not None
        assert (seen.changes, seen.problems, account.key) == ([client], [], 1)
        counters = await client.counters()
        assert counters.agent_status
        account.reload()  # e.g. Settings saved with nothing changed
        await wait_until(lambda: not account.reloading)
        assert account.client is client
        assert seen.changes == [client]
        settings.total_timeout_seconds = 4.0  # part of the account: a new client
        account.reload()
        await wait_until(lambda: account.client is not client)
        await wait_until(lambda: client.is_closed)  # nothing ran on it: closed at once
        assert account.key == 2
        await account.aclose()
        assert account.client is not None
        assert account.client.is_closed

    run_async(scenario())


def test_nothing_set_up_is_a_first_start_problem_not_a_failure(
        run_async: RunAsync, tmp_path: Path) -> None:
    account = Account(Settings(tmp_path), MemorySecretStore())
    seen = Recorder(account)

    async def scenario() -> None:
        account.reload()
        await account.wait_loaded()

    run_async(scenario())
    assert account.client is None
    [problem] = seen.problems
    assert problem.first_start
    assert account.not_configured_message() == NOT_SET_UP
    assert seen.changes == []  # there was no client, and there still is none


def test_a_missing_token_says_so_and_is_not_a_first_start(
        run_async: RunAsync, sandbox: SandboxServer, tmp_path: Path) -> None:
    account = Account(_saved(tmp_path, sandbox.base_url), MemorySecretStore())
    seen = Recorder(account)

    async def scenario() -> None:
        account.reload()
        await account.wait_loaded()

    run_async(scenario())
    [problem] = seen.problems
    assert not problem.first_start
    assert "token" in problem.message
    assert account.not_configured_message() == problem.message


def test_overrides_need_no_keyring_and_no_settings(
        run_async: RunAsync, sandbox: SandboxServer, tmp_path: Path) -> None:
    class NoKeyring(SecretStore):
        def load(self, kind: Any) -> str | None:
            raise AssertionError("the keyring must not be read when the token is given")

    overrides = CredentialOverrides(brand_url=sandbox.base_url, user_id=DEMO_USER_ID,
                                    token=DEMO_TOKEN)
    account = Account(Settings(tmp_path), NoKeyring(), overrides)

    async def scenario() -> None:
        account.reload()
        await account.wait_loaded()
        assert account.client is not None
        await account.aclose()

    run_async(scenario())


def test_the_keyring_is_read_off_the_qt_thread_and_reloads_merge(
        run_async: RunAsync, sandbox: SandboxServer, tmp_path: Path) -> None:
    # A keyring that hangs (an OS unlock prompt): the loop goes on, and reloads asked for
    # meanwhile end in one more resolve with the newest settings, not one per request.
    settings = _saved(tmp_path, sandbox.base_url)
    release = threading.Event()
    calls: list[tuple[str, bool]] = []

    def slow_resolver(overrides: CredentialOverrides, stored: StoredAccountSnapshot,
                      secrets: SecretStore) -> ResolvedCredentials:
        calls.append((stored.user_id, threading.current_thread() is threading.main_thread()))
        release.wait(10)
        return resolve_credentials(overrides, stored, secrets)

    secrets = _keyring(ALT_TOKEN)
    account = Account(settings, secrets, resolver=slow_resolver)
    ticks: list[int] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))

    async def scenario() -> None:
        account.reload()
        await wait_until(lambda: len(calls) == 1)
        timer.start(10)
        await wait_until(lambda: len(ticks) >= 20)  # Qt's loop turns while the keyring hangs
        timer.stop()
        settings.user_id = ALT_USER_ID  # Settings saved twice while the keyring hangs
        account.reload()
        account.reload()
        assert not account.loaded
        release.set()
        await account.wait_loaded()
        assert account.client is not None
        await account.aclose()

    run_async(scenario())
    assert calls == [(DEMO_USER_ID, False), (ALT_USER_ID, False)]


QUIT_WHILE_THE_KEYRING_HANGS = """
import asyncio, os, sys, threading, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from pathlib import Path
from PySide6.QtWidgets import QApplication
from app.services.account import Account
from app.services.secrets import MemorySecretStore
from app.services.settings import Settings
from app.ui.event_loop import AppEventLoop

asked = threading.Event()

class HangingKeyring(MemorySecretStore):
    def load(self, kind):
        asked.set()
        threading.Event().wait(60)  # an unlock prompt nobody answers
        return None

async def main():
    settings = Settings(Path(sys.argv[1]))
    settings.brand_url = "https://v4-api.deepcall.com"
    settings.user_id = "710042"
    account = Account(settings, HangingKeyring())
    account.reload()
    while not asked.is_set():  # until the keyring read is under way
        await asyncio.sleep(0.01)
    await account.aclose()  # the agent quits
    print("closed", flush=True)

app = QApplication([])
with asyncio.Runner(loop_factory=lambda: AppEventLoop(app)) as runner:
    runner.run(main())
print("exited", flush=True)
"""


def test_quitting_while_the_keyring_hangs_ends_the_process(tmp_path: Path) -> None:
    # The app must not outlive the agent's Quit (holding its single-instance lock) because a
    # keyring read is stuck on an unlock prompt nobody answers.
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", QUIT_WHILE_THE_KEYRING_HANGS, str(tmp_path)],
                            capture_output=True, text=True, timeout=50, check=False)
    assert result.stdout.split() == ["closed", "exited"], result.stderr[-2000:]
    assert result.returncode == 0
    assert time.monotonic() - started < 20  # far from the keyring's 60 s


def test_once_stopped_nothing_changes_even_if_the_keyring_answers_late(
        run_async: RunAsync, sandbox: SandboxServer, tmp_path: Path) -> None:
    # The app is closing while the keyring still thinks: its late answer must not bring a
    # new client (and with it counters, lookups and sends) into a shutdown.
    release = threading.Event()

    def slow_resolver(overrides: CredentialOverrides, stored: StoredAccountSnapshot,
                      secrets: SecretStore) -> ResolvedCredentials:
        release.wait(10)
        return resolve_credentials(overrides, stored, secrets)

    account = Account(_saved(tmp_path, sandbox.base_url), _keyring(), resolver=slow_resolver)
    seen = Recorder(account)

    async def scenario() -> None:
        account.reload()
        await wait_until(lambda: account.reloading)
        await account.stop()
        release.set()
        account.reload()  # asked again after the stop: ignored
        assert not account.reloading
        await account.aclose()

    run_async(scenario())
    assert (account.client, seen.changes, seen.problems) == (None, [], [])
