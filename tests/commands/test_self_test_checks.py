"""Each self-test check says FAIL when its part is broken: the checks themselves, in this
process, with the broken part made real where that is cheap (a taken socket, a caller the
sandbox does not know, a missing data file) and faked only for what this OS cannot have (the
Windows and macOS trust stores)."""

from __future__ import annotations

import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import keyring
import pytest
import truststore
from keyring.backends import chainer
from PySide6.QtWidgets import QApplication

from app.commands import self_test_checks as checks
from app.core import field_mapping as mapping_module
from app.sandbox.seed import DEMO_UNKNOWN_NUMBER
from app.sources.local_server import LocalSocketServer

REPO = Path(__file__).resolve().parents[2]
ALL_ICONS = {"loaded": list(checks.ICONS), "failed": []}


# --- tls ------------------------------------------------------------------------------------
def _no_roots(_platform: str) -> int:
    return 0


def test_tls_fails_when_the_context_is_not_truststores() -> None:
    certifi_like = ssl.create_default_context()
    passed, detail = checks.judge_tls(certifi_like, "linux", _no_roots)
    assert not passed
    assert detail.startswith("the OS trust store is not used")


def test_tls_fails_in_a_real_process_that_fell_back_to_certifi() -> None:
    script = ("import sys; sys.modules['truststore'] = None\n"  # as a bundle that lost it
              "from app.commands.self_test_checks import tls_trust; print(tls_trust()[0])")
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize(("platform", "system"), [("win32", "Windows"), ("darwin", "macOS")])
def test_tls_on_windows_and_macos_counts_the_os_roots(platform: str, system: str) -> None:
    context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    assert checks.judge_tls(context, platform, lambda _p: 143) == (
        True, f"truststore verifies with the {system} trust store (143 certificates)")
    passed, detail = checks.judge_tls(context, platform, _no_roots)
    assert not passed
    assert detail == f"truststore is used, but the {system} trust store lists no roots"


def test_the_windows_roots_are_the_root_and_ca_stores() -> None:
    stores = {"ROOT": [("cert", "x509_asn", True)] * 3, "CA": [("cert", "x509_asn", True)] * 2}
    assert checks.os_root_count("win32", enum=lambda store: stores[store]) == 5


def test_the_macos_roots_are_counted_from_the_system_roots_keychain() -> None:
    asked: list[list[str]] = []

    def security(command: list[str], **_options: Any) -> subprocess.CompletedProcess[str]:
        asked.append(command)
        block = f'keychain: "{checks.MACOS_SYSTEM_ROOTS}"\nversion: 512\nclass: 0x80001000\n'
        return subprocess.CompletedProcess(command, 0, block * 4, "")

    assert checks.os_root_count("darwin", run=security) == 4
    assert asked == [["/usr/bin/security", "find-certificate", "-a",
                      "/System/Library/Keychains/SystemRootCertificates.keychain"]]


# --- qt-platform and icons ---------------------------------------------------------------------
@pytest.mark.parametrize("platform", ["offscreen", "minimal", "vnc"])
def test_a_platform_that_is_not_a_desktop_is_a_fail_naming_it(platform: str) -> None:
    passed, detail = checks.qt_platform({"platform": platform, "icons": ALL_ICONS})
    assert not passed
    assert detail.startswith(f"Qt started on the {platform} platform")
    assert "the desktop plugin (xcb/windows/cocoa) was not checked" in detail


def test_an_icon_that_does_not_load_fails_icons_alone() -> None:
    probe = {"platform": "xcb", "icons": {"loaded": list(checks.ICONS[1:]),
                                          "failed": [checks.ICONS[0]]}}
    assert checks.qt_platform(probe)[0]
    assert checks.icons(probe) == (
        False, f"could not load {checks.ICONS[0]} (resources/icons, or Qt's SVG support)")


# --- keyring --------------------------------------------------------------------------------
def test_a_chain_of_no_keyring_backends_is_a_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    empty = chainer.ChainerBackend()
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    monkeypatch.setattr(keyring, "get_keyring", lambda: empty)
    assert checks.keyring_round_trip() == (False, "no usable keyring backend (a chain of none)")


# --- deepcall-sandbox, local-socket, field-mapping ---------------------------------------------
def test_a_sandbox_that_does_not_return_the_seeded_contact_is_a_fail() -> None:
    passed, detail = checks.sandbox_round_trip("+" + DEMO_UNKNOWN_NUMBER)
    assert not passed
    assert "did not return its seeded contact" in detail


def test_a_local_socket_address_that_is_taken_is_a_fail(qapp: QApplication,
                                                        tmp_path: Path) -> None:
    live = LocalSocketServer(tmp_path, lambda: {"status": "idle"})  # another live instance
    assert live.start()
    try:
        passed, detail = checks.local_socket(tmp_path)
    finally:
        live.close()
    assert not passed
    assert detail.startswith("could not listen at"), detail


def test_a_missing_field_mapping_is_a_fail_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mapping_module, "DEFAULT_MAPPING_RESOURCE", "no-such-mapping.json")
    passed, detail = checks.field_mapping()
    assert not passed
    assert "'no-such-mapping.json' is missing" in detail
