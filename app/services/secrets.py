"""The agent's DeepCall secrets (token, ssid), kept only in the OS keyring.

No Qt here: the headless ``screenpop lookup`` reads secrets too. Every keyring failure becomes
one plain-language ``SecretsUnavailable``; the secret itself never appears in a message.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

import keyring
import keyring.errors

from app.services.errors import SecretsUnavailable
from app.services.keychain import macos_api, saving_backend, update_in_place
from app.services.logs import register_secrets

SecretKind = Literal["ssid", "token"]
SECRET_KINDS: Final[tuple[str, ...]] = get_args(SecretKind)
DEFAULT_SERVICE: Final = "deepcall-screenpop"

_UNAVAILABLE = (
    "The system keyring is not available, so the DeepCall {kind} cannot be {verb}. "
    "Unlock your keyring (or log in to the desktop session)."
)
_LOCKED = (
    "The system keyring is locked, so the DeepCall {kind} cannot be {verb}. "
    "Unlock it and try again."
)


def _check_kind(kind: str) -> None:
    if kind not in SECRET_KINDS:
        raise ValueError(f"unknown secret kind {kind!r}; expected one of {SECRET_KINDS}")


def _unavailable(exc: BaseException, kind: str, verb: str) -> SecretsUnavailable:
    template = _LOCKED if isinstance(exc, keyring.errors.KeyringLocked) else _UNAVAILABLE
    return SecretsUnavailable(template.format(kind=kind, verb=verb),
                              detail=type(exc).__name__)


def _save(service: str, username: str, value: str) -> None:
    # On macOS an item that exists is changed in place: keyring would delete and re-add it,
    # and the agent's "Always Allow" would go with the deleted item (app.services.keychain).
    api = macos_api(saving_backend())
    if api is not None and update_in_place(api, service, username, value):
        return
    keyring.set_password(service, username, value)


class SecretStore:
    """Token and ssid under one keyring service; usernames are exactly ``ssid`` / ``token``."""

    def __init__(self, service: str = DEFAULT_SERVICE) -> None:
        self.service = service

    def __repr__(self) -> str:
        return f"SecretStore(service={self.service!r})"

    def load(self, kind: SecretKind) -> str | None:
        _check_kind(kind)
        try:
            value = keyring.get_password(self.service, kind)
        except Exception as exc:  # any backend failure (D-Bus, locked, none) is "unavailable"
            raise _unavailable(exc, kind, "read") from None
        # From now on the log redacts it, wherever it turns up.
        register_secrets([value])
        return value or None

    def store(self, kind: SecretKind, value: str) -> None:
        _check_kind(kind)
        if not value:
            raise ValueError(f"refusing to store an empty {kind}; use clear() to remove it")
        register_secrets([value])
        try:
            _save(self.service, kind, value)
        except Exception as exc:
            raise _unavailable(exc, kind, "saved") from None

    def clear(self, kind: SecretKind) -> None:
        """Remove the secret; clearing one that is not there is not an error."""
        _check_kind(kind)
        try:
            keyring.delete_password(self.service, kind)
        except keyring.errors.PasswordDeleteError:
            return
        except Exception as exc:
            raise _unavailable(exc, kind, "removed") from None


class MemorySecretStore(SecretStore):
    """The demo's keyring: lives and dies with the process, so the real keyring stays untouched."""

    def __init__(self) -> None:
        super().__init__(service="deepcall-screenpop-memory")
        self._values: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"MemorySecretStore({len(self._values)} secrets)"

    def load(self, kind: SecretKind) -> str | None:
        _check_kind(kind)
        return self._values.get(kind)

    def store(self, kind: SecretKind, value: str) -> None:
        _check_kind(kind)
        if not value:
            raise ValueError(f"refusing to store an empty {kind}; use clear() to remove it")
        register_secrets([value])
        self._values[kind] = value

    def clear(self, kind: SecretKind) -> None:
        _check_kind(kind)
        self._values.pop(kind, None)
