"""The IT preset: a read-only INI file that sets settings for every agent of a computer.

IT rolls out one account for a floor of agents: the brand URL, the sign-in method, the
default country, the pop behaviour, the call actions, the field mapping. What the preset sets
wins over each agent's settings.ini and cannot be changed in the app; what it leaves out
stays the agent's (preset over settings.ini over the defaults, for the window and every
command alike).

Where it is looked for (the first found counts):

- ``SCREENPOP_PRESET``: a path (tests, scripts, a second preset on one computer); set but
  empty means no preset at all, not even the machine-wide one (which is then warned about,
  naming it: a preset is a default for managed desktops, not a security boundary);
- Windows: ``%ProgramData%\\DeepCall Screen-Pop\\preset.ini``;
- macOS: ``/Library/Application Support/DeepCall Screen-Pop/preset.ini``;
- elsewhere: ``<dir>/DeepCall Screen-Pop/preset.ini`` for each ``dir`` of ``$XDG_CONFIG_DIRS``
  (default ``/etc/xdg``), in order.

The dialect is settings.ini's (one reader: ``app.services.settings_file``) and the names are
the settings' names; ``field_mapping`` names a field-mapping JSON file, relative to the
preset's folder. Secrets are never read from it: a key that looks like one is dropped with a
warning that names the key, never its value. Warnings name the preset's path; a preset that
cannot be read (or even looked at) presets nothing and never stops the app. No Qt here: the
commands read it too.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import Final

from app.core.profile import APP_DIR_NAME
from app.core.small_file import may_exist
from app.services.settings_file import is_secret_name, read_settings_file

PRESET_ENV: Final = "SCREENPOP_PRESET"
PRESET_FILE_NAME: Final = "preset.ini"
MAPPING_KEY: Final = "field_mapping"  # not a setting: the file the field mapping comes from
MANAGED_NOTE: Final = "Set by your IT department"


class ManagedByPreset(PermissionError):
    """A change to something the IT preset sets: refused, in plain words."""


@dataclass(frozen=True)
class Preset:
    """What the preset at ``path`` sets (nothing when ``path`` is None).

    ``values``: the settings it sets, as text, secrets and ``field_mapping`` left out;
    ``mapping_file``: the field mapping it sets, if any; ``warnings``: what was odd about it.
    """

    path: Path | None = None
    values: Mapping[str, str] = field(default_factory=dict)
    mapping_file: Path | None = None
    warnings: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """How messages name it: with its path, so IT knows which file to fix."""
        return f"the IT preset {self.path}"

    def refusal(self, what: str) -> ManagedByPreset:
        return ManagedByPreset(f"{what} is set by your IT department in {self.path} and "
                               "cannot be changed here.")


NO_PRESET: Final = Preset()


def machine_preset_paths(platform: str | None = None,
                         environ: Mapping[str, str] | None = None) -> list[PurePath]:
    """The machine-wide places of the preset on ``platform`` (``sys.platform`` values)."""
    platform = sys.platform if platform is None else platform
    env = os.environ if environ is None else environ
    if platform == "win32":
        program_data = env.get("ProgramData") or env.get("PROGRAMDATA") or r"C:\ProgramData"
        return [PureWindowsPath(program_data, APP_DIR_NAME, PRESET_FILE_NAME)]
    if platform == "darwin":
        return [PurePosixPath("/Library/Application Support", APP_DIR_NAME, PRESET_FILE_NAME)]
    # The XDG base directory spec: relative entries are invalid and ignored; the first listed
    # is the most important, so it is looked at first.
    dirs = [d for d in (env.get("XDG_CONFIG_DIRS") or "").split(":") if d.startswith("/")]
    return [PurePosixPath(d, APP_DIR_NAME, PRESET_FILE_NAME) for d in dirs or ["/etc/xdg"]]


def find_preset(environ: Mapping[str, str] | None = None,
                platform: str | None = None) -> Path | None:
    """The preset's path: ``SCREENPOP_PRESET`` if set (even to a missing file, which is then
    warned about), else the first machine-wide place holding one; None for no preset."""
    env = os.environ if environ is None else environ
    if PRESET_ENV in env:
        named = env[PRESET_ENV].strip()
        return Path(named) if named else None
    return machine_preset(platform, env)


def machine_preset(platform: str | None = None,
                   environ: Mapping[str, str] | None = None) -> Path | None:
    """The first machine-wide place that holds a preset, or may: one this user cannot even
    look at (a folder IT made root-only, a name too long...) counts as found, so reading it
    says plainly that it cannot be read, rather than the app quietly ignoring IT's file."""
    for place in machine_preset_paths(platform, environ):
        if may_exist(Path(place)):  # even a folder or an unreadable file: IT's, warned
            return Path(place)
    return None


def read_preset(environ: Mapping[str, str] | None = None,
                platform: str | None = None) -> Preset:
    """The preset in use for this process (see the module), read now.

    ``SCREENPOP_PRESET`` wins over the machine-wide preset; when it sets aside one that is
    there, that is warned about with the machine-wide preset's path: a preset is the default
    IT gives a managed desktop, not a lock (the agent owns their account and environment),
    and support must see when it was not used.
    """
    env = os.environ if environ is None else environ
    path = find_preset(env, platform)
    preset = NO_PRESET if path is None else load_preset(path)
    machine = machine_preset(platform, env) if PRESET_ENV in env else None
    if machine is None or machine == path:
        return preset
    instead = f"{path} is used instead" if path is not None else "no preset is used"
    ignored = (f"{PRESET_ENV} is set, so the machine-wide IT preset {machine} is ignored "
               f"({instead}).")
    return replace(preset, warnings=(ignored, *preset.warnings))


def load_preset(path: Path) -> Preset:
    """The preset at ``path``; a missing or unreadable one presets nothing, with a warning."""
    label = Preset(path).label
    if not may_exist(path):  # one that cannot be looked at is said by the reader below
        return Preset(path, warnings=(f"{PRESET_ENV} names {path}, which does not exist; "
                                      "no IT preset is used.",))
    read = read_settings_file(path, label, "nothing is preset")
    warnings = list(read.warnings)
    values: dict[str, str] = {}
    for key, value in read.values.items():
        if is_secret_name(key):
            warnings.append(f"{label}: {key[:60]} looks like a secret and is ignored: secrets "
                            "are never read from a preset (each agent's token or session "
                            "stays in the system keyring).")
        else:
            values[key] = value
    mapping_file = None
    mapping_name = values.pop(MAPPING_KEY, "").strip()
    if mapping_name:
        mapping_file = path.parent / mapping_name  # an absolute path stays as it is
    return Preset(path, values, mapping_file, tuple(warnings))
