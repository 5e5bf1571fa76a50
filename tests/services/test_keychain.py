"""Saving a secret on macOS keeps the Keychain item (and the agent's "Always Allow").

Driven with a fake of keyring's ctypes Security module (``keyring.backends.macOS.api``) under
keyring's real macOS backend class: everything above the C calls is the code that runs on a
Mac. The fake keychain gives each added item a fresh access list, as macOS does.
"""

from __future__ import annotations

from collections.abc import Iterator
from ctypes import c_void_p
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import keyring
import keyring.backend
import keyring.errors
import pytest
from keyring.backends import macOS
from keyring.backends.chainer import ChainerBackend

from app.services.errors import SecretsUnavailable
from app.services.keychain import saving_backend
from app.services.secrets import SecretStore

SERVICE = "deepcall-screenpop-keychain-test"
ITEM_NOT_FOUND, DENIED, PARAM = -25300, -128, -50


@dataclass
class Item:
    password: str
    always_allowed: set[str] = field(default_factory=set)  # a new item trusts no app yet


class FakeSecurity:
    """The parts of keyring's ``macOS.api`` that keyring and the app call."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Item] = {}
        self.calls: list[str] = []
        self.locked = False
        # Core Foundation objects by handle: CFData made and not yet released (a CFData is
        # bytes here, a CFString a str), and the dictionaries made and released.
        self.data: dict[int, bytes] = {}
        self.dictionaries: list[dict[str, Any]] = []
        self.released: list[int] = []
        outer = self

        class Error(Exception):
            @classmethod
            def raise_for_status(cls, status: int) -> None:
                if status == ITEM_NOT_FOUND:
                    raise NotFound(status, "Item not found")
                if status == DENIED:
                    raise KeychainDenied(status, "Keychain Access Denied")
                if status:
                    raise cls(status, "Unknown Error")

        class NotFound(Error):
            pass

        class KeychainDenied(Error):
            pass

        def sec_item_update(query: dict[str, Any], changes: dict[str, Any]) -> int:
            outer.calls.append("update")
            if outer.locked:
                return DENIED
            item = outer.items.get((query["kSecAttrService"], query["kSecAttrAccount"]))
            if item is None:
                return ITEM_NOT_FOUND
            data = changes["kSecValueData"]
            # Apple's _UpdateKeychainItem: "require_action(CFDataGetTypeID() ==
            # CFGetTypeID(theData), ..., status = errSecParam)": a CFString is refused.
            if not isinstance(data, bytes):
                return PARAM
            item.password = data.decode("utf-8")  # as keyring's cfstr_to_str reads it
            return 0

        def cf_data_create(_allocator: None, raw: bytes, length: int) -> int:
            handle = 0x1000 + len(outer.data) + len(outer.released)
            outer.data[handle] = bytes(raw[:length])
            return handle

        def cf_release(handle: object) -> None:
            if isinstance(handle, dict):
                handle["released"] = True
            else:
                assert isinstance(handle, int)
                assert handle in outer.data, "released twice"
                del outer.data[handle]
                outer.released.append(handle)

        def create_query(**values: Any) -> dict[str, Any]:
            # keyring's create_cf: a str becomes a CFString, a c_void_p passes as it is.
            made = {key: outer.data.get(value.value, value) if isinstance(value, c_void_p)
                    else value for key, value in values.items()}
            outer.dictionaries.append(made)
            return made

        self.api = SimpleNamespace(
            Error=Error, NotFound=NotFound, KeychainDenied=KeychainDenied,
            error=SimpleNamespace(item_not_found=ITEM_NOT_FOUND, keychain_denied=DENIED),
            OS_status=int, _sec=SimpleNamespace(SecItemUpdate=sec_item_update),
            _found=SimpleNamespace(CFDataCreate=cf_data_create, CFRelease=cf_release),
            create_query=create_query, k_=lambda name: name,
            find_generic_password=self.find, set_generic_password=self.delete_and_add,
            delete_generic_password=self.delete)

    def find(self, _keychain: str | None, service: str, username: str) -> str:
        item = self.items.get((service, username))
        if item is None:
            raise self.api.NotFound(ITEM_NOT_FOUND, "Item not found")
        return item.password

    def delete_and_add(self, _keychain: str | None, service: str, username: str,
                       password: str) -> None:
        # What keyring's set_generic_password does: the old item (and its trust) is gone.
        self.calls.append("delete+add")
        if self.locked:
            raise self.api.KeychainDenied(DENIED, "Keychain Access Denied")
        self.items[(service, username)] = Item(password)

    def delete(self, _keychain: str | None, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise self.api.NotFound(ITEM_NOT_FOUND, "Item not found")


@pytest.fixture
def keychain(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSecurity]:
    fake = FakeSecurity()
    monkeypatch.setattr(macOS, "api", fake.api, raising=False)  # absent off macOS
    previous = keyring.get_keyring()
    keyring.set_keyring(macOS.Keyring())
    try:
        yield fake
    finally:
        keyring.set_keyring(previous)


def test_a_new_token_keeps_the_item_and_the_agents_always_allow(keychain: FakeSecurity) -> None:
    store = SecretStore(SERVICE)
    store.store("token", "first-token-secret")  # no item yet: added
    item = keychain.items[(SERVICE, "token")]
    item.always_allowed.add("DeepCall Screen-Pop")  # the agent clicked "Always Allow"
    store.store("token", "second-token-secret")
    assert keychain.items[(SERVICE, "token")] is item, "the item was deleted and re-added"
    assert item.always_allowed == {"DeepCall Screen-Pop"}
    assert store.load("token") == "second-token-secret"  # read back through keyring itself
    assert keychain.calls == ["update", "delete+add", "update"]


def test_the_update_gives_the_keychain_the_password_as_data_and_frees_it(
        keychain: FakeSecurity) -> None:
    # SecItemUpdate takes kSecValueData as CFData only: a CFString (what keyring's query
    # builder makes of a str) is errSecParam on a Mac, and every later save would fail.
    store = SecretStore(SERVICE)
    store.store("token", "first-token-secret")
    store.store("token", "second-token-secrét")
    assert keychain.items[(SERVICE, "token")].password == "second-token-secrét"
    # Nothing holding the secret is left behind: the CFData and both dictionaries released.
    assert keychain.data == {}
    assert len(keychain.released) == keychain.calls.count("update")
    assert any("kSecValueData" in d for d in keychain.dictionaries)
    assert all(d.get("released") for d in keychain.dictionaries)


def test_a_locked_keychain_on_update_is_the_plain_locked_message(
        keychain: FakeSecurity) -> None:
    store = SecretStore(SERVICE)
    store.store("ssid", "old-ssid-secret")
    keychain.locked = True
    with pytest.raises(SecretsUnavailable) as caught:
        store.store("ssid", "new-ssid-secret")
    assert "locked" in caught.value.user_message
    assert "new-ssid-secret" not in str(caught.value)
    assert keychain.calls == ["update", "delete+add", "update"]  # nothing deleted


def test_a_chainer_saves_to_its_first_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    first = macOS.Keyring()
    monkeypatch.setattr(ChainerBackend, "backends", [first, RecordingKeyring([])])
    assert saving_backend(ChainerBackend()) is first


class RecordingKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    # A required argument: keyring's backend discovery (which instantiates every subclass
    # it finds) cannot make one, so it never joins the default chain of later tests.
    def __init__(self, saved: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.saved = saved

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self.saved.append((service, username, password))

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.PasswordDeleteError(username)


def test_other_backends_save_through_keyring_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    # Not the Keychain (Secret Service, Windows Credential Manager...): keyring's own set.
    monkeypatch.setattr(macOS, "api", FakeSecurity().api, raising=False)
    backend = RecordingKeyring([])
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        SecretStore(SERVICE).store("token", "some-token-secret")
    finally:
        keyring.set_keyring(previous)
    assert backend.saved == [(SERVICE, "token", "some-token-secret")]
