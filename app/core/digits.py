"""Which characters of a typed or copied number count as its digits: one rule for every reader.

``normalise``/``extract_first`` (app/core/phone.py) and the CLI's routing (app/cli.py) ask
here, so a text is a number for all of them or for none. No ``phonenumbers`` import: the CLI
routes a ``tel:`` forward without loading it.
"""

from __future__ import annotations

from app.core.screen_text import BIDI_CONTROLS

ASCII_DIGITS = frozenset("0123456789")

# Invisible marks a phone or chat app wraps a copied number in (Android: U+202A..U+202C;
# iOS/WhatsApp: U+200E, U+2068..U+2069): every Bidi_Control character, plus the zero-width
# space, the word joiner and a byte-order mark (an encoding artefact of a file or a Windows
# clipboard). They are not part of what the user sees, so they are dropped.
_INVISIBLE = "".join(sorted(BIDI_CONTROLS)) + "\u200b\u2060\ufeff"

# Digits typed or copied in other scripts are the same digits: Arabic-Indic (Arabic UIs),
# Extended Arabic-Indic (Persian, Urdu) and fullwidth (East Asian input methods), with the
# fullwidth plus, dialling marks and space. Only these are folded: digits of any other script
# (Devanagari, mathematical look-alikes, superscripts) still are not a number anywhere.
_FOLD_TO_ASCII: dict[int, str | None] = {
    **{0x0660 + d: str(d) for d in range(10)},
    **{0x06F0 + d: str(d) for d in range(10)},
    **{0xFF10 + d: str(d) for d in range(10)},
    0xFF0B: "+", 0xFF0D: "-", 0xFF08: "(", 0xFF09: ")", 0xFF0E: ".", 0x3000: " ",
    **{ord(mark): None for mark in _INVISIBLE},
}


def fold_digits(text: str) -> str:
    """``text`` with other scripts' digits made ASCII and invisible marks dropped:
    ``\\u202a＋９１…\\u202c`` -> ``+91…``."""
    return text.translate(_FOLD_TO_ASCII)


def has_unread_digits(folded: str) -> bool:
    """True if ``folded`` (already through ``fold_digits``) has a digit that is not ASCII:
    a script not folded, a superscript or circled digit. Such text is not read as a number."""
    return any(ch.isdigit() and ch not in ASCII_DIGITS for ch in folded)
