"""A mapping's pattern is checked in time proportional to the value (Ctrl+S validates on the UI
thread), agrees with Python's ``re`` wherever it is accepted, and a pattern that needs
backtracking is refused when the mapping is loaded, in plain words."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.edits import MAX_VALUE_LENGTH, validate_value
from app.core.field_mapping import FieldMappingError, mapping_from_json
from app.core.safe_pattern import MAX_STATES, SafePattern

# Each with a near miss of the longest value allowed: seconds to hours of backtracking in
# ``re`` (29 characters of the first took 8.6 s, quadrupling with every two more).
CATASTROPHIC = [("([A-Z0-9]+)+-[0-9]{4}", "A" * (MAX_VALUE_LENGTH - 1) + "!"),
                ("(a|aa)+b", "a" * MAX_VALUE_LENGTH),
                ("(\\w+\\s?)+$", "a" * (MAX_VALUE_LENGTH - 1) + "!"),
                ("(.*,){12}x", "a," * (MAX_VALUE_LENGTH // 2)),
                ("a*a*a*a*a*a*a*a*b", "a" * MAX_VALUE_LENGTH),
                # the largest automaton allowed, busy on every character
                (f"\\w{{1,{MAX_STATES // 4 - 2}}}\\d{{1,{MAX_STATES // 4 - 2}}}!",
                 "1" * MAX_VALUE_LENGTH)]


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("pattern", "near_miss"), CATASTROPHIC)
def test_a_catastrophic_pattern_answers_at_once_on_the_longest_near_miss(
        pattern: str, near_miss: str) -> None:
    mapping = mapping_from_json({"fields": [{
        "label": "Customer ID", "directory_key": "custom_field_2", "pattern": pattern,
        "pattern_hint": "AB-1234"}]})  # accepted: it is safe to check here
    spec = mapping.fields[0]
    started = time.perf_counter()
    message = validate_value("custom_field_2", near_miss, "Customer ID",
                             pattern=spec.pattern, pattern_hint=spec.pattern_hint)
    elapsed = time.perf_counter() - started
    assert message == "Customer ID must look like AB-1234."
    assert elapsed < 0.2, f"{pattern}: {elapsed:.2f} s"


@pytest.mark.parametrize(("pattern", "why"), [
    ("(a+)\\1", "back-reference"),
    ("(?=a)a", "look-ahead or look-behind"),
    ("(?<!x)a", "look-ahead or look-behind"),
    ("(a)?(?(1)b|c)", "conditional"),
    ("(?>a+)b", "atomic"),
    ("a++b", "possessive"),
    ("[0-9]{5000}", "too long"),
])
def test_what_cannot_be_checked_quickly_is_refused_in_plain_words(pattern: str, why: str) -> None:
    with pytest.raises(FieldMappingError, match=why) as caught:
        mapping_from_json({"fields": [{"label": "Customer ID",
                                       "directory_key": "custom_field_2", "pattern": pattern}]})
    assert "'pattern'" in str(caught.value)


SAFE = ["[A-Z]{2}-[0-9]{4}", "\\d{3,5}", "(ab|a)*b?", "[^-]+-\\w*", "(?i)ab[c-e]+",
        "\\bab\\b.*", "x|y|", "(a|b){2,3}c*?", "^a+$", "\\s*\\S+\\s*", "[\\d.]+", "\\Aa\\Z",
        "(?m)a$\\n^b", "(?s)a.b", "a.b", "(?a)\\w+", "[^\\W\\d]+", "a{,2}", "\\Ba", ""]


@settings(max_examples=300, deadline=None)
@given(pattern=st.sampled_from(SAFE), value=st.text(alphabet="abcxyzAB-_ .,9\n\t\u00e9\u0663",
                                                     max_size=12))
def test_it_agrees_with_re_wherever_it_is_accepted(pattern: str, value: str) -> None:
    expected = re.fullmatch(pattern, value) is not None
    assert SafePattern.compile(pattern).fullmatch(value) is expected


@pytest.mark.parametrize(("pattern", "value"), [
    ("(?m)a$\\n^b", "a\nb"), ("a$\\n", "a\n"), ("a\\Z\\n", "a\n"), ("^\\n^a", "\na"),
    ("(?m)\\n^a", "\na"), ("\\bab\\b.*", "ab cd"), ("\\bab\\b.*", "abc"), ("\\Ba", "ba"),
    ("\\Ba", "a"), ("\\b", ""), ("\\B", ""), ("(?i)AB[c-e]", "abD"), ("(?i:a)b", "Ab"),
    ("(?i:a)b", "AB"), ("(?s)a.b", "a\nb"), ("a.b", "a\nb"), ("(?a)\\w+", "é"), ("\\w+", "é"),
    ("\\d", "\u0663"), ("(?a)\\d", "\u0663"), ("\\s", "\u2003"), ("(?a)\\s", "\u2003"),
    ("[^\\W\\d]+", "ab_"), ("[^\\W\\d]+", "a1"), ("x|y|", ""), ("a{2,3}", "aaaa"),
    ("a{2,3}", "aaa"), ("(a|b){2}c*?", "abcc"), ("[^-]+-\\w*", "a-b-"), ("\\D\\S\\W", "a b"),
])
def test_it_agrees_with_re_on_anchors_flags_and_classes(pattern: str, value: str) -> None:
    expected = re.fullmatch(pattern, value) is not None
    assert SafePattern.compile(pattern).fullmatch(value) is expected
