"""How the sandbox reads a ``callerNumber``/``cn``/``contact`` value.

Contacts are keyed by their digits with the country code (``918302390884``), the form DeepCall
returns as ``mobile``. Requests may carry that form, the same with a leading ``+``, or (India
only) the 10-digit national mobile number. Anything else is an invalid number.

Ten digits are ambiguous: ``6591234567`` is a Singapore number with its country code and also an
Indian national mobile number. An existing contact stored under the exact digits wins; otherwise
the Indian reading is used (the sandbox's callers are mostly Indian).
"""

from __future__ import annotations

import re

_INDIAN_NATIONAL_MOBILE = re.compile(r"[6-9]\d{9}")
_INTERNATIONAL = re.compile(r"[1-9]\d{7,14}")  # E.164: 8-15 digits, no leading 0


def candidate_keys(raw: str | int) -> tuple[str, ...]:
    """Possible contact keys for ``raw``, most likely first; empty when it is not a number."""
    text = str(raw).strip()
    if text.startswith("+"):
        text = text[1:]
        return (text,) if _INTERNATIONAL.fullmatch(text) else ()
    keys: list[str] = []
    if _INTERNATIONAL.fullmatch(text):
        keys.append(text)
    if _INDIAN_NATIONAL_MOBILE.fullmatch(text):
        keys.append("91" + text)
    return tuple(keys)


def new_contact_key(raw: str | int) -> str | None:
    """The key a number not yet in the directory is filed under, or None when invalid."""
    keys = candidate_keys(raw)
    if not keys:
        return None
    return keys[-1]  # the Indian reading of an ambiguous 10-digit number comes last
