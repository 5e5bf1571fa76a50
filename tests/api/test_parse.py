"""The response parser on its own: every shape edge case, no HTTP."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from app.api.errors import BadResponse, DeepCallError
from app.api.parse import (
    check_envelope,
    decode_json,
    parse_contact_info,
    parse_counters,
    parse_directory_info,
    parse_recent_calls,
)
from app.core.contact import Contact, UnknownCaller
from app.core.error_messages import ApiGroup

NUMBER = "+918302390884"
SEED_BODY = (b'{"message": {"Cu": {"mobile": 918302390884, "Name": "", "Address": "", "test": "",'
             b' "city": "", "Email": "", "efwf": "", "tarun": ""}}, "status": "success"}')


def contact(body: bytes | str) -> object:
    raw = body.encode() if isinstance(body, str) else body
    return parse_contact_info(decode_json(raw, "application/json"), NUMBER)


def test_seed_example_is_an_unknown_caller_that_keeps_every_label() -> None:
    result = contact(SEED_BODY)
    assert isinstance(result, UnknownCaller)
    (group,) = result.groups
    assert group.name == "Cu"
    assert [label for label, _ in group.fields] == ["mobile", "Name", "Address", "test", "city",
                                                    "Email", "efwf", "tarun"]
    assert group.get("mobile") == 918302390884


def test_values_survive_exactly_in_order_across_groups() -> None:
    body = json.dumps({"status": "success", "message": {
        "Cu": {"mobile": 918302390884, "Name": "Asha", "Email": "", "score": 12.5, "vip": True,
               "note": None, "tags": ["a", 1], "meta": {"k": "v"}, "big": 12345678901234567890},
        "Lead": {"Lead Source": "Website"}}})
    result = contact(body)
    assert isinstance(result, Contact)
    assert [g.name for g in result.groups] == ["Cu", "Lead"]
    cu = result.groups[0]
    assert cu.fields == (("mobile", 918302390884), ("Name", "Asha"), ("Email", ""),
                         ("score", 12.5), ("vip", True), ("note", None), ("tags", ["a", 1]),
                         ("meta", {"k": "v"}), ("big", 12345678901234567890))
    assert str(cu.get("mobile")) == "918302390884"


def test_group_names_are_not_hard_coded() -> None:
    result = contact('{"status": "success", "message": {"Kunde": {"Name": "Jan"}}}')
    assert isinstance(result, Contact)
    assert result.groups[0].name == "Kunde"


@pytest.mark.parametrize("message", ['{}', '[]', '""', 'null'])
def test_empty_message_is_an_unknown_caller(message: str) -> None:
    result = contact(f'{{"status": "success", "message": {message}}}')
    assert result == UnknownCaller(NUMBER)


def test_error_1012_is_an_unknown_caller_not_an_error() -> None:
    assert contact('{"status": "error", "code": 1012, "message": "No data found"}') == \
        UnknownCaller(NUMBER)
    assert contact('{"status": "error", "code": "1012", "message": "No data found"}') == \
        UnknownCaller(NUMBER)


def test_only_number_and_blank_fields_is_unknown_and_keeps_empty_groups() -> None:
    body = ('{"status": "success", "message": {"Cu": {"mobile": "+91 83023 90884", "Name": "  ",'
            ' "x": null}, "Lead": []}}')
    result = contact(body)
    assert isinstance(result, UnknownCaller)
    assert [g.name for g in result.groups] == ["Cu", "Lead"]
    assert result.groups[1].fields == ()


def test_one_real_value_makes_a_contact_even_without_a_name() -> None:
    result = contact('{"status": "success", "message": {"Cu": {"mobile": 918302390884, '
                     '"Name": "", "city": "Pune"}}}')
    assert isinstance(result, Contact)


@pytest.mark.parametrize(("body", "code"), [
    ('{"status": "error", "message": "Invalid token", "code": 1014}', 1014),
    ('{"status": "Error", "message": "x", "code": 1039}', 1039),
    ('{"message": "x", "code": 1000}', 1000),
    ('{"status": "error", "message": "no code"}', None),
])
def test_error_envelopes_raise_deepcall_error(body: str, code: int | None) -> None:
    with pytest.raises(DeepCallError) as caught:
        contact(body)
    assert caught.value.code == code
    assert caught.value.group is ApiGroup.AGENT_DASHBOARD
    assert caught.value.user_message


@pytest.mark.parametrize("body", [
    b"", b"   ", b"<html><body>502 Bad Gateway</body></html>", b'{"status": "succ',
    b"\xff\xfe\x00junk", b"[1, 2]", b'"success"', b'{"status": "weird", "message": {}}',
    b'{"status": "success", "message": "hello"}', b'{"status": "success", "message": [1]}',
    b'{"status": "success", "message": {"Cu": "flat"}}', b"[" * 100_000,
])
def test_unreadable_bodies_are_bad_responses(body: bytes) -> None:
    with pytest.raises(BadResponse):
        contact(body)


def test_json_labelled_html_is_still_json() -> None:
    assert decode_json(b'{"status": "success"}', "text/html; charset=utf-8") == {
        "status": "success"}


def test_server_message_is_redacted_and_truncated() -> None:
    data = {"status": "error", "code": 1014, "message": "bad token sbx-secret-123 " + "x" * 999}
    with pytest.raises(DeepCallError) as caught:
        check_envelope(data, ApiGroup.AGENT_DASHBOARD, "contactInfo", ("sbx-secret-123",))
    assert "sbx-secret-123" not in caught.value.server_message
    assert len(caught.value.server_message) <= 300


# --- recentCalls -----------------------------------------------------------------------------

CALL = {"callId": "c1", "cType": "inbound", "callStatus": "answered", "duration": 65,
        "startTime": "2026-11-27 13:33:00", "agentName": "Priya"}


@pytest.mark.parametrize("message", [
    [CALL], {"calls": [CALL]}, {"data": [CALL]}, {"records": [CALL]}, {"0": CALL}, CALL,
])
def test_recent_calls_in_every_plausible_container(message: object) -> None:
    (call,) = parse_recent_calls({"status": "success", "message": message})
    assert (call.call_id, call.call_type, call.status, call.duration_seconds, call.agent_name) \
        == ("c1", "inbound", "answered", 65, "Priya")
    assert call.start_time == datetime(2026, 11, 27, 13, 33)


def test_recent_calls_with_strings_other_names_and_missing_keys() -> None:
    items = [{"call_id": 7, "type": "outbound", "status": "missed", "duration": "00:01:05",
              "start_time": "not a date", "agent": "A", "recording": "r.mp3"},
             {"duration": "42"}, {}]
    calls = parse_recent_calls({"status": "success", "data": items})
    assert calls[0].call_id == "7"
    assert calls[0].duration_seconds == 65
    assert calls[0].start_time is None
    assert calls[0].start_time_text == "not a date"
    assert calls[0].extra == {"recording": "r.mp3"}
    assert calls[1].duration_seconds == 42
    assert calls[2].call_id == ""
    assert calls[2].duration_seconds is None


@pytest.mark.parametrize("message", [[], {}, "", None, {"calls": []}])
def test_no_recent_calls(message: object) -> None:
    assert parse_recent_calls({"status": "success", "message": message}) == []


def test_recent_calls_1012_means_none() -> None:
    assert parse_recent_calls({"status": "error", "code": 1012, "message": "No data"}) == []


@pytest.mark.parametrize("message", ["calls!", [1, 2], {"calls": "x", "n": 1}, 5])
def test_recent_calls_unexpected_shapes(message: object) -> None:
    with pytest.raises(BadResponse):
        parse_recent_calls({"status": "success", "message": message})


# --- counters --------------------------------------------------------------------------------

def test_counters_documented_shape() -> None:
    counters = parse_counters({"status": "success", "message": {
        "loginType": "WebRTC", "agentStatus": "Available", "totalCalls": 31, "answeredCalls": 20,
        "missedCalls": 5, "talkTimeSeconds": 9064,
        "campaigns": [{"name": "Inbound", "calls": 15}], "breaks": 2}})
    assert (counters.login_type, counters.total_calls, counters.talk_time_seconds) == \
        ("WebRTC", 31, 9064)
    assert counters.campaigns[0].name == "Inbound"
    assert counters.campaigns[0].calls == 15
    assert counters.extra == {"breaks": 2}


def test_counters_strings_wrappers_and_campaign_maps() -> None:
    counters = parse_counters({"status": "success", "message": [{"data": {
        "total_calls": "12", "answered": "x", "talkTime": "01:00", "campaigns": {"Sales": "4"}}}]})
    assert counters.total_calls == 12
    assert counters.answered_calls is None
    assert counters.talk_time_seconds == 60
    assert counters.campaigns[0].calls == 4


@pytest.mark.parametrize("message", [[1], "busy", {"campaigns": 5}])
def test_counters_unexpected_shapes(message: object) -> None:
    with pytest.raises(BadResponse):
        parse_counters({"status": "success", "message": message})


def test_counters_empty_is_all_unknown() -> None:
    assert parse_counters({"status": "success", "message": {}}).total_calls is None


# --- Directory -------------------------------------------------------------------------------

def test_directory_info_shapes() -> None:
    assert parse_directory_info({"status": "success", "message": {"name": "A"}}) == {"name": "A"}
    assert parse_directory_info({"status": "success", "message": [{"name": "A"}]}) == \
        {"name": "A"}
    with pytest.raises(BadResponse):
        parse_directory_info({"status": "success", "message": "A"})
    with pytest.raises(DeepCallError) as caught:
        parse_directory_info({"status": "error", "code": 1501, "message": "sticky"})
    assert caught.value.group is ApiGroup.DIRECTORY
    assert "sticky" in caught.value.user_message.lower()


@pytest.mark.parametrize(("fields", "known"), [
    # Another label holding the caller's own number (any spelling) is not "data".
    ('"Alternate No": "08302390884"', False),
    ('"Alternate No": "+91 83023 90884"', False),
    ('"WhatsApp": 918302390884', False),
    ('"Dialled as": "011 91 83023 90884"', False),  # with an international call prefix
    # A different number, or too few digits to be the caller's, is real data.
    ('"Alternate No": "09988776655"', True),
    ('"Pin": "90884"', True),
])
def test_only_the_callers_own_number_does_not_count_as_contact_data(fields: str,
                                                                     known: bool) -> None:
    result = contact('{"status": "success", "message": {"Cu": {"mobile": 918302390884, '
                     '"Name": "", ' + fields + "}}}")
    assert isinstance(result, Contact) is known
