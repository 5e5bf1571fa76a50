"""macOS Keychain: change a saved secret in place instead of deleting and re-adding it.

keyring's macOS backend saves by deleting the item and adding a new one. The new item has a
new access list, so the "Always Allow" the agent gave the app is gone and macOS asks for the
login password again at the next read. ``SecItemUpdate`` changes only the item's data and
keeps its access list. It goes through keyring's own ctypes module (``keyring.backends.macOS
.api``: the Security framework already loaded, its query builder and its error codes), so
the item written is the one keyring reads. No Qt here.
"""

from __future__ import annotations

import ctypes
from types import ModuleType
from typing import Any

import keyring
import keyring.errors
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend


def saving_backend(backend: KeyringBackend | None = None) -> KeyringBackend:
    """The backend ``keyring.set_password`` writes to (a chainer writes to its first)."""
    backend = backend or keyring.get_keyring()
    if isinstance(backend, ChainerBackend) and backend.backends:
        return backend.backends[0]  # type: ignore[no-any-return]
    return backend


def macos_api(backend: KeyringBackend) -> ModuleType | None:
    """keyring's Security-framework module when ``backend`` is its macOS Keychain, else None."""
    try:
        from keyring.backends import macOS
    except ImportError:
        return None
    if not isinstance(backend, macOS.Keyring):
        return None
    return getattr(macOS, "api", None)  # absent where the Security framework is (not macOS)


def update_in_place(api: Any, service: str, username: str, password: str) -> bool:
    """Replace the password of an existing item; False when there is no such item yet.

    Raises keyring's own errors (``KeyringLocked`` when the Keychain refused), so callers
    treat them as they treat keyring's.
    """
    # SecItemUpdate takes kSecValueData as CFData only (a CFString, what keyring's query
    # builder makes of a str, is errSecParam). Wrapped in c_void_p, keyring's create_cf
    # passes the handle through as it is instead of making a number of it.
    data = _cf_data(api, password.encode("utf-8"))  # read back by keyring as UTF-8
    query = changes = None
    try:
        query = api.create_query(kSecClass=api.k_("kSecClassGenericPassword"),
                                 kSecAttrService=service, kSecAttrAccount=username)
        changes = api.create_query(kSecValueData=ctypes.c_void_p(data))
        status = _sec_item_update(api)(query, changes)
    finally:  # the secret's CFData, and the dictionaries holding it, are not left behind
        release = _cf_release(api)
        for made in (changes, query, data):
            if made:
                release(made)
    if status == api.error.item_not_found:
        return False
    try:
        api.Error.raise_for_status(status)
    except api.KeychainDenied as exc:
        raise keyring.errors.KeyringLocked(f"Can't update password in keychain: {exc}") from exc
    except api.Error as exc:
        raise keyring.errors.PasswordSetError(f"Can't update password in keychain: {exc}") \
            from exc
    return True


def _cf_data(api: Any, raw: bytes) -> Any:
    create = api._found.CFDataCreate  # CoreFoundation, through the library keyring loaded
    create.restype = ctypes.c_void_p
    create.argtypes = (ctypes.c_void_p, ctypes.c_char_p, ctypes.c_long)
    data = create(None, raw, len(raw))
    if not data:
        raise keyring.errors.PasswordSetError("Can't update password in keychain: no memory")
    return data


def _cf_release(api: Any) -> Any:
    release = api._found.CFRelease
    release.restype = None
    release.argtypes = (ctypes.c_void_p,)
    return release


def _sec_item_update(api: Any) -> Any:
    # keyring's api declares SecItemAdd/CopyMatching/Delete only; Update has the same shape.
    function = api._sec.SecItemUpdate
    function.restype = api.OS_status
    function.argtypes = (ctypes.c_void_p, ctypes.c_void_p)
    return function
