"""Real phone numbers for property tests: phonenumbers' example numbers of every region
(fixed line, mobile, toll free, VoIP), written the ways softphones and people write them. A
property over these reaches its assertion every time (random digit soup rarely is a number)."""

from __future__ import annotations

from typing import Final

import phonenumbers
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

_TYPES: Final = (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE,
                 PhoneNumberType.TOLL_FREE, PhoneNumberType.VOIP)

# (region, E.164) of every region's example number of each type phonenumbers has one of.
EXAMPLES: Final = tuple(sorted({
    (region, phonenumbers.format_number(example, PhoneNumberFormat.E164))
    for region in phonenumbers.SUPPORTED_REGIONS for kind in _TYPES
    if (example := phonenumbers.example_number_for_type(region, kind)) is not None}))

_SEPARATORS: Final = (" ", "-", ".", "", "  ")
_WRAPS: Final = ("{}", " {} ", "tel:{}", "sip:{}@pbx.example", "sips:{}@pbx;transport=tls")


@st.composite
def international_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """(as written, its E.164): with the country code, any punctuation, maybe in a URI."""
    _region, e164 = draw(st.sampled_from(EXAMPLES))
    text = phonenumbers.format_number(phonenumbers.parse(e164), PhoneNumberFormat.INTERNATIONAL)
    text = text.replace(" ", draw(st.sampled_from(_SEPARATORS)))
    return draw(st.sampled_from(_WRAPS)).format(text), e164


@st.composite
def national_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """(as its country dials it, the region): no country code."""
    region, e164 = draw(st.sampled_from(EXAMPLES))
    return phonenumbers.format_number(phonenumbers.parse(e164), PhoneNumberFormat.NATIONAL), region
