"""The IT preset: a read-only INI file, preset over settings.ini over the defaults, for the
window's Settings and every Qt-free reader alike (real files, the real Settings)."""

from __future__ import annotations

import logging
from pathlib import Path, PurePath

import pytest

from app.commands import lookup, pop
from app.services.credentials import read_stored_account
from app.services.preset import (
    PRESET_ENV,
    ManagedByPreset,
    find_preset,
    load_preset,
    machine_preset_paths,
    read_preset,
)
from app.services.settings import Settings
from app.services.settings_file import SETTINGS_FILE_NAME, read_settings_file

IT = "https://it.example"
AGENT = "https://agent.example"


def write_preset(folder: Path, text: str | bytes, name: str = "preset.ini") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    folder = tmp_path / "profile"
    folder.mkdir()
    return folder


def use_preset(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str | bytes) -> Path:
    path = write_preset(tmp_path / "it", text)
    monkeypatch.setenv(PRESET_ENV, str(path))
    return path


# --- where it is found ---------------------------------------------------------------------

@pytest.mark.parametrize(("platform", "environ", "places"), [
    ("win32", {"ProgramData": r"D:\PD"}, [r"D:\PD\DeepCall Screen-Pop\preset.ini"]),
    ("win32", {}, [r"C:\ProgramData\DeepCall Screen-Pop\preset.ini"]),
    ("darwin", {}, ["/Library/Application Support/DeepCall Screen-Pop/preset.ini"]),
    ("linux", {}, ["/etc/xdg/DeepCall Screen-Pop/preset.ini"]),
    ("linux", {"XDG_CONFIG_DIRS": "/opt/a:relative/b::/etc/xdg"},
     ["/opt/a/DeepCall Screen-Pop/preset.ini", "/etc/xdg/DeepCall Screen-Pop/preset.ini"]),
])
def test_the_machine_wide_places_per_os(platform: str, environ: dict[str, str],
                                        places: list[str]) -> None:
    assert [str(p) for p in machine_preset_paths(platform, environ)] == places
    assert all(isinstance(p, PurePath) for p in machine_preset_paths(platform, environ))


def test_the_first_machine_wide_preset_found_counts(tmp_path: Path) -> None:
    second = write_preset(tmp_path / "b" / "DeepCall Screen-Pop", "[General]\n")
    environ = {"XDG_CONFIG_DIRS": f"{tmp_path / 'a'}:{tmp_path / 'b'}"}
    assert find_preset(environ, "linux") == second
    first = write_preset(tmp_path / "a" / "DeepCall Screen-Pop", "[General]\n")
    assert find_preset(environ, "linux") == first


def test_screenpop_preset_wins_and_set_but_empty_means_no_preset(tmp_path: Path) -> None:
    machine = write_preset(tmp_path / "xdg" / "DeepCall Screen-Pop", f"brand_url={IT}\n")
    own = write_preset(tmp_path / "own", f"brand_url={AGENT}\n")
    xdg = {"XDG_CONFIG_DIRS": str(tmp_path / "xdg")}
    assert find_preset(xdg, "linux") == machine
    assert find_preset({**xdg, PRESET_ENV: str(own)}, "linux") == own
    assert find_preset({**xdg, PRESET_ENV: ""}, "linux") is None
    assert read_preset({**xdg, PRESET_ENV: ""}, "linux").values == {}


# --- preset over settings.ini over defaults, for every reader -------------------------------

READERS_CASES = {
    # preset text, settings.ini text -> (brand_url, auth_mode, user_id, default_region)
    "the preset wins": (f"brand_url={IT}\nauth_mode=ssid\nuser_id=1\ndefault_region=GB\n",
                        f"[General]\nbrand_url={AGENT}\nauth_mode=token\nuser_id=2\n"
                        "default_region=AE\n", (IT, "ssid", "1", "GB")),
    "what it leaves out is the agent's": (f"[General]\nbrand_url={IT}\n",
                                          "[General]\nuser_id=2\ndefault_region=AE\n",
                                          (IT, "token", "2", "AE")),
    "a bad value falls back to settings.ini": (
        "[General]\nauth_mode=kerberos\ndefault_region=XX\n",
        f"[General]\nbrand_url={AGENT}\nauth_mode=ssid\ndefault_region=ae\n",
        (AGENT, "ssid", "", "AE")),
    "a bad value falls back to the default": ("[General]\ndefault_region=XX\n", "",
                                               ("", "token", "", "IN")),
    "an empty value is a value": ("[General]\nbrand_url=\nuser_id=\n",
                                  f"[General]\nbrand_url={AGENT}\nuser_id=2\n",
                                  ("", "token", "", "IN")),
}


@pytest.mark.parametrize("case", sorted(READERS_CASES))
def test_every_reader_gives_the_preset_over_settings_ini(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, profile: Path, case: str) -> None:
    preset_text, file_text, (brand, mode, user, region) = READERS_CASES[case]
    use_preset(monkeypatch, tmp_path, preset_text)
    (profile / SETTINGS_FILE_NAME).write_text(file_text, encoding="utf-8")
    settings = Settings(profile)
    stored = read_stored_account(profile)
    assert (settings.brand_url, settings.auth_mode, settings.user_id,
            settings.default_region) == (brand, mode, user, region)
    assert (stored.brand_url, stored.auth_mode, stored.user_id) == (brand, mode, user)
    assert pop.profile_region(profile) == region
    assert lookup.saved_settings(profile).region() == region


