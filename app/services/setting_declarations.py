"""The settings the app has, declared once and without Qt: name, type, default, description,
allowed choices and range.

The window's ``Settings`` (``app.services.settings``) reads and writes them; the commands and
the IT preset's check (``app.services.preset_check``) read the same declarations, so a value
means the same thing, and is refused for the same reason, everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Generic, Protocol, TypeVar, cast, overload

from app.services.settings_file import AUTH_MODES, checked_region, is_secret_name

T = TypeVar("T")

POP_BEHAVIOURS: Final = ("raise", "raise_on_top", "tray_only")
CLIPBOARD_MODES: Final = ("whole", "first")
# When the caller-page URL opens by itself (besides its button, always there when set).
OPEN_URL_WHEN: Final = ("button", "ringing", "answered")


class SettingsStore(Protocol):
    """Where declared settings are read and written (``Settings``)."""

    def _read(self, setting: Setting[T]) -> T: ...
    def _write(self, setting: Setting[Any], value: object) -> None: ...


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
    def __get__(self, obj: SettingsStore, owner: type) -> T: ...
    def __get__(self, obj: SettingsStore | None, owner: type) -> Setting[T] | T:
        if obj is None:
            return self
        return obj._read(self)

    def __set__(self, obj: SettingsStore, value: T) -> None:
        obj._write(self, value)


class DeclaredSettings:
    """Every setting of the app, in the order the docs and the dialog show them."""

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

    @classmethod
    def declared(cls) -> list[SettingInfo]:
        """Every declared setting, in declaration order."""
        return [value.info() for value in vars(DeclaredSettings).values()
                if isinstance(value, Setting)]

    @classmethod
    def declaration(cls, name: str) -> Setting[Any] | None:
        """The declaration of ``name``; None for a name that is no setting."""
        declared = vars(DeclaredSettings).get(name)
        return declared if isinstance(declared, Setting) else None
