"""Settings: declared once, typed, stored in <profile>/settings.ini, never holding a secret."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from app.services import credentials
from app.services.credentials import read_stored_account
from app.services.secrets import SecretStore
from app.services.settings import (
    SETTINGS_FILE_NAME,
    SecretSettingRefused,
    Setting,
    Settings,
    screen_setup_key,
)


def test_defaults_on_a_fresh_profile(tmp_path: Path) -> None:
    settings = Settings(tmp_path)
    assert settings.brand_url == ""
    assert settings.auth_mode == "token"
    assert settings.default_region == "IN"
    assert settings.pop_behaviour == "raise"
    assert settings.dedupe_seconds == 10
    assert settings.cache_seconds == 120
    assert settings.counters_refresh_seconds == 30
    assert settings.clipboard_enabled is False
    assert settings.clipboard_mode == "whole"
    assert settings.connect_timeout_seconds == 3.0
    assert not settings.is_configured()


def test_every_setting_is_declared_once_with_a_description() -> None:
    declared = Settings.declared()
    names = [info.name for info in declared]
    assert len(names) == len(set(names))
    assert {"brand_url", "auth_mode", "user_id", "default_region", "pop_behaviour",
            "dedupe_seconds", "cache_seconds", "clipboard_enabled", "clipboard_mode",
            "counters_refresh_seconds", "connect_timeout_seconds",
            "total_timeout_seconds"} <= set(names)
    assert all(info.description for info in declared)


def test_values_survive_a_new_process(tmp_path: Path) -> None:
    settings = Settings(tmp_path)
    settings.brand_url = "https://v4-api.deepcall.com"
    settings.auth_mode = "ssid"
    settings.user_id = "12345, with comma"
    settings.dedupe_seconds = 7
    settings.clipboard_enabled = True
    settings.total_timeout_seconds = 4.5
    settings.pop_behaviour = "tray_only"
    # A different process reads the file from disk (QSettings caches within a process).
    code = ("import sys\nfrom pathlib import Path\nfrom app.services.settings import Settings\n"
            "s = Settings(Path(sys.argv[1]))\n"
            "print(repr((s.brand_url, s.auth_mode, s.user_id, s.dedupe_seconds, "
            "s.clipboard_enabled, s.total_timeout_seconds, s.pop_behaviour, s.is_configured())))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                         text=True, check=True, timeout=60)
    assert out.stdout.strip() == repr(("https://v4-api.deepcall.com", "ssid",
                                       "12345, with comma", 7, True, 4.5, "tray_only", True))
    # The Qt-free reader used by the headless lookup agrees with QSettings.
    snapshot = read_stored_account(tmp_path)
    assert (snapshot.brand_url, snapshot.auth_mode, snapshot.user_id) == (
        "https://v4-api.deepcall.com", "ssid", "12345, with comma")


def test_bad_values_are_refused_with_a_reason(tmp_path: Path) -> None:
    settings = Settings(tmp_path)
    with pytest.raises(ValueError, match="pop_behaviour must be one of raise"):
        settings.set_value("pop_behaviour", "explode")
    with pytest.raises(ValueError, match="between 0 and 600"):
        settings.set_value("dedupe_seconds", -1)
    with pytest.raises(ValueError, match="dedupe_seconds must be a whole number"):
        settings.set_value("dedupe_seconds", "ten")
    with pytest.raises(KeyError):
        settings.set_value("no_such_setting", 1)
    assert settings.pop_behaviour == "raise"


def test_hand_edited_garbage_falls_back_to_defaults(tmp_path: Path,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / SETTINGS_FILE_NAME).write_text(
        "[General]\ndedupe_seconds=soon\npop_behaviour=maybe\nclipboard_enabled=perhaps\n"
        "cache_seconds=60\nuser_id=12,34\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        settings = Settings(tmp_path)
        assert settings.dedupe_seconds == 10
        assert settings.pop_behaviour == "raise"
        assert settings.clipboard_enabled is False
        assert settings.cache_seconds == 60
        assert settings.user_id == "12,34"  # QSettings reads an unquoted comma as a list
    assert "dedupe_seconds" in caplog.text


@pytest.mark.parametrize("name", ["token", "ssid", "api_token", "SSID", "password", "secret"])
def test_a_secret_cannot_go_through_settings(tmp_path: Path, name: str) -> None:
    settings = Settings(tmp_path)
    with pytest.raises(SecretSettingRefused, match="keyring"):
        settings.set_value(name, "tok-should-never-be-written")
    assert not (tmp_path / SETTINGS_FILE_NAME).exists() or b"tok-should-never" not in (
        tmp_path / SETTINGS_FILE_NAME).read_bytes()


def test_declaring_a_secret_setting_fails() -> None:
    with pytest.raises((SecretSettingRefused, RuntimeError)):
        class Bad(Settings):
            api_token = Setting(str, "", "never")


def test_window_geometry_per_screen_setup(tmp_path: Path) -> None:
    settings = Settings(tmp_path)
    laptop = screen_setup_key([(0, 0, 1920, 1080)])
    docked = screen_setup_key([(1920, 0, 2560, 1440), (0, 0, 1920, 1080)])
    assert laptop != docked
    assert docked == screen_setup_key([(0, 0, 1920, 1080), (1920, 0, 2560, 1440)])
    settings.set_window_geometry(laptop, b"\x01\xd9\xd0\xcb\x00geom")
    assert Settings(tmp_path).window_geometry(laptop) == b"\x01\xd9\xd0\xcb\x00geom"
    assert settings.window_geometry(docked) is None


@pytest.mark.keyring
def test_settings_and_keyring_round_trip_leave_no_secret_in_the_ini(
        tmp_path: Path, keyring_service: str) -> None:
    """What the settings dialog does on OK: settings to the INI, the token to the keyring."""
    token = "tok-9f8e7d6c5b4a-real-secret"
    ssid = "ssid-0a1b2c3d-real-secret"
    settings = Settings(tmp_path)
    secrets = SecretStore(keyring_service)
    settings.brand_url = "https://s-ct3.sarv.com"
    settings.auth_mode = "token"
    settings.user_id = "55501"
    secrets.store("token", token)
    secrets.store("ssid", ssid)

    reopened = Settings(tmp_path)
    assert reopened.is_configured()
    resolved = credentials.resolve_credentials(stored=reopened,
                                               secrets=SecretStore(keyring_service))
    assert resolved.brand_url == "https://s-ct3.sarv.com"
    assert resolved.auth.body_fields() == {"userId": "55501", "token": token}
    assert resolved.secret_source == "keyring"

    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert token.encode() not in data, path
            assert ssid.encode() not in data, path
    assert b"55501" in (tmp_path / SETTINGS_FILE_NAME).read_bytes()



def test_a_change_is_announced_by_name_and_only_when_the_value_changes(
        tmp_path: Path) -> None:
    settings = Settings(tmp_path)
    changed: list[str] = []
    regions: list[object] = []
    dedupes: list[object] = []
    settings.changed.connect(changed.append)
    settings.watch("default_region", regions.append)
    settings.watch("dedupe_seconds", dedupes.append)
    settings.default_region = "GB"
    settings.default_region = "GB"  # the same value again: nobody needs telling
    settings.set_value("dedupe_seconds", "25")
    settings.reset("default_region")
    settings.reset("default_region")
    assert changed == ["default_region", "dedupe_seconds", "default_region"]
    assert regions == ["GB", "IN"]  # each watcher gets its own setting's new value only
    assert dedupes == [25]
    with pytest.raises(KeyError):
        settings.watch("no_such_setting", regions.append)
