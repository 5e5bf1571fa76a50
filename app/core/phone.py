"""Caller numbers: extraction from text, normalisation to E.164, and the forms others need.

Built on ``phonenumbers`` (phonenumberslite): ``parse`` alone happily turns junk such as
``12345`` or ``call me on ...`` into a "number", so every result is checked with
``is_valid_number`` and text is scanned with ``PhoneNumberMatcher``, never with our own regexes.
"""

from __future__ import annotations

import urllib.parse

import phonenumbers

from app.core.digits import ASCII_DIGITS, fold_digits, has_unread_digits

DEFAULT_REGION = "IN"

# Longest text we treat as "a number" (whole-text mode) or scan for one (first-number mode).
# Beyond these it is prose, a document or a password blob; the matcher is not cheap on long text.
MAX_NUMBER_TEXT = 64
MAX_SCAN_TEXT = 256

# What a typed or formatted number may contain besides digits; anything else means the text is
# more than a number ("call 0830..." or "12:30") and whole-text normalisation rejects it.
_NUMBER_PUNCTUATION = frozenset(" +-().\u00a0\u2010\u2011\u2012\u2013/")

_URI_SCHEMES = ("tel:", "callto:", "sip:", "sips:")
CALL_LINK_SCHEMES = frozenset(scheme.rstrip(":") for scheme in _URI_SCHEMES)


def strip_uri(text: str) -> str:
    """``tel:+91-83023-90884;phone-context=...`` -> ``+91-83023-90884`` (other text unchanged).

    Also takes ``callto:`` and ``sip:user@host`` as softphones hand them over; percent-escapes
    (``%2B91...``) are decoded.
    """
    stripped = text.strip()
    lowered = stripped.lower()
    for scheme in _URI_SCHEMES:
        if lowered.startswith(scheme):
            rest = stripped[len(scheme):].lstrip("/")
            rest = urllib.parse.unquote(rest)
            # Parameters (;ext=, ;phone-context=) and a SIP host are not part of the number.
            return rest.split(";", 1)[0].split("@", 1)[0].split("?", 1)[0].strip()
    return stripped


def _e164_if_valid(candidate: phonenumbers.PhoneNumber) -> str | None:
    if not phonenumbers.is_valid_number(candidate):
        return None
    return str(phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164))


def normalise(text: str, default_region: str = DEFAULT_REGION) -> str | None:
    """The E.164 form (``+918302390884``) when the whole ``text`` is one valid number, else None.

    Accepts national (``08302390884``), bare (``8302390884``), with country code and no ``+``
    (``918302390884``), international-prefix (``00918302390884``), formatted
    (``+91 83023 90884``) and URI (``tel:+91-83023-90884``) forms, in ASCII or the digits
    ``fold_digits`` (app/core/digits.py) knows. Never raises.
    """
    if not isinstance(text, str) or len(text) > MAX_NUMBER_TEXT:
        return None
    number_text = fold_digits(strip_uri(fold_digits(text)))  # again: %-escapes may hide some
    digits = sum(ch in ASCII_DIGITS for ch in number_text)
    if digits < 6 or any(
        ch not in ASCII_DIGITS and ch not in _NUMBER_PUNCTUATION for ch in number_text
    ):
        return None
    if "+" in number_text[1:]:
        return None
    try:
        parsed = phonenumbers.parse(number_text, (default_region or "").upper() or None)
    except phonenumbers.NumberParseException:
        return None
    except Exception:  # defensive: metadata edge cases must never break a pop source
        return None
    return _e164_if_valid(parsed)


def extract_first(text: str, default_region: str = DEFAULT_REGION,
                  max_len: int = MAX_SCAN_TEXT) -> str | None:
    """The first valid number found in short ``text`` (E.164), or None.

    Text longer than ``max_len`` is ignored outright: a copied e-mail or page is not a call.
    """
    if not isinstance(text, str) or len(text) > max_len:
        return None
    text = fold_digits(text)
    whole = normalise(text, default_region)
    if whole is not None:
        return whole
    try:
        for match in phonenumbers.PhoneNumberMatcher(
            text, (default_region or "").upper() or None, leniency=phonenumbers.Leniency.VALID
        ):
            if has_unread_digits(match.raw_string):
                continue  # the matcher takes any script's digits; normalise() does not
            found = _e164_if_valid(match.number)
            if found is not None:
                return found
    except Exception:  # defensive, as in normalise()
        return None
    return None


def display_format(e164: str) -> str:
    """International format for the UI (``+91 83023 90884``); the input unchanged if unparsable."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


def is_supported_region(region: str) -> bool:
    """True for a region code phonenumbers knows (``IN``, ``GB``...), for settings validation."""
    return region.upper() in phonenumbers.SUPPORTED_REGIONS


def deepcall_caller_number(e164: str) -> str:
    """The one place that turns a normalised number into DeepCall's ``callerNumber`` form.

    DeepCall returns ``mobile`` as the digits with the country code and no ``+``
    (``918302390884``), so that is what we send.
    """
    return e164.lstrip("+")
