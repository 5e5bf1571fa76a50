"""The settings dialog: real keyring round trip, "Test connection" against the sandbox."""

from __future__ import annotations

import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QPushButton, QSpinBox
from pytestqt.qtbot import QtBot

from app.api.auth import Auth, SsidAuth, TokenAuth
from app.api.client import DeepCallClient, Timeouts
from app.api.models import Counters
from app.sandbox.accounts import DEMO_SSID, DEMO_TOKEN, DEMO_USER_ID, EXPIRED_TOKEN
from app.sandbox.server import SandboxServer
from app.services.credentials import resolve_credentials
from app.services.errors import SecretsUnavailable
from app.services.secrets import MemorySecretStore, SecretStore
from app.services.settings import Settings
from app.ui.settings_dialog import SecretStoreLike, SettingsDialog
from tests.fixtures.qt_async import wait_signal, wait_until

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]


async def _counters(url: str, auth: Auth) -> Counters:
    async with DeepCallClient(url, auth, timeouts=Timeouts(connect=1.0, total=3.0)) as client:
        return await client.counters()


def _dialog(qtbot: QtBot, profile: Path, secrets: SecretStoreLike) -> SettingsDialog:
    dialog = SettingsDialog(Settings(profile), secrets, _counters)
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


def _save(dialog: SettingsDialog, run_async: RunAsync) -> None:
    """Press Save and wait until it is done (a typed secret goes to the keyring first)."""
    run_async(wait_signal(dialog.saved, 10, trigger=dialog.save))


def _note_settled(dialog: SettingsDialog, run_async: RunAsync) -> str:
    run_async(wait_until(lambda: "Checking" not in dialog.secret_note.text()))
    return dialog.secret_note.text()


def _fill(dialog: SettingsDialog, url: str, user_id: str, secret: str,
          mode: str = "token") -> None:
    dialog.brand_url.setText(url)
    dialog.auth_mode.setCurrentIndex(dialog.auth_mode.findData(mode))
    dialog.user_id.setText(user_id)
    dialog.secret.setText(secret)


def _test_connection(dialog: SettingsDialog, run_async: RunAsync) -> tuple[bool, str]:
    async def run() -> tuple[Any, ...]:
        return await wait_signal(dialog.test_finished, 10, trigger=dialog.test_button.click)

    ok, message = run_async(run())
    return bool(ok), str(message)


@pytest.mark.keyring
def test_round_trip_keeps_the_token_only_in_the_keyring(
        qtbot: QtBot, tmp_path: Path, sandbox: SandboxServer, keyring_service: str,
        run_async: RunAsync) -> None:
    secrets = SecretStore(keyring_service)
    dialog = _dialog(qtbot, tmp_path, secrets)
    _fill(dialog, sandbox.base_url, DEMO_USER_ID, DEMO_TOKEN)
    ok, message = _test_connection(dialog, run_async)
    assert ok, message
    assert message.startswith("Connected")

    run_async(wait_signal(dialog.saved, 10,
                          trigger=dialog.buttons.button(dialog.buttons.StandardButton.Save).click))
    assert not dialog.isVisible()

    import keyring
    assert keyring.get_password(keyring_service, "token") == DEMO_TOKEN
    ini = (tmp_path / "settings.ini").read_text(encoding="utf-8")
    assert sandbox.base_url in ini
    assert DEMO_USER_ID in ini
    assert DEMO_TOKEN not in ini

    settings = Settings(tmp_path)
    resolved = resolve_credentials(stored=settings, secrets=secrets)
    assert resolved.auth == TokenAuth(DEMO_USER_ID, DEMO_TOKEN)

    again = _dialog(qtbot, tmp_path, secrets)
    assert again.brand_url.text() == sandbox.base_url
    assert again.secret.text() == ""  # never shown back
    assert "saved in the system keyring" in _note_settled(again, run_async)
    # Saving without typing a secret keeps the stored one.
    again.save()
    assert keyring.get_password(keyring_service, "token") == DEMO_TOKEN


