"""Caller ids that are not a number: the caller withheld it (issue 11).

``anonymous``, ``private``, ``withheld``, ``restricted``, ``unavailable``, ``unknown`` (any
case, also as the user part of a ``tel:`` or ``sip:`` URI), an empty id and all-zero numbers
are shown as "Withheld number", never looked up and never matched to a stored contact.

Inside the services a withheld caller is keyed per CALL (``withheld_key``), never by a shared
word: two anonymous callers are two people, and neither may inherit the other's notes.
"""

from __future__ import annotations

import uuid
from typing import Final

from app.core.digits import fold_digits
from app.core.phone import strip_uri

WITHHELD_LABEL: Final = "Withheld number"
WITHHELD_PREFIX: Final = "withheld:"

# What softphones and carriers put in the caller id when the number is not presented.
WITHHELD_WORDS: Final = frozenset(
    {"anonymous", "private", "withheld", "restricted", "unavailable", "unknown"}
)

# Dialling punctuation around the zeros of an all-zero id (``+000``, ``(000) 000-000``).
_ZERO_PUNCTUATION: Final = frozenset(" +-()./\u00a0")


def _is_all_zeros(text: str) -> bool:
    zeros = [ch for ch in text if ch not in _ZERO_PUNCTUATION]
    return bool(zeros) and all(ch == "0" for ch in zeros)


def is_withheld(raw: str) -> bool:
    """True if ``raw`` (as a softphone passes it) says the caller's number is withheld."""
    if not isinstance(raw, str):
        return False
    user_part = strip_uri(fold_digits(raw))
    return not user_part or user_part.lower() in WITHHELD_WORDS or _is_all_zeros(user_part)


def withheld_key(call_id: str | None) -> str:
    """The services' key for one withheld call: ``withheld:<call id>``, or a fresh one when
    the softphone named no call (so two such pops never share history, cache or notes)."""
    return WITHHELD_PREFIX + (call_id or uuid.uuid4().hex)


def is_withheld_key(number: str | None) -> bool:
    """True if ``number`` (a PopResult's or history row's) is a ``withheld_key``, not E.164."""
    return isinstance(number, str) and number.startswith(WITHHELD_PREFIX)
