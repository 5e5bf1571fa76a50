"""The checks of ``screenpop self-test``: each runs the app's real code on a throw-away profile.

Each check returns ``(passed, detail)``; the detail is plain words for whoever reads a support
ticket, and never holds a secret. An unexpected exception is the check's failure, not the
command's (app/commands/self_test.py turns it into a FAIL line).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

Outcome = tuple[bool, str]

# The hidden option of ``self-test`` that runs the Qt part in a child process.
QT_PROBE_OPTION: Final = "--qt-probe"
QT_PROBE_SECONDS: Final = 60.0
ICONS: Final = ("app", "tray-idle", "tray-loading", "tray-found", "tray-unknown", "tray-error",
                "tray-withheld")
SOCKET_SECONDS: Final = 10.0
# The platform plugins of a desktop session; anything else (offscreen, minimal, vnc, eglfs,
# linuxfb ...) starts Qt without checking what the agent's desktop needs.
DESKTOP_PLATFORMS: Final = ("xcb", "wayland", "wayland-egl", "windows", "cocoa")
KEYRING_SECONDS: Final = 15.0
# One fixed name: a run killed between storing and deleting leaves at most this one entry,
# which the next run deletes first.
SELF_TEST_SERVICE: Final = "deepcall-screenpop-self-test"


# --- the locale Qt wants ---------------------------------------------------------------------
def utf8_locale_override(codeset: str, platform: str = sys.platform) -> dict[str, str]:
    """``{"LC_ALL": "C.UTF-8"}`` when the locale's character set (``codeset``) is not UTF-8.

    Qt switches such a process to C.UTF-8 itself, with a four-line notice on stderr, in every
    process of the self-test that starts it (the Qt child, the local socket's QCoreApplication):
    the report must stay its PASS/FAIL lines. macOS (Qt switches there to its own "UTF-8"
    locale) and Windows (no such check) are left alone.
    """
    if platform in ("win32", "darwin") or codeset.replace("-", "").lower() == "utf8":
        return {}
    return {"LC_ALL": "C.UTF-8"}


def use_utf8_locale() -> None:
    """For this process (whose Qt reads the environment when it starts) and its children."""
    import locale

    codeset = locale.nl_langinfo(locale.CODESET) if hasattr(locale, "nl_langinfo") else ""
    os.environ.update(utf8_locale_override(codeset))


# --- Qt: in a child process, because Qt aborts (qFatal) when its platform plugin fails ------
def qt_probe_command() -> list[str]:
    """This very executable (the console one on Windows: its output is read) in probe mode."""
    start = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "app"]
    return [*start, "self-test", QT_PROBE_OPTION]


def run_qt_probe() -> dict[str, Any]:
    """The child's findings (``platform``, ``icons``), or ``{"error": why}``."""
    from app.commands.pop import app_environment

    try:
        child = subprocess.run(qt_probe_command(), stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=QT_PROBE_SECONDS,
                               env=app_environment(), check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"Qt did not start within {QT_PROBE_SECONDS:g} s"}
    except OSError as exc:
        return {"error": f"could not start {sys.executable} ({exc.strerror or exc})"}
    lines = child.stdout.decode("utf-8", "replace").strip().splitlines()
    if child.returncode == 0 and lines:
        try:
            found = json.loads(lines[-1])
        except json.JSONDecodeError:
            found = None
        if isinstance(found, dict):
            return found
    said = [line.strip() for line in child.stderr.decode("utf-8", "replace").splitlines()
            if line.strip()]
    # Qt's own words name the plugin it could not load; the last lines say most.
    named = [line for line in said if "plugin" in line.lower() or "display" in line.lower()]
    reason = " ".join((named or said)[-3:])[:500] or "no message"
    return {"error": f"the Qt application could not start (exit code {child.returncode}): "
                     f"{reason}"}


def qt_probe_main() -> int:
    """In the child: start the GUI application as the app does, load every icon, report."""
    from PySide6.QtWidgets import QApplication

    from app.ui.resources import icon

    app = QApplication.instance() or QApplication([sys.argv[0]])
    loaded: list[str] = []
    failed: list[str] = []
    for name in ICONS:
        (loaded if not icon(name).pixmap(32, 32).isNull() else failed).append(name)
    found = {"platform": QApplication.platformName(), "icons": {"loaded": loaded,
                                                               "failed": failed}}
    del app
    sys.stdout.write(json.dumps(found) + "\n")
    sys.stdout.flush()
    return 0


def qt_platform(probe: dict[str, Any]) -> Outcome:
    if "error" in probe:
        return False, str(probe["error"])
    platform = probe.get("platform") or "?"
    if platform not in DESKTOP_PLATFORMS:
        # offscreen, minimal, vnc ... (QT_QPA_PLATFORM or -platform): Qt started, but not
        # with the plugin the agent's desktop needs, which may be the one that is broken.
        return False, (f"Qt started on the {platform} platform, not a desktop one: the "
                       "desktop plugin (xcb/windows/cocoa) was not checked; run the self-test "
                       "on the desktop")
    return True, f"the {platform} platform plugin started a Qt application"


def icons(probe: dict[str, Any]) -> Outcome:
    if "error" in probe:
        return False, "not checked: the Qt application could not start"
    found = probe.get("icons") or {}
    failed = list(found.get("failed") or [])
    if failed:
        return False, f"could not load {', '.join(failed)} (resources/icons, or Qt's SVG support)"
    return True, f"{len(found.get('loaded') or [])} icons loaded from resources/icons"


# --- the OS keyring ---------------------------------------------------------------------------
def _backend_name(backend: object) -> str:
    return f"{type(backend).__module__.removeprefix('keyring.backends.')}." \
           f"{type(backend).__name__}"


def guarded(check: Callable[[], Outcome]) -> Outcome:
    """``check()``; an unexpected exception is its failure (a FAIL line), never a traceback."""
    try:
        return check()
    except Exception as exc:
        return False, f"{type(exc).__name__}: {str(exc)[:300] or 'no details'}"


def keyring_check(seconds: float = KEYRING_SECONDS) -> Outcome:
    """:func:`keyring_round_trip` with a deadline: a keyring daemon waiting on a prompt nobody
    sees (locked, or asking to create the first keyring) never answers its D-Bus calls.

    The round trip runs in a daemon thread left behind when it does not answer: the other
    checks still run, and the process can end (Ctrl+C, SIGTERM) while it waits.
    """
    found: list[Outcome] = []
    worker = threading.Thread(target=lambda: found.append(guarded(keyring_round_trip)),
                              name="self-test-keyring", daemon=True)
    worker.start()
    deadline = time.monotonic() + seconds
    while worker.is_alive() and time.monotonic() < deadline:
        # Short waits: Ctrl+C and SIGTERM end the wait at once, Windows included (there a
        # long lock wait is not interrupted by Ctrl+C).
        worker.join(min(0.25, max(0.0, deadline - time.monotonic())))
    if not found:
        return False, (f"no answer within {seconds:g} s (the keyring may be locked or waiting "
                       "for a password prompt)")
    return found[0]


def _locked_collection(backend: object) -> str | None:
    """Why the Secret Service's collection cannot be used without a prompt, or None.

    keyring would ask to unlock a locked collection (a password prompt) and secretstorage would
    ask to create a missing default one: the self-test only looks, and says so.
    """
    from keyring.backends import SecretService, chainer

    services = [one for one in (backend.backends if isinstance(backend, chainer.ChainerBackend)
                                else [backend]) if isinstance(one, SecretService.Keyring)]
    if not services:
        return None
    from contextlib import closing

    import secretstorage
    from secretstorage.collection import DEFAULT_COLLECTION
    from secretstorage.exceptions import ItemNotFoundException

    path = getattr(services[0], "preferred_collection", DEFAULT_COLLECTION)
    with closing(secretstorage.dbus_init()) as bus:
        try:
            collection = secretstorage.Collection(bus, path)
        except ItemNotFoundException:
            return ("there is no default keyring collection yet (the desktop would ask to "
                    "create one): log in to the desktop once and run the self-test again")
        if collection.is_locked():
            return ("the default keyring collection is locked: unlock it (or log in to the "
                    "desktop) and run the self-test again")
    return None


def keyring_round_trip() -> Outcome:
    """A real backend stores, returns and deletes a secret under the self-test's service name."""
    import keyring
    from keyring.backends import chainer, fail, null

    from app.services.secrets import SecretStore

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring | null.Keyring):
        return False, f"no usable keyring backend ({_backend_name(backend)})"
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return False, "no usable keyring backend (a chain of none)"
    locked = _locked_collection(backend)
    if locked:
        return False, locked
    name = _backend_name(backend)
    store = SecretStore(service=SELF_TEST_SERVICE)
    value = secrets.token_urlsafe(24)
    store.clear("token")  # left by a run that was killed between storing and deleting
    store.store("token", value)
    try:
        back = store.load("token")
    finally:  # only what this run stored: a store that never returned left nothing to clear
        store.clear("token")
    if back != value:
        return False, f"{name} did not return the secret it stored"
    if store.load("token") is not None:
        return False, f"{name} kept a secret it was told to delete"
    return True, f"{name} stored, read and deleted a test secret"


