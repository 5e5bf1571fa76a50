"""Arbitrary JSON and junk bytes into the parser: only typed results or typed errors."""

from __future__ import annotations

import json
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
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
from app.core.error_messages import ApiGroup

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


def test_the_strategies_reach_success_results() -> None:
    # Guards against a strategy that only ever produces errors (a test that cannot fail).
    data = {"status": "success", "message": {"Cu": {"Name": "A"}}}
    assert isinstance(parse_contact_info(data, "+1"), Contact)
    assert ApiGroup.AGENT_DASHBOARD.value == "agentDashboard"
