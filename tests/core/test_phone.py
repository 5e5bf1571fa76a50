"""Numbers: every form the issue names becomes one E.164 number; junk never does."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.phone import (
    MAX_SCAN_TEXT,
    deepcall_caller_number,
    display_format,
    extract_first,
    is_supported_region,
    normalise,
    strip_uri,
)

E164 = "+918302390884"
REPO = Path(__file__).resolve().parents[2]

ISSUE_FORMS = [
    "918302390884",
    "08302390884",
    "8302390884",
    "+91 83023 90884",
    "00918302390884",
    "tel:+91-83023-90884",
]


@pytest.mark.parametrize("text", ISSUE_FORMS)
def test_every_form_from_the_issue_normalises_to_e164(text: str) -> None:
    assert normalise(text) == E164
    assert normalise(f"  {text}\n") == E164


@pytest.mark.parametrize("text", [
    "TEL:+918302390884", "tel:%2B918302390884", "tel:+91-83023-90884;phone-context=+91",
    "callto:+918302390884", "sip:+918302390884@pbx.example.com", "(083) 023-90884",
    "+91\u00a083023\u00a090884", "083.0239.0884",
])
def test_uri_and_formatting_variants(text: str) -> None:
    assert normalise(text) == E164


@pytest.mark.parametrize("text", [
    "", " ", "12345", "123", "0000000000", "+91 12345", "2024-01-15", "12:30",
    "call 08302390884", "08302390884 x", "830239088412345678", "+91+8302390884", "tel:",
    # phonenumbers itself reads these as the number: a "+" is only valid first
    "8302390884+", "+918302390884+",
    "hello", "1" * 70, "+999 1234567890", "127.0.0.1",
])
def test_junk_and_too_short_input_is_rejected(text: str) -> None:
    assert normalise(text) is None


def test_default_region_is_configurable() -> None:
    assert normalise("020 7219 3000", "GB") == "+442072193000"
    assert normalise("020 7219 3000", "gb") == "+442072193000"
    assert normalise("(212) 736-5000", "US") == "+12127365000"
    # A number with a country code stays itself whatever the default region.
    assert normalise("+918302390884", "US") == E164
    # An unknown region never raises: international numbers still work, national ones do not.
    assert normalise("+918302390884", "ZZ") == E164
    assert normalise("08302390884", "ZZ") is None
    assert normalise("08302390884", "") is None


def test_extract_first_finds_a_number_in_short_text() -> None:
    assert extract_first("Customer called from 08302390884, call back") == E164
    assert extract_first("first +91 83023 90884 then 9876543210") == E164
    assert extract_first("ring tel:+91-83023-90884 now") == E164
    assert extract_first("Invoice 12345 dated 2024-01-15") is None
    assert extract_first("") is None


def test_extract_first_ignores_long_text() -> None:
    text = "number 08302390884 " + "x" * MAX_SCAN_TEXT
    assert extract_first(text) is None
    assert extract_first(text, max_len=len(text)) == E164


def test_display_and_deepcall_forms() -> None:
    assert display_format(E164) == "+91 83023 90884"
    assert display_format("garbage") == "garbage"
    assert deepcall_caller_number(E164) == "918302390884"
    assert deepcall_caller_number(normalise("08302390884") or "") == "918302390884"


def test_strip_uri_leaves_plain_text_alone() -> None:
    assert strip_uri(" 08302390884 ") == "08302390884"
    assert strip_uri("sip:+918302390884@host;transport=tcp") == "+918302390884"


def test_supported_regions() -> None:
    assert is_supported_region("IN")
    assert is_supported_region("gb")
    assert not is_supported_region("ZZ")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.sampled_from(["IN", "GB", "US", "", "zz"]))
def test_never_raises_on_arbitrary_text(text: str, region: str) -> None:
    for result in (normalise(text, region), extract_first(text, region)):
        assert result is None or (result.startswith("+") and result[1:].isdigit())


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[0-9 +()\-./]{0,40}", fullmatch=True))
def test_results_are_always_valid_e164(text: str) -> None:
    result = normalise(text)
    if result is not None:
        assert normalise(result) == result  # idempotent
        assert 8 <= len(result) <= 16


def test_phonenumberslite_only_no_geocoder_data() -> None:
    # The lite package: same API, without the geocoder/carrier/timezone data (megabytes
    # the app never needs). Nothing may pull those modules in.
    from importlib import metadata

    assert metadata.distribution("phonenumberslite")
    with pytest.raises(metadata.PackageNotFoundError):
        metadata.distribution("phonenumbers")
    code = ("import sys, app.core.phone as p\n"
            "p.normalise('08302390884'); p.extract_first('call 08302390884 now')\n"
            "p.display_format('+918302390884')\n"
            "print(sorted(m for m in sys.modules if m.startswith('phonenumbers.') and "
            "m.split('.')[1] in ('geocoder', 'carrier', 'timezone', 'geodata', "
            "'carrierdata', 'tzdata')))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def test_the_callernumber_form_is_made_in_one_place() -> None:
    # Every callerNumber/cn/contact the DeepCall client sends comes from
    # deepcall_caller_number(), never from ad-hoc string surgery.
    checked = 0
    for path in (REPO / "app" / "api").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Dict):
                continue
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "callerNumber":
                    checked += 1
                    where = f"{path.name}:{key.lineno} builds callerNumber itself"
                    assert isinstance(value, ast.Call), where
                    assert isinstance(value.func, ast.Name), where
                    assert value.func.id == "deepcall_caller_number", where
    assert checked >= 1


_FOREIGN_DIGITS = {
    "arabic-indic": "\u0660",  # ٠
    "extended arabic-indic": "\u06f0",  # ۰ (Persian, Urdu)
    "fullwidth": "\uff10",  # ０ (East Asian input methods)
}


def _in_script(text: str, zero: str) -> str:
    return "".join(chr(ord(zero) + int(ch)) if ch.isascii() and ch.isdigit() else ch
                   for ch in text)


@pytest.mark.parametrize("zero", _FOREIGN_DIGITS.values(), ids=_FOREIGN_DIGITS.keys())
@pytest.mark.parametrize("text", ISSUE_FORMS)
def test_other_scripts_digits_and_a_bom_are_the_same_number(text: str, zero: str) -> None:
    foreign = _in_script(text, zero)
    assert normalise(foreign) == E164
    assert normalise("\ufeff" + foreign) == E164
    assert extract_first(f"call {foreign} now") == E164
    assert normalise("\ufeff" + text) == E164


def test_fullwidth_plus_and_punctuation() -> None:
    assert normalise("\uff0b\uff19\uff11\u3000\uff18\uff13\uff10\uff12\uff13\uff0d"
                     "\uff19\uff10\uff18\uff18\uff14") == E164  # ＋９１　８３０２３－９０８８４
    assert normalise("tel:\ufeff\uff0b918302390884") == E164


@settings(max_examples=200, deadline=None)
@given(zero=st.sampled_from(list(_FOREIGN_DIGITS.values())),
       mixed=st.lists(st.booleans(), min_size=13, max_size=13), bom=st.booleans())
def test_any_mix_of_digit_scripts_reads_as_the_ascii_number(zero: str, mixed: list[bool],
                                                            bom: bool) -> None:
    text = "+91 83023 90884"
    foreign = "".join(_in_script(ch, zero) if pick else ch for ch, pick in zip(
        text.replace(" ", ""), mixed, strict=False))
    assert normalise(("\ufeff" if bom else "") + foreign) == E164



# Phones and chat apps wrap a copied number in invisible direction marks (Android: U+202A..
# U+202C; iOS/WhatsApp: U+200E, U+2068..U+2069) or break it with a zero-width space.
_INVISIBLE_WRAPS = {
    "LRE..PDF": "\u202a{}\u202c", "RLE..PDF": "\u202b{}\u202c", "LRO..PDF": "\u202d{}\u202c",
    "LRM": "\u200e{}", "RLM before and after": "\u200f{}\u200f", "ALM": "\u061c{}",
    "FSI..PDI": "\u2068{}\u2069", "LRI..PDI": "\u2066{}\u2069", "RLI..PDI": "\u2067{}\u2069",
    "RLO..PDF": "\u202e{}\u202c", "word joiner": "\u2060{}", "BOM": "\ufeff{}",
}


@pytest.mark.parametrize("wrap", _INVISIBLE_WRAPS.values(), ids=_INVISIBLE_WRAPS.keys())
def test_a_number_wrapped_in_invisible_marks_is_read(wrap: str) -> None:
    assert normalise(wrap.format("+91 83023 90884")) == E164
    assert extract_first("call " + wrap.format("+91 83023 90884") + " now") == E164


def test_a_zero_width_space_inside_a_number_is_ignored() -> None:
    assert normalise("+91\u200b83023\u200b90884") == E164
    assert normalise("\u202a+91\u00a083023\u200b90884\u202c") == E164


_UNFOLDED_DIGITS = {
    "devanagari": "\u0966", "bengali": "\u09e6", "thai": "\u0e50",
    "mathematical bold": "\U0001d7ce", "mathematical monospace": "\U0001d7f6",
}


@pytest.mark.parametrize("zero", _UNFOLDED_DIGITS.values(), ids=_UNFOLDED_DIGITS.keys())
def test_digits_of_scripts_not_folded_are_no_number_in_any_mode(zero: str) -> None:
    # One rule for whole-text and first-number mode (and the CLI's routing): after folding
    # the scripts fold_digits knows, only ASCII digits are digits. Mathematical digits are
    # look-alikes (confusables); a Devanagari number is refused everywhere alike.
    foreign = _in_script("08302390884", zero)
    assert normalise(foreign) is None
    assert extract_first(foreign) is None
    assert extract_first(f"call {foreign} now") is None
    assert extract_first(f"call {_in_script('+91 83023', zero)} 90884") is None