# --- TLS ------------------------------------------------------------------------------------
SECURITY_TOOL: Final = "/usr/bin/security"
MACOS_SYSTEM_ROOTS: Final = "/System/Library/Keychains/SystemRootCertificates.keychain"


def os_root_count(platform: str,
                  run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
                  enum: Callable[[str], list[Any]] | None = None) -> int:
    """How many certificates the OS's own store offers truststore (Windows, macOS)."""
    if platform == "win32":
        enum = enum or getattr(ssl, "enum_certificates", None)  # only Python on Windows has it
        return sum(len(enum(store)) for store in ("ROOT", "CA")) if enum else 0
    listing = run([SECURITY_TOOL, "find-certificate", "-a", MACOS_SYSTEM_ROOTS],
                  capture_output=True, text=True, timeout=30, check=False)
    return sum(1 for line in listing.stdout.splitlines() if line.startswith("keychain:"))


def tls_trust() -> Outcome:
    """The app's TLS context is truststore's (the OS trust store) and has anchors."""
    from app.api.transport import ssl_context

    return judge_tls(ssl_context(), sys.platform, os_root_count)


def judge_tls(context: ssl.SSLContext, platform: str,
              count_os_roots: Callable[[str], int]) -> Outcome:
    kind = type(context).__module__.split(".")[0]
    if kind != "truststore":
        # The app fell back to certifi's fixed bundle: HTTPS still verifies, but a root IT
        # installs (a call centre's TLS inspection) is not trusted, which is why truststore
        # is shipped.
        return False, (f"the OS trust store is not used (truststore could not be loaded; "
                       f"the {kind} fallback does not know the roots IT installs)")
    if platform in ("win32", "darwin"):
        # There the OS verifies each chain itself (its own store, its policies).
        system = "Windows" if platform == "win32" else "macOS"
        roots = count_os_roots(platform)
        if not roots:
            return False, f"truststore is used, but the {system} trust store lists no roots"
        return True, f"truststore verifies with the {system} trust store ({roots} certificates)"
    # OpenSSL does the verifying: make the context load its locations as a connection would.
    context.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="example.com")
    # truststore keeps the OpenSSL context it configures inside (its own stats say nothing).
    openssl: ssl.SSLContext = getattr(context, "_ctx", context)
    anchors = openssl.cert_store_stats().get("x509_ca", 0)
    where = "loaded"
    if not anchors:  # a hashed folder is read lazily: count what it offers
        folder = ssl.get_default_verify_paths().capath
        if folder and os.path.isdir(folder):
            anchors = sum(1 for entry in os.listdir(folder) if entry[-2:-1] == "."
                          and entry[-1:].isdigit())
            where = f"in {folder}"
    if not anchors:
        paths = ssl.get_default_verify_paths()
        return False, (f"{kind}: no trust anchors found (OpenSSL looks in "
                       f"{paths.openssl_cafile} and {paths.openssl_capath})")
    return True, f"{kind}: {anchors} trust anchors {where}"


