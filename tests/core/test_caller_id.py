"""Withheld caller ids: every spelling a softphone uses is withheld, no real number ever is."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.caller_id import (
    WITHHELD_WORDS,
    is_withheld,
    is_withheld_key,
    withheld_key,
)
from app.core.phone import normalise
from tests.core.real_numbers import international_numbers, national_numbers


@pytest.mark.parametrize("raw", [
    "anonymous", "Anonymous", "PRIVATE", "withheld", "Restricted", "unavailable", "Unknown",
    " anonymous ", "tel:anonymous", "TEL:Private", "sip:anonymous@anonymous.invalid",
    "sips:Anonymous@pbx.example.com", "sip:unknown@10.0.0.1;transport=udp",
    "", "   ", "tel:", "sip:@host",
    "000000", "+000", "0", "(000) 000-0000", "+0 0 0", "tel:+000", "０００",
])
def test_withheld_spellings(raw: str) -> None:
    assert is_withheld(raw)


@pytest.mark.parametrize("raw", [
    "+918302390884", "08302390884", "tel:+91-83023-90884", "sip:918302390884@pbx",
    "anonymous1", "+", "()", "private number", "not anonymous", "1000", "+0001", "12345", "abc",
])
def test_not_withheld(raw: str) -> None:
    assert not is_withheld(raw)


def _case_mixed(word: str, flips: list[bool]) -> str:
    return "".join(ch.upper() if flip else ch for ch, flip in zip(word, flips, strict=False))


withheld_spellings = st.one_of(
    st.builds(
        lambda word, flips, wrap: wrap.format(_case_mixed(word, flips)),
        st.sampled_from(sorted(WITHHELD_WORDS)),
        st.lists(st.booleans(), min_size=12, max_size=12),
        st.sampled_from(["{}", " {} ", "tel:{}", "sip:{}@example.org", "sips:{}@h;x=y"]),
    ),
    st.builds(lambda plus, zeros: plus + "0" * zeros, st.sampled_from(["", "+"]),
              st.integers(min_value=1, max_value=20)),
)


@given(withheld_spellings)
def test_a_withheld_spelling_never_normalises_to_a_number(raw: str) -> None:
    assert is_withheld(raw)
    assert normalise(raw) is None


@given(international_numbers())
def test_a_real_number_is_never_withheld(written: tuple[str, str]) -> None:
    raw, e164 = written
    assert normalise(raw) == e164
    assert not is_withheld(raw)


@given(national_numbers())
def test_a_real_number_dialled_nationally_is_never_withheld(written: tuple[str, str]) -> None:
    raw, _region = written
    assert not is_withheld(raw)


@given(st.sampled_from(["+918302390884", "+14155552671", "+442079460958"]),
       st.sampled_from(["{}", "tel:{}", "sip:{}@pbx"]))
def test_valid_numbers_are_not_withheld(e164: str, wrap: str) -> None:
    assert normalise(wrap.format(e164)) == e164
    assert not is_withheld(wrap.format(e164))


def test_withheld_key_is_per_call() -> None:
    assert withheld_key("c-42") == "withheld:c-42"
    assert withheld_key(None) != withheld_key(None)  # no call id: never shared
    assert withheld_key("") != withheld_key("")
    assert is_withheld_key(withheld_key(None))
    assert is_withheld_key("withheld:c-42")
    assert not is_withheld_key("+918302390884")
    assert not is_withheld_key(None)
    assert not is_withheld_key("anonymous")
