"""What counts as "a number was copied": pure decisions, shared by every clipboard strategy.

Password managers mark their copies so clipboard tools leave them alone; we honour every
marker we know of, so a copied password or OTP is never read, let alone sent to DeepCall.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable

from app.core.phone import MAX_NUMBER_TEXT, MAX_SCAN_TEXT, extract_first, normalise

# Our own clipboard writes carry this format, so copying a number from the app never pops it.
OWN_MARKER_FORMAT = "application/x-deepcall-screenpop-own"
# What survives of it in every platform's name for the format: macOS pasteboard types are
# Qt-made UTIs ("com.trolltech.anymime.application--x-deepcall-screenpop-own"), Windows wraps
# registered formats ('application/x-qt-windows-mime;value="..."').
_OWN_MARKER_CORE = "x-deepcall-screenpop-own"


class WatchMode(enum.Enum):
    WHOLE_TEXT = "whole"  # pop only when the whole copied text is one number
    FIRST_NUMBER = "first"  # pop the first number found in short text

    @property
    def max_text(self) -> int:
        return MAX_NUMBER_TEXT if self is WatchMode.WHOLE_TEXT else MAX_SCAN_TEXT


def is_own_write(formats: Iterable[str]) -> bool:
    """True when the clipboard holds the app's own write (marked with OWN_MARKER_FORMAT)."""
    return any(_OWN_MARKER_CORE in name.lower() for name in formats)


def is_concealed(formats: Iterable[str], read: Callable[[str], bytes]) -> bool:
    """True when the clipboard carries a "secret / keep out of history" marker.

    * KDE/KeePassXC and others on Linux: ``x-kde-passwordManagerHint`` = ``secret``
    * Windows: ``ExcludeClipboardContentFromMonitorProcessing`` (any value),
      ``CanIncludeInClipboardHistory`` or ``CanUploadToCloudClipboard`` = DWORD 0,
      ``Clipboard Viewer Ignore`` (Qt names registered formats
      ``application/x-qt-windows-mime;value="..."``)
    * macOS (nspasteboard.org): ``org.nspasteboard.ConcealedType`` / ``TransientType``
    """
    return any(_conceals(name, read) for name in formats)


# Present at all: keep out (Windows' exclusion formats, nspasteboard.org's markers).
_MARKERS = ("excludeclipboardcontentfrommonitorprocessing", "clipboard viewer ignore",
            "org.nspasteboard.concealedtype", "org.nspasteboard.transienttype")


def _conceals(name: str, read: Callable[[str], bytes]) -> bool:
    lowered = name.lower()
    if "x-kde-passwordmanagerhint" in lowered:
        return read(name).strip().lower().rstrip(b"\x00") == b"secret"
    if any(marker in lowered for marker in _MARKERS):
        return True
    return any(flag in lowered for flag in _WINDOWS_DWORD_FLAGS) and not _allows(read(name))


# Windows' "may this copy be kept" flags: a DWORD, 0 = no (password managers set both).
_WINDOWS_DWORD_FLAGS = ("canincludeinclipboardhistory", "canuploadtocloudclipboard")


def _allows(dword: bytes) -> bool:
    # Only a whole non-zero DWORD lets the copy through: a flag someone set but that holds
    # no readable "yes" was most likely meant as "keep out" (a secret is never the guess).
    return len(dword) >= 4 and int.from_bytes(dword[:4], "little") != 0


def number_in_text(text: str, mode: WatchMode, default_region: str) -> str | None:
    """The E.164 number the copied ``text`` stands for in ``mode``, or None."""
    if len(text) > mode.max_text:
        return None
    if mode is WatchMode.WHOLE_TEXT:
        return normalise(text, default_region)
    return extract_first(text, default_region, mode.max_text)