@pytest.mark.keyring
def test_ssid_mode_stores_the_ssid(qtbot: QtBot, tmp_path: Path, sandbox: SandboxServer,
                                   keyring_service: str, run_async: RunAsync) -> None:
    secrets = SecretStore(keyring_service)
    dialog = _dialog(qtbot, tmp_path, secrets)
    _fill(dialog, sandbox.base_url, "", DEMO_SSID, mode="ssid")
    assert not dialog.user_id.isEnabled()
    ok, message = _test_connection(dialog, run_async)
    assert ok, message
    _save(dialog, run_async)
    assert secrets.load("ssid") == DEMO_SSID
    resolved = resolve_credentials(stored=Settings(tmp_path), secrets=secrets)
    assert resolved.auth == SsidAuth(DEMO_SSID)


def test_a_wrong_token_is_explained(qtbot: QtBot, tmp_path: Path, sandbox: SandboxServer,
                                    run_async: RunAsync) -> None:
    dialog = _dialog(qtbot, tmp_path, MemorySecretStore())
    _fill(dialog, sandbox.base_url, DEMO_USER_ID, EXPIRED_TOKEN)
    ok, message = _test_connection(dialog, run_async)
    assert not ok
    assert "token is invalid or missing" in message
    assert "Check the user ID and token" in message  # not "open Settings": we are in it
    assert EXPIRED_TOKEN not in message


def test_an_unreachable_address_is_explained(qtbot: QtBot, tmp_path: Path,
                                             run_async: RunAsync) -> None:
    dialog = _dialog(qtbot, tmp_path, MemorySecretStore())
    _fill(dialog, "http://127.0.0.1:9", DEMO_USER_ID, DEMO_TOKEN)
    ok, message = _test_connection(dialog, run_async)
    assert not ok
    assert "Could not connect to DeepCall at 127.0.0.1:9" in message
    assert "Traceback" not in message


def test_missing_fields_are_named_and_nothing_is_saved(qtbot: QtBot, tmp_path: Path) -> None:
    secrets = MemorySecretStore()
    dialog = _dialog(qtbot, tmp_path, secrets)
    _fill(dialog, "", DEMO_USER_ID, DEMO_TOKEN)
    dialog.save()
    assert dialog.isVisible()
    assert "API address" in dialog.error.text()
    assert secrets.load("token") is None
    _fill(dialog, "https://v4-api.deepcall.com", "", DEMO_TOKEN)
    dialog.save()
    assert "user ID" in dialog.error.text()
    assert not (tmp_path / "settings.ini").exists() or \
        "v4-api" not in (tmp_path / "settings.ini").read_text()


def test_every_input_has_an_accessible_name_and_a_mnemonic(qtbot: QtBot,
                                                           tmp_path: Path) -> None:
    dialog = _dialog(qtbot, tmp_path, MemorySecretStore())
    inputs = [w for cls in (QLineEdit, QComboBox, QCheckBox, QSpinBox, QPushButton)
              for w in dialog.findChildren(cls)
              if w.isVisibleTo(dialog) and not isinstance(w.parent(), (QComboBox, QSpinBox))]
    assert len(inputs) >= 9
    unnamed = [type(w).__name__ for w in inputs
               if not w.accessibleName() and not (isinstance(w, QPushButton) and w.text())]
    assert unnamed == []
    # Each labelled row has a buddy with a mnemonic: the keyboard route to every field.
    from PySide6.QtWidgets import QLabel
    buddies = {label.buddy() for label in dialog.findChildren(QLabel)
               if label.buddy() is not None and "&" in label.text()}
    for field in (dialog.brand_url, dialog.auth_mode, dialog.user_id, dialog.secret,
                  dialog.region, dialog.pop_behaviour, dialog.dedupe, dialog.history_days,
                  dialog.clipboard_mode):
        assert field in buddies


@pytest.mark.parametrize(("url", "region", "words"), [
    ("http://v4-api.deepcall.com", "IN", "must start with https://"),
    ("v4-api.deepcall.com", "IN", "must look like https://"),
    ("http://[::1", "IN", "closing bracket"),
    ("https://v4-api.deepcall.com:99999", "IN", "port"),
    ("https://v4-api.deepcall.com:abc", "IN", "port"),
    ("https://xn--a.com", "IN", "host name"),
    ("https://v4-api.deepcall.com", "XX", "two-letter country code"),
])
def test_an_address_or_country_the_app_would_refuse_is_caught_before_saving(
        qtbot: QtBot, tmp_path: Path, url: str, region: str, words: str) -> None:
    secrets = MemorySecretStore()
    dialog = _dialog(qtbot, tmp_path, secrets)
    _fill(dialog, url, DEMO_USER_ID, DEMO_TOKEN)
    dialog.region.setText(region)
    dialog.save()
    assert dialog.isVisible()
    assert words in dialog.error.text()
    assert "Correct it in Settings" not in dialog.error.text()  # the agent is in Settings
    assert secrets.load("token") is None


