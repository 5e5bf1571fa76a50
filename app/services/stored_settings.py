"""What the app reads before its defaults, without Qt: the IT preset over settings.ini.

The window's ``Settings``, the credentials, ``screenpop lookup`` and ``screenpop pop`` all read
through here, so a value has one meaning everywhere: a valid value in the preset wins; a bad
one is warned about (naming the preset) and the agent's settings.ini, else the default,
counts instead, as if the preset had left it out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.services.preset import Preset, read_preset
from app.services.settings_file import (
    AUTH_MODES,
    SETTINGS_FILE_NAME,
    SettingsFile,
    checked_region,
    read_settings_file,
)

Warn = Callable[[str], object]


@dataclass(frozen=True)
class StoredSettings:
    """The preset and the profile's settings.ini, as read at one moment."""

    preset: Preset
    file: SettingsFile

    @property
    def warnings(self) -> tuple[str, ...]:
        return (*self.preset.warnings, *self.file.warnings)

    def text(self, name: str, default: str = "") -> str:
        raw = self.preset.values.get(name)
        return self.file.text(name, default) if raw is None else raw.strip()

    def auth_mode(self, warn: Warn | None = None) -> str:
        raw = self.preset.values.get("auth_mode")
        if raw is not None:
            if raw.strip() in AUTH_MODES:
                return raw.strip()
            if warn is not None:
                warn(f"{self.preset.label}: auth_mode must be one of "
                     f"{', '.join(AUTH_MODES)}; it is not used.")
        mode = self.file.text("auth_mode", "token")
        return mode if mode in AUTH_MODES else "token"

    def region(self, warn: Warn | None = None) -> str:
        """``default_region``, upper case; the next place's (and ``warn``) when unknown."""
        raw = self.preset.values.get("default_region")
        if raw is not None:
            try:
                return checked_region(raw)
            except ValueError as exc:
                if warn is not None:
                    warn(f"{self.preset.label}: {exc}; it is not used.")
        return self.file.region(warn)


def read_stored(profile_dir: Path, preset: Preset | None = None) -> StoredSettings:
    """The profile's settings.ini under ``preset`` (by default the one this process finds)."""
    return StoredSettings(read_preset() if preset is None else preset,
                          read_settings_file(Path(profile_dir) / SETTINGS_FILE_NAME))


def stored_region(profile_dir: Path, warn: Warn) -> str:
    """The profile's default country, as the app reads it; every oddity of the preset and the
    file to ``warn`` (the commands print them on stderr)."""
    stored = read_stored(profile_dir)
    for warning in stored.warnings:
        warn(warning)
    return stored.region(warn)
