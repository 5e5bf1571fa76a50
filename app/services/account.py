"""The DeepCall account in use: credentials in, one DeepCall client out.

``reload()`` resolves the credentials (command-line/env overrides, settings, the keyring) and
builds the client. The keyring is read on a worker thread: an OS unlock prompt or a slow
Secret Service must never freeze the window or the local socket. Reloads asked for while one
runs are merged into one more. When the client changes, ``key`` grows and ``changed`` is
emitted; anything answered under an older key belongs to an account no longer in use. When no
client can be built, ``problem`` says why in plain words. A replaced client is closed once
the calls still running on it have ended.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol

from PySide6.QtCore import QObject, Signal

from app.api.auth import Auth
from app.api.client import DeepCallClient, Timeouts
from app.api.errors import DeepCallApiError, InvalidBrandUrl
from app.api.models import Counters
from app.services.background import in_daemon_thread
from app.services.credentials import (
    CredentialOverrides,
    ResolvedCredentials,
    StoredAccount,
    StoredAccountSnapshot,
    resolve_credentials,
)
from app.services.errors import (
    NOT_SET_UP,
    CredentialsMissing,
    SecretsUnavailable,
    UnexpectedError,
)
from app.services.logs import log_event, register_secrets
from app.services.secrets import SecretStore
from app.services.tasks import OwnedTasks

log = logging.getLogger(__name__)


# The settings an account is made of: a change to any of them reloads it.
ACCOUNT_SETTINGS: Final = ("brand_url", "auth_mode", "user_id", "connect_timeout_seconds",
                           "total_timeout_seconds")


@dataclass(frozen=True)
class AccountProblem:
    """Why there is no working account; ``first_start`` when nothing was ever set up;
    ``in_settings`` when a saved setting is what is wrong (Settings opens to show it)."""

    message: str
    first_start: bool = False
    in_settings: bool = False


class AccountSettings(StoredAccount, Protocol):
    """The settings the account reads (``app.services.settings.Settings`` fits)."""

    @property
    def connect_timeout_seconds(self) -> float: ...
    @property
    def total_timeout_seconds(self) -> float: ...
    def is_configured(self) -> bool: ...
    def managed_by(self, name: str) -> Path | None: ...


Resolver = Callable[[CredentialOverrides, StoredAccountSnapshot, SecretStore],
                    ResolvedCredentials]


# After this long, an unanswered keyring is most likely showing its unlock prompt.
KEYRING_PATIENCE_SECONDS: Final = 3.0
WAITING_FOR_KEYRING: Final = ("Waiting for the system keyring: unlock it (its window may be "
                              "behind this one) so callers can be looked up.")


class Account(QObject):
    changed = Signal()  # read ``client`` and ``key``; the client may now be None
    problem = Signal(object)  # AccountProblem
    waiting = Signal(str)  # the keyring has not answered for a while: what to do about it
    settled = Signal()  # a reload ended, whatever its outcome (the waiting notice can go)
    # The client in use just got a successful answer from DeepCall (never an error envelope):
    # what waits for DeepCall (the outbox) can go now.
    answered = Signal()

    def __init__(self, settings: AccountSettings, secrets: SecretStore,
                 overrides: CredentialOverrides | None = None, *,
                 resolver: Resolver = resolve_credentials,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._secrets = secrets
        self._overrides = overrides or CredentialOverrides()
        self._resolver = resolver
        self._client: DeepCallClient | None = None
        self._in_use: tuple[ResolvedCredentials, Timeouts] | None = None
        self._key = 0
        self._problem: AccountProblem | None = None
        self._loaded = asyncio.Event()
        self._reload_task: asyncio.Task[None] | None = None
        self._reload_again = False
        self._tasks = OwnedTasks(log, "a DeepCall account task")
        self._stopped = False

    # --- what the rest of the app reads --------------------------------------------------
    @property
    def client(self) -> DeepCallClient | None:
        return self._client

    @property
    def key(self) -> int:
        """Grows each time the client changes: answers are tied to the key they were asked under."""
        return self._key

    @property
    def loaded(self) -> bool:
        """The first reload has finished (with a client or a problem)."""
        return self._loaded.is_set()

    @property
    def reloading(self) -> bool:
        """Credentials are being resolved (the keyring may be waiting for its unlock prompt)."""
        return self._reload_task is not None and not self._reload_task.done()

    async def wait_loaded(self) -> None:
        await self._loaded.wait()

    def not_configured_message(self) -> str:
        """What a pop or a note says while there is no client."""
        problem = self._problem
        if problem is None or problem.first_start:
            return NOT_SET_UP
        return problem.message

    # --- loading -------------------------------------------------------------------------
    def reload(self) -> None:
        """Resolve the credentials again (Settings saved, start-up); merged while one runs."""
        if self._stopped:
            return
        if self.reloading:
            self._reload_again = True
            return
        self._reload_task = self._tasks.spawn(self._reload())

    async def _reload(self) -> None:
        patience = asyncio.get_event_loop().call_later(
            KEYRING_PATIENCE_SECONDS, self.waiting.emit, WAITING_FOR_KEYRING)
        try:
            while True:
                self._reload_again = False
                outcome = await self._resolve()
                if not self._reload_again:
                    self._use(*outcome)
                    return
                # Settings changed while the keyring was read: this answer is already stale.
                client = outcome[0]
                if client is not None and client is not self._client:
                    await client.aclose()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug: say so instead of leaving pops waiting forever
            log.exception("loading the DeepCall account failed unexpectedly")
            self._use(None, None, AccountProblem(UnexpectedError(exc, "loading your DeepCall "
                                                                 "account").user_message))
        finally:
            patience.cancel()
            self.settled.emit()
            if not self._stopped:
                # Stopped (the app is closing): what waits for the account must not wake up
                # to "not set up" and record a failure; the shutdown cancels it instead.
                self._loaded.set()

    async def _resolve(self) -> tuple[DeepCallClient | None,
                                      tuple[ResolvedCredentials, Timeouts] | None,
                                      AccountProblem | None]:
        # Settings are read here, on the Qt thread (a QSettings object is not shared across
        # threads); only the keyring is read on the worker thread.
        s = self._settings
        stored = StoredAccountSnapshot(s.brand_url, s.auth_mode, s.user_id)
        first_start = not self._overrides.brand_url and not s.is_configured()
        try:
            timeouts = self._timeouts()
            credentials = await in_daemon_thread(self._resolver, self._overrides, stored,
                                                 self._secrets)
            in_use = (credentials, timeouts)
            if in_use == self._in_use:
                return self._client, in_use, None  # nothing changed: keep the client
            client = DeepCallClient(credentials.brand_url, credentials.auth, timeouts=timeouts,
                                    account_name=credentials.account_name)
        except (CredentialsMissing, SecretsUnavailable, DeepCallApiError) as exc:
            log_event(log, "account_unavailable", logging.WARNING,
                      error=type(exc).__name__, detail=getattr(exc, "detail", ""))
            return None, None, self._problem_of(exc, first_start)
        register_secrets(credentials.auth.secrets())  # redacted from every log line
        return client, in_use, None

    def _problem_of(self, exc: CredentialsMissing | SecretsUnavailable | DeepCallApiError,
                    first_start: bool) -> AccountProblem:
        """What to tell the agent; a bad address is theirs to fix in Settings, unless the IT
        preset sets it: then only IT can, in the file named."""
        if not isinstance(exc, InvalidBrandUrl):
            return AccountProblem(exc.user_message, first_start)
        preset = None if self._overrides.brand_url else self._settings.managed_by("brand_url")
        if preset is None:
            return AccountProblem(exc.user_message, first_start, in_settings=True)
        return AccountProblem(f"{exc.problem} The address is set by your IT department in "
                              f"{preset}: ask them to correct it.", first_start)

    def _use(self, client: DeepCallClient | None,
             in_use: tuple[ResolvedCredentials, Timeouts] | None,
             problem: AccountProblem | None) -> None:
        old = self._client
        self._problem = problem
        self._in_use = in_use
        self._loaded.set()
        if client is not old:
            self._client = client
            self._key += 1
            if client is not None:
                client.set_answer_listener(lambda: self._on_answer(client))
            if old is not None:
                # A lookup or a note may still be running on it: close it when they end.
                self._tasks.spawn(old.aclose_when_idle())
            log_event(log, "account_changed", configured=client is not None)
            self.changed.emit()
        if problem is not None:
            self.problem.emit(problem)

    def _on_answer(self, client: DeepCallClient) -> None:
        if client is self._client:  # a replaced client's late answer speaks for another account
            self.answered.emit()

    def _timeouts(self) -> Timeouts:
        s = self._settings
        return Timeouts(connect=s.connect_timeout_seconds, total=s.total_timeout_seconds)

    # --- one-off use -------------------------------------------------------------------
    async def test_connection(self, brand_url: str, auth: Auth) -> Counters:
        """Settings' "Test connection": a throw-away client for what the dialog holds."""
        register_secrets(auth.secrets())
        async with DeepCallClient(brand_url, auth, timeouts=self._timeouts()) as client:
            return await client.counters()

    # --- shutdown ------------------------------------------------------------------------
    async def stop(self) -> None:
        """No more reloads (the app is closing): nothing may change under the shutdown."""
        self._stopped = True
        task = self._reload_task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def aclose(self) -> None:
        """Stop reloading, close the client and every client still closing."""
        await self.stop()
        await self._tasks.cancel_and_wait()  # a cancelled aclose_when_idle closes at once
        if self._client is not None:
            await self._client.aclose()

