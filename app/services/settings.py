"""The app's settings: declared once, read through one object, kept in <profile>/settings.ini.

Each setting is a ``Setting`` attribute of ``Settings`` (name, type, default, description,
allowed choices), so the settings dialog, the docs and the storage all read the same list.
A write that changes a value emits ``changed(name)``; ``watch(name, slot)`` hands each
consumer the new value of its own setting only, so nobody pushes settings around by hand.
Secrets never pass through here: names that look like a secret are refused at declaration and
at ``set_value``; the token and ssid live only in the keyring (``app.services.secrets``).
What the IT preset sets (``app.services.preset``) is read first and cannot be written:
preset over settings.ini over the defaults, as every command reads them too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar, cast

from PySide6.QtCore import QObject, QSettings, Signal

from app.services.preset import Preset, read_preset
from app.services.preset_check import check_preset
from app.services.setting_declarations import (
    CLIPBOARD_MODES,
    OPEN_URL_WHEN,
    POP_BEHAVIOURS,
    DeclaredSettings,
    SecretSettingRefused,
    Setting,
    SettingInfo,
)
from app.services.settings_file import (
    SETTINGS_FILE_NAME,
    SettingsFile,
    is_secret_name,
    read_settings_file,
)

# Declared in app.services.setting_declarations (no Qt there: the commands read them too).
__all__ = ["CLIPBOARD_MODES", "OPEN_URL_WHEN", "POP_BEHAVIOURS", "SETTINGS_FILE_NAME",
           "SecretSettingRefused", "Setting", "SettingInfo", "Settings", "screen_setup_key"]

log = logging.getLogger(__name__)
T = TypeVar("T")


def screen_setup_key(screen_geometries: Iterable[tuple[int, int, int, int]]) -> str:
    """A stable key for one arrangement of screens, from each screen's (x, y, width, height).

    The window's geometry is remembered per arrangement, so docking a laptop brings back the
    docked position instead of pushing the window off-screen.
    """
    parts = sorted(f"{x},{y},{w},{h}" for x, y, w, h in screen_geometries)
    digest = hashlib.sha1(";".join(parts).encode(), usedforsecurity=False).hexdigest()
    return f"screens-{len(parts)}-{digest[:12]}"


class Settings(QObject, DeclaredSettings):
    """All settings of one profile. Attribute access reads/writes the INI file."""

    changed = Signal(str)  # the name of a setting whose value a write just changed

    def __init__(self, profile_dir: Path, parent: QObject | None = None, *,
                 preset: Preset | None = None) -> None:
        super().__init__(parent)
        self.path = Path(profile_dir) / SETTINGS_FILE_NAME
        # The IT preset, read once (the app never writes it; a change counts from the next
        # start): by default the one this process finds (app.services.preset).
        self.preset = read_preset() if preset is None else preset
        self._managed: dict[str, object] | None = None
        # Written through QSettings (its INI format, as every profile has it); read through
        # the Qt-free reader the commands use too, so the file has one meaning everywhere.
        self._qsettings = QSettings(str(self.path), QSettings.Format.IniFormat)
        self._file: SettingsFile | None = None
        self._warned: set[str] = set()  # each oddity of the file is logged once a run
        # Values QSettings could not write (a read-only profile): still in use for this run.
        self._unsaved: dict[str, object] = {}

    def __repr__(self) -> str:
        return f"Settings(path={str(self.path)!r})"

    @classmethod
    def _declaration(cls, name: str) -> Setting[Any]:
        if is_secret_name(name):
            raise SecretSettingRefused(
                f"{name!r} is a secret and is never stored in the settings file; "
                "it belongs in the keyring")
        declared = cls.declaration(name)
        if declared is None:
            raise KeyError(f"no setting named {name!r}")
        return declared

    def get_value(self, name: str) -> object:
        return self._read(self._declaration(name))

    def set_value(self, name: str, value: object) -> None:
        """Set a setting by name (the settings dialog); refuses secrets, unknown names and
        what the IT preset sets (``ManagedByPreset``)."""
        self._write(self._declaration(name), value)

    def managed_by(self, name: str) -> Path | None:
        """The IT preset's path if it sets ``name`` (then it cannot be changed here)."""
        return self.preset.path if name in self._preset_values() else None

    def reset(self, name: str) -> None:
        declared = self._declaration(name)
        self._refuse_if_managed(declared)
        before = self._read(declared)
        self._writer().remove(declared.name)
        self._unsaved.pop(declared.name, None)
        self._sync(declared.name, None)
        if self._read(declared) != before:
            self.changed.emit(declared.name)

    def watch(self, name: str, slot: Callable[[Any], object]) -> None:
        """Call ``slot(new value)`` each time setting ``name`` changes (not for other names)."""
        declared = self._declaration(name)

        def on_changed(changed: str) -> None:
            if changed == declared.name:
                slot(self._read(declared))

        self.changed.connect(on_changed)

    def _stored(self) -> SettingsFile:
        """The file as read at first use, and again after each of our own setting writes.

        Not re-read on every access: a pop reads several settings on the GUI thread, and a
        hand edit seen by direct reads but never by ``watch()``ers would split the app in two.
        A hand edit made while the app runs counts from its next start.
        """
        if self._file is None:
            self._file = read_settings_file(self.path)
            for warning in self._file.warnings:
                if warning not in self._warned:
                    self._warned.add(warning)
                    log.warning("%s", warning)
        return self._file

    def _preset_values(self) -> dict[str, object]:
        """The preset's valid values by name, checked once (``app.services.preset_check``,
        as the commands check it): what is no setting of ours or not a value it takes is
        logged, naming the preset, and left out, so the agent's own setting (or the
        default) counts there, as for a bad settings.ini line."""
        if self._managed is None:
            checked = check_preset(self.preset, self._stored())
            self._managed = checked.values
            for problem in checked.problems:
                log.warning("%s", problem)
            if self.preset.path is not None:
                log.info("IT preset %s sets: %s", self.preset.path,
                         ", ".join(sorted(self._managed)) or "no setting")
        return self._managed

    def _refuse_if_managed(self, setting: Setting[Any]) -> None:
        if setting.name in self._preset_values():
            raise self.preset.refusal(setting.name)

    def _read(self, setting: Setting[T]) -> T:
        managed = self._preset_values()
        if setting.name in managed:
            return cast(T, managed[setting.name])
        raw: object = self._unsaved.get(setting.name)
        if raw is None:
            raw = self._stored().values.get(setting.name)
        if raw is None:
            return setting.default
        try:
            return setting.coerce(raw)
        except (ValueError, TypeError) as exc:
            nearest = setting.nearest_end(raw)
            if nearest is not None:
                log.warning("settings.ini: %s is %s, outside its range (%s); using %r",
                            setting.name, str(raw).strip()[:20], exc, nearest)
                return nearest
            # A hand-edited file must not stop the app: use the default and say so in the log.
            log.warning("settings.ini: ignoring bad %s (%s); using %r",
                        setting.name, exc, setting.default)
            return setting.default

    def _write(self, setting: Setting[Any], value: object) -> None:
        self._refuse_if_managed(setting)
        checked = setting.coerce(value)
        before = self._read(setting)
        self._writer().setValue(setting.name, checked)
        self._sync(setting.name, checked)
        if checked != before:
            self.changed.emit(setting.name)

    def _sync(self, name: str | None = None, value: object = None) -> None:
        # QSettings keeps the values an earlier sync could not save in its per-file cache (shared
        # by a fresh QSettings on the same path), so this sync saves them too.
        self._qsettings.sync()
        if name is not None:
            self._file = None  # read back what was just written (a window geometry is not)
        if self._qsettings.status() == QSettings.Status.NoError:
            self._unsaved.clear()
            return
        log.warning("settings.ini could not be written (%s): %s",
                    self._qsettings.status().name, self.path)
        if name is not None and value is not None:
            self._unsaved[name] = value

    def _writer(self) -> QSettings:
        """The QSettings to write through: a fresh one after an error, because QSettings keeps
        its first error for good (every later write would look failed too, even once the
        profile is writable again)."""
        if self._qsettings.status() != QSettings.Status.NoError:
            self._qsettings = QSettings(str(self.path), QSettings.Format.IniFormat)
        return self._qsettings

    def is_configured(self) -> bool:
        """Enough is set to try DeepCall (first start opens the settings dialog otherwise).

        Whether the token/ssid is in the keyring is the credentials' question, not this one.
        """
        if not self.brand_url.strip():
            return False
        return self.auth_mode == "ssid" or bool(self.user_id.strip())

    def window_geometry(self, screen_key: str) -> bytes | None:
        """The saved window geometry (QWidget.saveGeometry bytes) for one screen arrangement."""
        raw = self._qsettings.value(f"geometry/{screen_key}")
        if not raw:
            return None
        try:
            return base64.b64decode(str(raw), validate=True)
        except (binascii.Error, ValueError):
            log.warning("settings.ini: ignoring unreadable window geometry for %s", screen_key)
            return None

    def set_window_geometry(self, screen_key: str, geometry: bytes) -> None:
        # Base64 text rather than @ByteArray(...) keeps the INI readable and portable.
        self._writer().setValue(f"geometry/{screen_key}",
                                 base64.b64encode(geometry).decode("ascii"))
        self._sync()
