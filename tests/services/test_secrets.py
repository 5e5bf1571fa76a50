"""SecretStore against the real OS keyring (gnome-keyring under tests/tools/with-desktop.sh)."""

from __future__ import annotations

import keyring
import keyring.backend
import keyring.errors
import pytest

from app.services.errors import SecretsUnavailable
from app.services.secrets import SecretStore


@pytest.mark.keyring
def test_store_load_clear_round_trip(keyring_service: str) -> None:
    store = SecretStore(keyring_service)
    assert store.load("token") is None
    store.store("token", "tok-123-secret")
    store.store("ssid", "ssid-456-secret")
    assert store.load("token") == "tok-123-secret"
    assert store.load("ssid") == "ssid-456-secret"
    # Exactly the usernames "token" and "ssid", so other tools (and the lookup) find them.
    assert keyring.get_password(keyring_service, "token") == "tok-123-secret"
    assert keyring.get_password(keyring_service, "ssid") == "ssid-456-secret"
    store.clear("token")
    assert store.load("token") is None
    store.clear("token")  # clearing twice is not an error
    assert store.load("ssid") == "ssid-456-secret"


@pytest.mark.keyring
def test_unknown_kind_and_empty_value_are_refused(keyring_service: str) -> None:
    store = SecretStore(keyring_service)
    with pytest.raises(ValueError, match="unknown secret kind"):
        store.load("password")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty"):
        store.store("token", "")


class _BrokenKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self, exc: Exception) -> None:
        super().__init__()
        self.exc = exc

    def get_password(self, service: str, username: str) -> str | None:
        raise self.exc

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.exc

    def delete_password(self, service: str, username: str) -> None:
        raise self.exc


@pytest.fixture
def broken_keyring() -> object:
    previous = keyring.get_keyring()

    def use(exc: Exception) -> None:
        keyring.set_keyring(_BrokenKeyring(exc))

    yield use
    keyring.set_keyring(previous)


@pytest.mark.parametrize(("exc", "phrase"), [
    (keyring.errors.NoKeyringError("No recommended backend"), "not available"),
    (keyring.errors.KeyringLocked("Failed to unlock the collection"), "locked"),
    (RuntimeError("dbus.exceptions.DBusException: org.freedesktop"), "not available"),
])
def test_keyring_failures_become_one_plain_error(broken_keyring, exc: Exception,  # type: ignore[no-untyped-def]
                                                  phrase: str) -> None:
    broken_keyring(exc)
    store = SecretStore("deepcall-screenpop-test-broken")
    for action in (lambda: store.load("token"), lambda: store.store("token", "sekrit-value"),
                   lambda: store.clear("ssid")):
        with pytest.raises(SecretsUnavailable) as info:
            action()
        assert phrase in str(info.value)
        assert "sekrit-value" not in str(info.value)
        assert info.value.__cause__ is None
        assert info.value.__suppress_context__
        assert info.value.detail == type(exc).__name__


def test_no_keyring_backend_at_all_is_plain() -> None:
    """The keyring 'fail' backend (what a machine without any keyring gets)."""
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        with pytest.raises(SecretsUnavailable, match="keyring is not available"):
            SecretStore().load("token")
    finally:
        keyring.set_keyring(previous)


def test_module_loads_no_qt() -> None:
    import subprocess
    import sys

    code = ("import sys, app.services.secrets, app.services.credentials\n"
            "print(any(m.startswith('PySide6') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "False"


def test_the_memory_store_never_touches_the_keyring_and_redacts(broken_keyring) -> None:  # type: ignore[no-untyped-def]
    import logging

    from app.services.logs import redactor
    from app.services.secrets import MemorySecretStore

    # Any use of the OS keyring now fails loudly: the demo's store must not need it.
    broken_keyring(AssertionError("the demo touched the OS keyring"))
    store = MemorySecretStore()
    store.store("token", "memory-only-secret-123")
    assert store.load("token") == "memory-only-secret-123"
    assert "memory-only-secret-123" not in repr(store)
    record = logging.LogRecord("t", logging.INFO, "", 0, "got memory-only-secret-123", None, None)
    redactor.filter(record)
    assert "memory-only-secret-123" not in record.getMessage()
    store.clear("token")
    assert store.load("token") is None