# One valid value, not the default, for each setting without choices: a new setting is
# added here, so the preset is known to carry it.
SAMPLES: dict[str, object] = {
    "brand_url": IT, "user_id": "4242", "default_region": "GB",
    "open_url_template": "https://crm.example/search?q={e164}", "run_program": "/usr/bin/true",
    "run_program_args": "--caller={e164}", "run_program_on": "ringing,ended",
}


def sample(info_kind: type, default: object, choices: tuple[object, ...] | None,
           minimum: float | None, maximum: float | None, name: str) -> object:
    if choices is not None:
        return next(choice for choice in choices if choice != default)
    if info_kind is bool:
        return not default
    if info_kind in (int, float):
        return maximum if maximum != default else minimum
    return SAMPLES[name]


def test_any_declared_setting_can_be_preset(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                            profile: Path) -> None:
    wanted = {info.name: sample(info.kind, info.default, info.choices, info.minimum,
                                info.maximum, info.name) for info in Settings.declared()}
    text = "[General]\n" + "".join(f"{name}={value}\n" for name, value in wanted.items())
    path = use_preset(monkeypatch, tmp_path, text)
    settings = Settings(profile)
    for name, value in wanted.items():
        assert settings.get_value(name) == value, name
        assert settings.managed_by(name) == path, name
    assert Settings(tmp_path / "other").managed_by("brand_url") == path  # every profile


def test_a_managed_setting_cannot_be_changed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                             profile: Path) -> None:
    path = use_preset(monkeypatch, tmp_path, f"[General]\nbrand_url={IT}\n")
    settings = Settings(profile)
    changed: list[str] = []
    settings.changed.connect(changed.append)
    with pytest.raises(ManagedByPreset) as refused:
        settings.set_value("brand_url", AGENT)
    assert str(refused.value) == (f"brand_url is set by your IT department in {path} and "
                                  "cannot be changed here.")
    with pytest.raises(ManagedByPreset):
        settings.brand_url = AGENT
    with pytest.raises(ManagedByPreset):
        settings.reset("brand_url")
    assert settings.brand_url == IT
    assert changed == []
    assert "brand_url" not in read_settings_file(profile / SETTINGS_FILE_NAME).values
    settings.set_value("user_id", "9")  # what the preset leaves out stays the agent's
    assert Settings(profile).user_id == "9"
    assert settings.managed_by("user_id") is None


# --- secrets, unknown keys, bad values, unreadable presets ---------------------------------

def test_secrets_are_never_read_from_a_preset(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path, profile: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    secret = "tok-it-must-never-be-read-4711"
    path = use_preset(monkeypatch, tmp_path,
                      f"[General]\nbrand_url={IT}\ntoken={secret}\nSSID={secret}\n"
                      f"api-password={secret}\n[auth]\nsecret={secret}\n")
    preset = load_preset(path)
    assert dict(preset.values) == {"brand_url": IT}
    assert len(preset.warnings) == 4
    for key, warning in zip(("token", "SSID", "api-password", "auth/secret"), preset.warnings,
                            strict=True):
        assert warning.startswith(f"the IT preset {path}: {key} looks like a secret")
        assert secret not in warning
    with caplog.at_level(logging.INFO):
        settings = Settings(profile)
        assert settings.brand_url == IT
    assert "looks like a secret" in caplog.text
    assert secret not in caplog.text
    assert read_stored_account(profile).brand_url == IT


def test_unknown_keys_and_bad_values_are_warned_naming_the_preset(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, profile: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    path = use_preset(monkeypatch, tmp_path,
                      "[General]\npop_behavior=tray_only\npop_behaviour=sideways\n"
                      "dedupe_seconds=9999\nthis line is junk\n")
    (profile / SETTINGS_FILE_NAME).write_text("[General]\npop_behaviour=tray_only\n",
                                              encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        settings = Settings(profile)
        assert (settings.pop_behaviour, settings.dedupe_seconds) == ("tray_only", 10)
    assert settings.managed_by("pop_behaviour") is None
    assert settings.managed_by("dedupe_seconds") is None
    for words in ("there is no setting 'pop_behavior'", "ignoring bad pop_behaviour",
                  "ignoring bad dedupe_seconds", "line 5 is not 'name=value'"):
        assert f"the IT preset {path}: {words}" in caplog.text
    settings.pop_behaviour = "raise"  # a bad preset value does not lock the setting
    assert Settings(profile).pop_behaviour == "raise"


@pytest.mark.parametrize("kind", ["missing", "a folder", "not UTF-8", "too large"])
def test_a_preset_that_cannot_be_read_never_stops_the_app(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, profile: Path, kind: str,
        caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "it" / "preset.ini"
    if kind == "a folder":
        path.mkdir(parents=True)
    elif kind == "not UTF-8":
        write_preset(path.parent, b"[General]\nbrand_url=https://caf\xe9.example\n")
    elif kind == "too large":
        write_preset(path.parent, b"[General]\n" + b";" * (1 << 20))
    monkeypatch.setenv(PRESET_ENV, str(path))
    (profile / SETTINGS_FILE_NAME).write_text(f"[General]\nbrand_url={AGENT}\n",
                                              encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        settings = Settings(profile)
        brand = settings.brand_url
    assert str(path) in caplog.text
    if kind == "not UTF-8":  # read, with the odd characters shown, as settings.ini is
        assert brand == "https://caf\ufffd.example"
    else:
        assert brand == AGENT
        assert settings.managed_by("brand_url") is None
    assert pop.profile_region(profile) == "IN"
    warned = list(read_preset().warnings)
    assert warned
    assert all(str(path) in warning for warning in warned)
