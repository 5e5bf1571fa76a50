"""What the app reads before its defaults, without Qt: the IT preset over settings.ini.

The window's ``Settings``, the credentials, ``screenpop lookup`` and ``screenpop pop`` all read
through here, so a value has one meaning everywhere: a valid value in the preset wins; a bad
one is warned about (naming the preset, ``app.services.preset_check``) and the agent's
settings.ini, else the default, counts instead, as if the preset had left it out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app.services.preset import Preset, read_preset
from app.services.preset_check import CheckedPreset, check_preset
from app.services.settings_file import (
    AUTH_MODES,
    SETTINGS_FILE_NAME,
    SettingsFile,
    read_settings_file,
)

Warn = Callable[[str], object]


@dataclass(frozen=True)
class StoredSettings:
    """The preset and the profile's settings.ini, as read at one moment."""

    preset: Preset
    file: SettingsFile
    checked: CheckedPreset = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "checked", check_preset(self.preset, self.file))

    @property
    def warnings(self) -> tuple[str, ...]:
        """What is odd about the preset (each naming it) and about settings.ini."""
        return (*self.checked.problems, *self.file.warnings)

    def from_preset(self, name: str) -> bool:
        """Whether the value of ``name`` is the preset's."""
        return name in self.checked.values

    def text(self, name: str, default: str = "") -> str:
        value = self.checked.values.get(name)
        return self.file.text(name, default) if value is None else str(value).strip()

    def auth_mode(self) -> str:
        mode = self.text("auth_mode", "token")
        return mode if mode in AUTH_MODES else "token"

    def region(self, warn: Warn | None = None) -> str:
        """``default_region``, upper case: the preset's, else settings.ini's (an unknown one
        there to ``warn``), else the default."""
        value = self.checked.values.get("default_region")
        return str(value) if value is not None else self.file.region(warn)


def read_stored(profile_dir: Path, preset: Preset | None = None) -> StoredSettings:
    """The profile's settings.ini under ``preset`` (by default the one this process finds)."""
    return StoredSettings(read_preset() if preset is None else preset,
                          read_settings_file(Path(profile_dir) / SETTINGS_FILE_NAME))


def report_stored(profile_dir: Path, warn: Warn, preset: Preset | None = None
                  ) -> StoredSettings:
    """``read_stored``, with every problem of the preset and the file handed to ``warn`` (the
    commands print them on stderr, whatever their options, so IT checking a preset with a
    command sees its mistakes)."""
    stored = read_stored(profile_dir, preset)
    for warning in stored.warnings:
        warn(warning)
    return stored
