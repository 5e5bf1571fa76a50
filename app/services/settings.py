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
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Generic, TypeVar, cast, overload

from PySide6.QtCore import QObject, QSettings, Signal

from app.services.preset import Preset, read_preset
from app.services.settings_file import (
    AUTH_MODES,
    SETTINGS_FILE_NAME,
    SettingsFile,
    checked_region,
    is_secret_name,
    read_settings_file,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

POP_BEHAVIOURS: Final = ("raise", "raise_on_top", "tray_only")
CLIPBOARD_MODES: Final = ("whole", "first")
# When the caller-page URL opens by itself (besides its button, always there when set).
OPEN_URL_WHEN: Final = ("button", "ringing", "answered")


class SecretSettingRefused(ValueError):
    """Someone tried to keep a secret in the settings file."""


def _parse(kind: type, raw: object) -> object:
    """The INI file stores text; turn it back into the declared type (ValueError if it can't)."""
    if isinstance(raw, kind) and not (kind is not bool and isinstance(raw, bool)):
        return raw
    # QSettings reads an unquoted "a,b" from a hand-edited file as a list of strings.
    text = ",".join(map(str, raw)) if isinstance(raw, list) else str(raw).strip()
    if kind is bool:
        lowered = text.lower()
        if lowered in {"true", "1", "yes", "on"}:
            return True
        if lowered in {"false", "0", "no", "off"}:
            return False
        raise ValueError(f"not a yes/no value: {text!r}")
    if kind is int:
        return int(text)
    if kind is float:
        return float(text)
    return text


_KIND_WORDS: Final[dict[type, str]] = {
    int: "a whole number", float: "a number", bool: "yes or no", str: "text"}


@dataclass(frozen=True)
class SettingInfo:
    """What the settings dialog and docs need to know about one setting."""

    name: str
    kind: type
    default: object
    description: str
    choices: tuple[object, ...] | None
    minimum: float | None
    maximum: float | None


class Setting(Generic[T]):
    """A declared setting; reading it on a ``Settings`` object gives a checked ``T``."""

    def __init__(self, kind: type[T], default: T, description: str, *,
                 choices: tuple[T, ...] | None = None, minimum: float | None = None,
                 maximum: float | None = None, check: Callable[[T], T] | None = None,
                 below_minimum_is_default: bool = False) -> None:
        self.kind: type[T] = kind
        self.default: T = default
        self.description = description
        self.choices: tuple[T, ...] | None = choices
        self.minimum = minimum
        self.maximum = maximum
        self.check = check  # further validation/normalisation; ValueError with a reason
        # A saved number under the minimum means the default, not the minimum: where the
        # nearest allowed value would act on it (``history_days=0`` -> delete all but a day).
        self.below_minimum_is_default = below_minimum_is_default
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        if is_secret_name(name):
            raise SecretSettingRefused(f"setting {name!r} looks like a secret; use the keyring")
        self.name = name

    def info(self) -> SettingInfo:
        return SettingInfo(self.name, self.kind, self.default, self.description,
                           self.choices, self.minimum, self.maximum)

    def coerce(self, value: object) -> T:
        """The value as ``T``, or ValueError with a plain reason."""
        try:
            parsed = _parse(self.kind, value)
        except (ValueError, TypeError):
            wanted = _KIND_WORDS.get(self.kind, self.kind.__name__)
            raise ValueError(f"{self.name} must be {wanted} (got {value!r})") from None
        if self.choices is not None and parsed not in self.choices:
            allowed = ", ".join(str(c) for c in self.choices)
            raise ValueError(f"{self.name} must be one of {allowed} (got {parsed!r})")
        if isinstance(parsed, int | float) and not isinstance(parsed, bool):
            self._check_range(parsed)
        return self.check(cast(T, parsed)) if self.check is not None else cast(T, parsed)

    def _check_range(self, number: float) -> None:
        low = -math.inf if self.minimum is None else self.minimum
        high = math.inf if self.maximum is None else self.maximum
        # "not low <= number": nan compares false with everything, so it is refused too.
        if not math.isfinite(number) or not low <= number <= high:
            bounds = (f"between {low:g} and {high:g}" if math.isfinite(low + high)
                      else f"at least {low:g}" if math.isfinite(low) else f"at most {high:g}")
            wanted = _KIND_WORDS[int] if isinstance(number, int) else _KIND_WORDS[float]
            raise ValueError(f"{self.name} must be {wanted} {bounds} (got {number!r})")

    def nearest_end(self, raw: object) -> T | None:
        """For a saved finite number past an end of the range: that end; None otherwise.

        Profiles saved before the ranges existed may hold such numbers: the nearest allowed
        value keeps their meaning better than the default (7200 s is nearer 3600 than 30).
        """
        try:
            number = _parse(self.kind, raw)
        except (ValueError, TypeError):
            return None
        if isinstance(number, bool) or not isinstance(number, int | float):
            return None
        if not math.isfinite(number):  # nan and inf stay refused: they have no nearest end
            return None
        if self.minimum is not None and number < self.minimum:
            return None if self.below_minimum_is_default else self.coerce(self.minimum)
        if self.maximum is not None and number > self.maximum:
            return self.coerce(self.maximum)
        return None

    @overload
    def __get__(self, obj: None, owner: type) -> Setting[T]: ...
    @overload
    def __get__(self, obj: Settings, owner: type) -> T: ...
    def __get__(self, obj: Settings | None, owner: type) -> Setting[T] | T:
        if obj is None:
            return self
        return obj._read(self)

    def __set__(self, obj: Settings, value: T) -> None:
        obj._write(self, value)


def screen_setup_key(screen_geometries: Iterable[tuple[int, int, int, int]]) -> str:
    """A stable key for one arrangement of screens, from each screen's (x, y, width, height).

    The window's geometry is remembered per arrangement, so docking a laptop brings back the
    docked position instead of pushing the window off-screen.
    """
    parts = sorted(f"{x},{y},{w},{h}" for x, y, w, h in screen_geometries)
    digest = hashlib.sha1(";".join(parts).encode(), usedforsecurity=False).hexdigest()
    return f"screens-{len(parts)}-{digest[:12]}"


class Settings(QObject):
    """All settings of one profile. Attribute access reads/writes the INI file."""

    changed = Signal(str)  # the name of a setting whose value a write just changed

    brand_url = Setting(str, "", "DeepCall API host of your account, e.g. https://v4-api.deepcall.com")
    auth_mode = Setting(str, "token", "How the app signs in: 'ssid' (panel session) or "
                        "'token' (userId + API token)", choices=AUTH_MODES)
    user_id = Setting(str, "", "DeepCall userId (used with an API token)")
    default_region = Setting(str, "IN", "Country assumed for numbers without a country code "
                             "(ISO code, e.g. IN)", check=checked_region)
    pop_behaviour = Setting(str, "raise", "On a call: 'raise' the window, 'raise_on_top' and keep "
                            "it on top, or 'tray_only' notify in the tray", choices=POP_BEHAVIOURS)
    dedupe_seconds = Setting(int, 10, "The same number again within this many seconds does not "
                             "pop twice", minimum=0, maximum=600)
    cache_seconds = Setting(int, 120, "A number looked up this recently pops at once from memory "
                            "(and refreshes in the background)", minimum=0, maximum=86400)
    clipboard_enabled = Setting(bool, False, "Pop numbers copied to the clipboard")
    clipboard_mode = Setting(str, "whole", "Clipboard: 'whole' text must be a number, or the "
                             "'first' number found in it", choices=CLIPBOARD_MODES)
    counters_refresh_seconds = Setting(int, 30, "How often the agent counters refresh",
                                       minimum=5, maximum=3600)
    connect_timeout_seconds = Setting(float, 3.0, "Seconds to wait for a connection to DeepCall",
                                      minimum=0.5, maximum=60)
    total_timeout_seconds = Setting(float, 5.0, "Seconds one DeepCall request may take in all",
                                    minimum=0.5, maximum=120)
    history_days = Setting(int, 30, "Days the call history is kept on this computer, 1 to "
                           "3650 (0 does not mean forever); older calls are deleted, and at "
                           "most the latest 5000 are kept. Queued saves and notes, unsaved "
                           "changes and the latest call of a caller who has them are never "
                           "deleted by it", minimum=1, maximum=3650,
                           below_minimum_is_default=True)

    # --- the call around the pop (issue 11) ---------------------------------------------
    pop_takes_focus = Setting(bool, False, "A pop takes the keyboard focus from the program "
                              "the agent is typing in (off: the window comes to the front "
                              "without taking the keys; click it or use its shortcuts)")
    return_after_call_seconds = Setting(int, 0, "After a call ends, put the window back where "
                                        "it was this many seconds later (0: it stays); never "
                                        "while edits are unsaved or a note is being typed",
                                        minimum=0, maximum=3600)
    open_url_template = Setting(str, "", "A page to open for the caller (your CRM's search, the "
                                "DeepCall panel): {e164}, {national}, {digits}, {call_id} and "
                                "{line} are replaced, URL-encoded")
    open_url_when = Setting(str, "button", "When that page opens by itself: 'button' (only when "
                            "the agent clicks it), or on 'ringing' or 'answered'",
                            choices=OPEN_URL_WHEN)
    run_program = Setting(str, "", "A program to run on call events (its full path); never "
                          "through a shell")
    run_program_args = Setting(str, "", "Its arguments, separated by spaces as in a shell "
                               "(quotes group); {event}, {e164}, {national}, {digits}, "
                               "{call_id}, {line} and {from_agent} in an argument are "
                               "replaced, each value "
                               "staying inside its one argument")
    run_program_on = Setting(str, "", "The events that run it, separated by commas: ringing, "
                             "answered, ended, transferred")
    log_full_numbers = Setting(bool, False, "Write callers' full numbers in the logs (for "
                               "troubleshooting); off, logs name a number by its last four "
                               "digits")

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
    def declared(cls) -> list[SettingInfo]:
        """Every declared setting, in declaration order."""
        return [value.info() for value in vars(cls).values() if isinstance(value, Setting)]

    @classmethod
    def _declaration(cls, name: str) -> Setting[Any]:
        if is_secret_name(name):
            raise SecretSettingRefused(
                f"{name!r} is a secret and is never stored in the settings file; "
                "it belongs in the keyring")
        declared = vars(cls).get(name)
        if not isinstance(declared, Setting):
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
        """The preset's valid values by name; what it holds that is no setting of ours, or
        not a value the setting takes, is logged (naming the preset) and left out, so the
        agent's own setting (or the default) counts there, as for a bad settings.ini line."""
        if self._managed is None:
            self._managed = {}
            label = self.preset.label
            problems = list(self.preset.warnings)
            for name, raw in self.preset.values.items():
                declared = vars(type(self)).get(name)
                if not isinstance(declared, Setting):
                    problems.append(f"{label}: there is no setting {name[:60]!r}; it is "
                                    "ignored.")
                    continue
                try:
                    self._managed[name] = declared.coerce(raw)
                except (ValueError, TypeError) as exc:
                    problems.append(f"{label}: ignoring bad {name} ({exc}); the agent's own "
                                    "setting or the default is used.")
            for problem in problems:
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
