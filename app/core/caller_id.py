"""Caller ids that are not a number: the caller withheld it (issue 11).

``anonymous``, ``private``, ``withheld``, ``restricted``, ``unavailable``, ``unknown`` (any
case, also as the user part of a ``tel:`` or ``sip:`` URI), an empty id and all-zero numbers
are shown as "Withheld number", never looked up and never matched to a stored contact.
"""

from __future__ import annotations

from typing import Final

WITHHELD_LABEL: Final = "Withheld number"


def is_withheld(raw: str) -> bool:
    """True if ``raw`` (as a softphone passes it) says the caller's number is withheld."""
    raise NotImplementedError  # issue 11, part P
