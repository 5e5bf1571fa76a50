"""Which DeepCall account to use: command-line/env overrides first, then settings + keyring.

Overrides (``--brand``, ``--user-id``, ``DEEPCALL_TOKEN`` / ``DEEPCALL_SSID``) are for IT
scripts, tests and the demo: they are used for this run only and never written anywhere, and
with them no keyring is needed at all. No Qt here, so ``screenpop lookup`` can use it too:
the stored settings come in through the small ``StoredAccount`` protocol (``Settings`` fits
it; ``read_stored_account`` reads the INI without Qt).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal, Protocol

from app.api.auth import Auth, SsidAuth, TokenAuth
from app.services.errors import CredentialsMissing, SecretsUnavailable
from app.services.logs import register_secrets
from app.services.preset import Preset
from app.services.secrets import SecretStore
from app.services.stored_settings import StoredSettings, read_stored

TOKEN_ENV: Final = "DEEPCALL_TOKEN"  # noqa: S105 (the variable's name, not a token)
SSID_ENV: Final = "DEEPCALL_SSID"


class StoredAccount(Protocol):
    """The three stored settings credentials need (``app.services.settings.Settings`` fits)."""

    @property
    def brand_url(self) -> str: ...
    @property
    def auth_mode(self) -> str: ...
    @property
    def user_id(self) -> str: ...


@dataclass(frozen=True)
class StoredAccountSnapshot:
    brand_url: str = ""
    auth_mode: str = "token"
    user_id: str = ""


def read_stored_account(profile_dir: Path,
                        preset: Preset | None = None) -> StoredAccountSnapshot:
    """brand_url/auth_mode/user_id from the IT preset over <profile>/settings.ini, no Qt.

    Read as the app's Settings read them (``app.services.stored_settings``): one answer for
    the same files. A missing or unreadable file gives the defaults.
    """
    return stored_account(read_stored(Path(profile_dir), preset))


def stored_account(stored: StoredSettings) -> StoredAccountSnapshot:
    """The account part of what was read (``lookup`` reads once, warns, then uses it)."""
    return StoredAccountSnapshot(stored.text("brand_url"), stored.auth_mode(),
                                 stored.text("user_id"))


@dataclass(frozen=True)
class CredentialOverrides:
    """Values given for this run only. Secrets are hidden from repr."""

    brand_url: str | None = None
    user_id: str | None = None
    token: str | None = field(default=None, repr=False)
    ssid: str | None = field(default=None, repr=False)
    # With ``brand_url``: the account's name instead of its address (the demo's embedded
    # sandbox listens on a new port each run, yet it is the same account).
    account_name: str | None = None

    @classmethod
    def from_args_and_env(cls, brand_url: str | None = None, user_id: str | None = None,
                          environ: Mapping[str, str] | None = None) -> CredentialOverrides:
        env = os.environ if environ is None else environ
        return cls(brand_url=brand_url or None, user_id=user_id or None,
                   token=env.get(TOKEN_ENV) or None, ssid=env.get(SSID_ENV) or None)

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.token, self.ssid) if s)


@dataclass(frozen=True)
class ResolvedCredentials:
    """The account this run talks to. ``auth`` hides its secret from repr."""

    brand_url: str
    auth: Auth
    # Where the secret came from: "override" (env, never persisted) or "keyring".
    secret_source: Literal["override", "keyring"]
    account_name: str | None = None  # see CredentialOverrides

    @property
    def persisted(self) -> bool:
        return self.secret_source == "keyring"  # noqa: S105 (a source name)


def _pick_mode(overrides: CredentialOverrides, stored_mode: str) -> Literal["ssid", "token"]:
    # An env secret says which mode the caller wants; if both are given, userId decides.
    if overrides.token and overrides.ssid:
        return "token" if overrides.user_id else "ssid"
    if overrides.token:
        return "token"
    if overrides.ssid:
        return "ssid"
    return "ssid" if stored_mode == "ssid" else "token"


def resolve_credentials(overrides: CredentialOverrides | None = None,
                        stored: StoredAccount | None = None,
                        secrets: SecretStore | None = None) -> ResolvedCredentials:
    """Overrides win; the keyring is only consulted when no override secret is given.

    Raises ``CredentialsMissing`` (or ``SecretsUnavailable`` from the keyring) with a plain
    message naming what is missing and how to provide it.
    """
    overrides = overrides or CredentialOverrides()
    stored = stored or StoredAccountSnapshot()
    brand_url = (overrides.brand_url or stored.brand_url or "").strip()
    if not brand_url:
        raise CredentialsMissing(
            "No DeepCall address is set. Enter your account's API host in Settings, "
            "or pass --brand URL.")
    mode = _pick_mode(overrides, stored.auth_mode)
    user_id = (overrides.user_id or stored.user_id or "").strip()

    override_secret = overrides.token if mode == "token" else overrides.ssid
    # Every secret this run may see is redacted from the logs, used or not.
    register_secrets(overrides.secrets())
    if override_secret:
        secret, source = override_secret, "override"
    else:
        store = secrets or SecretStore()
        try:
            loaded = store.load(mode)
        except SecretsUnavailable as exc:
            env = TOKEN_ENV if mode == "token" else SSID_ENV
            raise SecretsUnavailable(f"{exc.user_message} Or set {env} for this run.",
                                     detail=exc.detail) from None
        if not loaded:
            env = TOKEN_ENV if mode == "token" else SSID_ENV
            raise CredentialsMissing(
                f"No DeepCall {mode} is saved. Enter it in Settings, or set {env}.")
        secret, source = loaded, "keyring"

    if mode == "token":
        if not user_id:
            raise CredentialsMissing(
                "No DeepCall userId is set (needed with an API token). Enter it in "
                "Settings, or pass --user-id.")
        auth: Auth = TokenAuth(user_id=user_id, token=secret)
    else:
        auth = SsidAuth(ssid=secret)
    return ResolvedCredentials(brand_url=brand_url, auth=auth,
                               secret_source="override" if source == "override" else "keyring",
                               account_name=overrides.account_name if overrides.brand_url
                               else None)