# --- the DeepCall client against the embedded sandbox -------------------------------------------
def sandbox_round_trip(number: str | None = None) -> Outcome:
    """contactInfo for a seeded caller (``number``: another, for a test) through the app's
    real client, on loopback."""
    from app.api.auth import TokenAuth
    from app.api.client import DeepCallClient
    from app.core.contact import Contact
    from app.sandbox.accounts import DEMO_TOKEN, DEMO_USER_ID
    from app.sandbox.seed import DEMO_KNOWN_NUMBER
    from app.sandbox.server import SandboxServer

    async def look_up(base_url: str) -> object:
        async with DeepCallClient(base_url, TokenAuth(DEMO_USER_ID, DEMO_TOKEN)) as client:
            return await client.contact_info(number or "+" + DEMO_KNOWN_NUMBER)

    started = time.perf_counter()
    with SandboxServer() as sandbox:
        result = asyncio.run(look_up(sandbox.base_url))
        address = sandbox.base_url
    took = (time.perf_counter() - started) * 1000
    if not isinstance(result, Contact):
        return False, f"the sandbox at {address} did not return its seeded contact"
    return True, f"contactInfo answered by the embedded sandbox at {address} ({took:.0f} ms)"


# --- the local socket -------------------------------------------------------------------------
def local_socket(profile_dir: Path) -> Outcome:
    """The app's local server listens for the profile; the client code gets its state."""
    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer

    from app.core.pop_request import STATE_LINE
    from app.sources.forward import exchange
    from app.sources.local_server import LocalSocketServer
    from app.sources.socket_address import server_name

    app = QCoreApplication.instance() or QCoreApplication([sys.argv[0]])
    server = LocalSocketServer(profile_dir, lambda: {"status": "idle", "self_test": True})
    if not server.start():
        return False, f"could not listen at {server_name(profile_dir)}: {server.errorString()}"
    answer: dict[str, Any] = {}

    def ask() -> None:  # the blocking client, as `screenpop state` runs it
        try:
            answer["reply"] = exchange(profile_dir, STATE_LINE, timeout=SOCKET_SECONDS)
        except (ConnectionError, OSError) as exc:
            answer["error"] = str(exc) or type(exc).__name__

    asker = threading.Thread(target=ask, daemon=True)
    asker.start()
    loop = QEventLoop()
    poll = QTimer()
    poll.timeout.connect(lambda: None if asker.is_alive() else loop.quit())
    poll.start(10)
    loop.exec()  # the server answers on this loop while the client waits in its thread
    poll.stop()
    server.close()
    del app
    reply = answer.get("reply") or {}
    state = reply.get("state") if isinstance(reply, dict) else None
    if not (isinstance(state, dict) and state.get("self_test") is True):
        return False, f"the local socket did not answer: {answer.get('error') or reply}"
    return True, f"listening at {server_name(profile_dir)}; the state query was answered"


# --- shipped data -----------------------------------------------------------------------------
def field_mapping() -> Outcome:
    from app.core.field_mapping import DEFAULT_MAPPING_RESOURCE, FieldMappingError, default_mapping
    from app.core.resources import resource_path

    try:
        mapping = default_mapping()
    except FieldMappingError as exc:  # missing or damaged: its message names the file
        return False, str(exc)
    return True, (f"{len(mapping.fields)} fields from "
                  f"{resource_path(DEFAULT_MAPPING_RESOURCE)}")