class HangingKeyring(MemorySecretStore):
    """A keyring that blocks every call until released (an unlock prompt nobody answered)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.threads: list[bool] = []

    def load(self, kind: Any) -> str | None:
        self.threads.append(threading.current_thread() is threading.main_thread())
        self.release.wait(15)
        return super().load(kind)

    def store(self, kind: Any, value: str) -> None:
        self.threads.append(threading.current_thread() is threading.main_thread())
        self.release.wait(15)
        super().store(kind, value)


def test_a_hanging_keyring_never_freezes_the_dialog(qtbot: QtBot, tmp_path: Path,
                                                   run_async: RunAsync) -> None:
    keyring = HangingKeyring()
    dialog = _dialog(qtbot, tmp_path, keyring)  # opening asks whether a token is saved
    assert dialog.secret_note.text() == "Checking the system keyring…"
    _fill(dialog, "https://v4-api.deepcall.com", DEMO_USER_ID, DEMO_TOKEN)

    async def save_while_it_hangs() -> None:
        dialog.save()
        assert not dialog.buttons.isEnabled()  # no second Save while the first is on its way
        ticks: list[int] = []
        timer = QTimer()
        timer.timeout.connect(lambda: ticks.append(1))
        timer.start(10)
        await wait_until(lambda: len(ticks) >= 20)  # the window keeps painting meanwhile
        timer.stop()
        assert dialog.isVisible()
        keyring.release.set()
        await wait_signal(dialog.saved, 10)

    run_async(save_while_it_hangs())
    assert keyring.load("token") == DEMO_TOKEN
    assert keyring.threads[:2] == [False, False]  # every keyring call off the Qt thread
    assert not dialog.isVisible()


def test_a_keyring_that_refuses_the_save_keeps_the_dialog_and_the_settings(
        qtbot: QtBot, tmp_path: Path, run_async: RunAsync) -> None:
    class LockedKeyring(MemorySecretStore):
        def store(self, kind: Any, value: str) -> None:
            raise SecretsUnavailable("The system keyring is locked, so the DeepCall token "
                                     "cannot be saved. Unlock it and try again.")

    dialog = _dialog(qtbot, tmp_path, LockedKeyring())
    _fill(dialog, "https://v4-api.deepcall.com", DEMO_USER_ID, DEMO_TOKEN)
    dialog.save()
    run_async(wait_until(lambda: dialog.error.isVisibleTo(dialog)))
    assert "locked" in dialog.error.text()
    assert dialog.isVisible()
    assert dialog.buttons.isEnabled()
    assert dialog.secret.text() == DEMO_TOKEN  # what was typed is still there
    assert not (tmp_path / "settings.ini").exists()


def test_what_is_saved_is_what_was_checked_even_if_typed_over_during_the_save(
        qtbot: QtBot, tmp_path: Path, run_async: RunAsync) -> None:
    keyring = HangingKeyring()
    keyring.release.set()  # let the dialog learn no token is saved, then hang on the save
    dialog = _dialog(qtbot, tmp_path, keyring)
    _note_settled(dialog, run_async)
    keyring.release.clear()
    _fill(dialog, "https://v4-api.deepcall.com", DEMO_USER_ID, DEMO_TOKEN)

    async def type_over_while_saving() -> None:
        dialog.save()
        dialog.brand_url.setText("ftp://nonsense")  # never checked by problem()
        dialog.auth_mode.setCurrentIndex(dialog.auth_mode.findData("ssid"))
        dialog.reject()  # Esc while the token is on its way: the settings must follow it
        assert dialog.isVisible()
        keyring.release.set()
        await wait_signal(dialog.saved, 10)

    run_async(type_over_while_saving())
    saved = Settings(tmp_path)
    assert (saved.brand_url, saved.auth_mode) == ("https://v4-api.deepcall.com", "token")
    assert keyring.load("token") == DEMO_TOKEN
