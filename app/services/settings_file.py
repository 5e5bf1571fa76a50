"""settings.ini read without Qt: one reading for the app's Settings and for every command.

The app writes the file through QSettings (INI format); this reads it the way QSettings does,
so a hand-edited file means the same thing to the window, ``screenpop lookup`` and ``pop``.
The IT preset (``app.services.preset``) is the same dialect, read here too:

- ``[General]`` (any case), and keys before any section, hold the top-level keys; another
  section's keys read as ``section/key``;
- a section or a key given twice: the later one wins (QSettings merges the same way), warned;
- a UTF-8 BOM is skipped; bytes that are not UTF-8 read as U+FFFD, warned (then the address
  check names the problem, rather than a silently shortened value);
- ``;`` starts a comment outside quotes; a line that is not ``key=value`` is ignored, warned;
- values: a quoted part keeps its spaces, commas and semicolons; ``\\``-escapes as QSettings
  writes them; an unquoted comma makes a list, joined back with ``,`` (as ``Settings`` reads
  it); ``@@`` is ``@``, ``@String(x)`` (a value holding a NUL) and ``@ByteArray(x)`` are ``x``;
- only CR and LF end a line; only space and tab are trimmed around a value.

Deliberate differences from QSettings: ``@Variant(...)``, ``@Invalid()`` and the geometry
types (``@Rect``...) read as their literal text, and a list's parts are joined back with ``,``
(the app saves none of these in a setting read through here).

Warnings never quote a value except the region code (the file holds no secrets, but an
address may carry a customer's name).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from app.core.phone import DEFAULT_REGION, is_supported_region
from app.core.small_file import FileTooLarge, NotARegularFile, read_small_file

SETTINGS_FILE_NAME: Final = "settings.ini"
MAX_FILE_BYTES: Final = 1 << 20  # a settings file is a few hundred bytes; more is not ours
_ESCAPES: Final = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
                   "v": "\v", "0": "\0"}
_HEX_DIGITS: Final = frozenset("0123456789abcdefABCDEF")
_LINE_BREAK: Final = re.compile(r"\r\n|\r|\n")
# What QSettings trims: around lines and keys ASCII blanks, around values only space and tab
# (it writes U+0085, U+00A0, U+2028 raw, so trimming them would change a saved value).
_LINE_BLANKS: Final = " \t\v\f"
_VALUE_BLANKS: Final = " \t"


AUTH_MODES: Final = ("ssid", "token")
# Substrings a setting name may not contain: a secret must never land in an INI file.
SECRET_NAME_PARTS: Final = ("token", "ssid", "password", "secret")


def is_secret_name(name: str) -> bool:
    lowered = name.lower().replace("-", "").replace("_", "")
    return any(part in lowered for part in SECRET_NAME_PARTS)


def checked_region(raw: str) -> str:
    """The ISO country code in upper case; ValueError with a plain reason otherwise."""
    region = raw.strip().upper()
    if not is_supported_region(region):
        raise ValueError(f"default_region {raw.strip()[:8]!r} is not a country code this app "
                         "knows (like IN or GB)")
    return region


@dataclass(frozen=True)
class SettingsFile:
    """What settings.ini holds: text values by key, and what was odd about the file."""

    values: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def text(self, name: str, default: str = "") -> str:
        value = self.values.get(name)
        return default if value is None else value.strip()

    def region(self, warn: Callable[[str], object] | None = None) -> str:
        """``default_region``, upper case; DEFAULT_REGION (and ``warn``) when unknown."""
        raw = self.values.get("default_region")
        if raw is None or not raw.strip():
            return DEFAULT_REGION
        try:
            return checked_region(raw)
        except ValueError as exc:
            if warn is not None:
                warn(f"settings.ini: {exc}; numbers without a country code are read as "
                     f"{DEFAULT_REGION}.")
            return DEFAULT_REGION


def read_settings_file(path: Path, name: str = SETTINGS_FILE_NAME,
                       unread: str = "using the defaults") -> SettingsFile:
    """The file at ``path`` as QSettings reads it; an absent or unreadable file is empty.

    ``name`` is how the warnings call the file (the IT preset is read here too), ``unread``
    what happens instead when it cannot be used.
    """
    try:
        data = read_small_file(path, MAX_FILE_BYTES)
    except FileNotFoundError:
        return SettingsFile()
    except NotARegularFile:
        return SettingsFile(warnings=(f"{name} cannot be read: it is not a regular file (a "
                                      f"folder, a pipe or a device); {unread}.",))
    except FileTooLarge:
        return SettingsFile(warnings=(f"{name} is larger than 1 MiB, so it is not a "
                                      f"settings file; {unread}.",))
    except OSError as exc:  # no access, a name too long...: said, never a stop
        return SettingsFile(warnings=(f"{name} cannot be read ({exc.strerror}); {unread}.",))
    warnings: list[str] = []
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        warnings.append(f"{name} is not UTF-8 text: the characters that could not be "
                        "read are shown as \ufffd. Save it as UTF-8.")
    # Only CR and LF end a line, as in QSettings: str.splitlines() also breaks on U+2028,
    # U+0085, \x0b, \x1c... which QSettings writes raw inside a value, so a saved value could
    # otherwise smuggle in a second key (brand_url=...).
    values = _parse_lines(_LINE_BREAK.split(text), warnings, name)
    return SettingsFile(values, tuple(warnings))


def _parse_lines(lines: list[str], warnings: list[str], file_name: str) -> dict[str, str]:
    values: dict[str, str] = {}
    where: dict[str, int] = {}
    sections_seen: set[str] = set()
    prefix = ""
    for number, line in enumerate(lines, start=1):
        stripped = line.strip(_LINE_BLANKS)
        if not stripped or stripped[0] == ";" or (stripped[0] == "#" and "=" not in stripped):
            continue  # comments (QSettings reads "#name=value" as a key, so does this)
        if stripped.startswith("[") and stripped.endswith("]"):
            name = stripped[1:-1].strip(_LINE_BLANKS)
            prefix = "" if name.lower() == "general" else f"{name}/"
            if prefix in sections_seen:
                warnings.append(f"{file_name}: the [{name[:40]}] section appears more than "
                                "once; its keys are read together, the later ones winning.")
            sections_seen.add(prefix)
            continue
        key, equals, raw = line.partition("=")
        key = key.strip(_LINE_BLANKS)
        if not equals or not key:
            warnings.append(f"{file_name}: line {number} is not 'name=value'; it is ignored.")
            continue
        full_key = prefix + key
        if full_key in where:
            warnings.append(f"{file_name}: {full_key[:60]} is set on line {where[full_key]} "
                            f"and again on line {number}; the later one counts.")
        where[full_key] = number
        values[full_key] = unescape_value(raw)
    return values


def unescape_value(raw: str) -> str:
    """One INI value as QSettings writes it -> its text (list parts joined with ``,``)."""
    text = raw.strip(_VALUE_BLANKS)
    parts: list[str] = []
    # Each character with whether it was quoted or escaped: only bare spaces at a part's
    # ends are trimmed, as QSettings does.
    current: list[tuple[str, bool]] = []
    in_quotes = False
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            escaped: list[str] = []
            index = _unescape_one(text, index + 1, escaped)
            current.extend((c, True) for c in escaped)
            continue
        if char == '"':
            in_quotes = not in_quotes
        elif in_quotes:
            current.append((char, True))
        elif char == ";":
            break
        elif char == ",":
            parts.append(_trimmed(current))
            current = []
        else:
            current.append((char, False))
        index += 1
    parts.append(_trimmed(current))
    if len(parts) == 1:
        return _typed_text(parts[0])
    return ",".join(part[1:] if part.startswith("@@") else part for part in parts)


def _typed_text(value: str) -> str:
    """QSettings marks a value starting with ``@`` (``@@``), holding a NUL (``@String(...)``)
    or bytes (``@ByteArray(...)``); the marks are read after unescaping, as QSettings does."""
    if value.startswith("@@"):
        return value[1:]
    for mark in ("@String(", "@ByteArray("):
        if value.startswith(mark) and value.endswith(")"):
            return value[len(mark):-1]
    return value


def _trimmed(chars: list[tuple[str, bool]]) -> str:
    start, end = 0, len(chars)
    while start < end and chars[start][0] in _VALUE_BLANKS and not chars[start][1]:
        start += 1
    while end > start and chars[end - 1][0] in _VALUE_BLANKS and not chars[end - 1][1]:
        end -= 1
    return "".join(char for char, _ in chars[start:end])


def _unescape_one(text: str, index: int, out: list[str]) -> int:
    """Append the character escaped at ``text[index]``; the index after the escape."""
    char = text[index]
    if char == "x":  # \xHHHH: QSettings reads every hex digit that follows
        end = index + 1
        while end < len(text) and text[end] in _HEX_DIGITS:
            end += 1
        digits = text[index + 1:end][-6:]
        code = int(digits, 16) if digits else 0
        out.append(chr(code) if 0 < code <= 0x10FFFF else "\ufffd")
        return end
    out.append(_ESCAPES.get(char, char))
    return index + 1

