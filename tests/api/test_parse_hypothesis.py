"""Arbitrary JSON and junk bytes into the parser: only typed results or typed errors."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from app.api.errors import DeepCallApiError
from app.api.models import Counters, RecentCall
from app.api.parse import (
    decode_json,
    parse_contact_info,
    parse_counters,
    parse_directory_info,
    parse_recent_calls,
)
from app.core.contact import Contact, UnknownCaller

scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
           | st.text(max_size=20))
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=5)
    | st.dictionaries(st.text(max_size=10), inner, max_size=5), max_leaves=30)
keys = st.sampled_from(["status", "message", "code", "data", "calls", "Cu", "mobile", "Name",
                        "callId", "duration", "startTime", "campaigns", "totalCalls"])
statuses = st.sampled_from(["success", "error", "Success", "fail", "", None, True, 1])
# Envelopes that look like DeepCall's, so the parser gets past the status check often.
envelopes = st.fixed_dictionaries(
    {"status": statuses},
    optional={"message": json_values | st.dictionaries(keys, json_values, max_size=4)
              | st.dictionaries(st.text(max_size=8),
                                st.dictionaries(keys | st.text(max_size=8), json_values,
                                                max_size=4), max_size=3),
              "code": st.integers(900, 1600) | st.text(max_size=5) | st.none(),
              "data": json_values})

PARSERS: list[Callable[[object], object]] = [
    lambda data: parse_contact_info(data, "+918302390884"),
    parse_recent_calls,
    parse_counters,
    parse_directory_info,
]


def _check_all(data: object) -> None:
    for parse in PARSERS:
        try:
            result = parse(data)
        except DeepCallApiError as error:
            failure: DeepCallApiError | None = error
        else:
            failure = None
        if failure is not None:
            assert failure.user_message
            continue
        assert isinstance(result, Contact | UnknownCaller | Counters | dict | list)
        if isinstance(result, list):
            assert all(isinstance(call, RecentCall) for call in result)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(envelopes)
def test_envelope_like_json_gives_typed_results_or_errors(data: dict[str, object]) -> None:
    _check_all(decode_json(json.dumps(data).encode(), "application/json"))


@settings(max_examples=300)
@given(json_values)
def test_any_json_gives_typed_results_or_errors(data: object) -> None:
    _check_all(data)


@settings(max_examples=300)
@given(st.binary(max_size=300), st.sampled_from(["application/json", "text/html", ""]))
def test_junk_bytes_give_typed_results_or_errors(body: bytes, content_type: str) -> None:
    try:
        data = decode_json(body, content_type)
    except DeepCallApiError:
        return
    _check_all(data)


def _parses_to(parse: Callable[[object], object], kind: type) -> Callable[[object], bool]:
    def check(data: object) -> bool:
        try:
            return isinstance(parse(data), kind)
        except DeepCallApiError:
            return False
    return check


@pytest.mark.parametrize(("parse", "kind"), [
    (PARSERS[0], Contact), (PARSERS[0], UnknownCaller), (parse_counters, Counters)])
def test_the_envelope_strategy_reaches_every_kind_of_result(
        parse: Callable[[object], object], kind: type) -> None:
    # The property tests above prove little if their envelopes only ever produced errors:
    # each parser must get past the status check with a real result from the same strategy.
    found = find(envelopes, _parses_to(parse, kind),
                 settings=settings(max_examples=5000, database=None))
    assert isinstance(parse(found), kind)


def test_the_envelope_strategy_reaches_recent_calls() -> None:
    found = find(envelopes, lambda e: bool(_calls_in(e)),
                 settings=settings(max_examples=5000, database=None))
    assert all(isinstance(call, RecentCall) for call in _calls_in(found))


def _calls_in(envelope: object) -> list[object]:
    try:
        return list(parse_recent_calls(envelope))
    except DeepCallApiError:
        return []
