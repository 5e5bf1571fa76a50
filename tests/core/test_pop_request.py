"""The socket line protocol, parsed without Qt: good lines become messages, junk a clear reason."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.pop_request import (
    MAX_AGENT,
    MAX_LINE_BYTES,
    MAX_LINE_NAME,
    SHOW_LINE,
    STATE_LINE,
    CallEvent,
    PopRequest,
    ProtocolError,
    ShowRequest,
    StateQuery,
    error_reply,
    event_line,
    ok_reply,
    parse_line,
    pop_line,
)
from tests.core.real_numbers import international_numbers

E164 = "+918302390884"


@pytest.mark.parametrize("line", [b"+918302390884", b"08302390884", b"tel:+91-83023-90884",
                                  b"  8302390884\r"])
def test_bare_numbers_and_uris(line: bytes) -> None:
    assert parse_line(line) == PopRequest(number=E164)


def test_json_object_with_all_fields() -> None:
    line = json.dumps({"number": "08302390884", "callId": "c-42", "direction": "Inbound",
                       "source": "microsip", "future": "ignored"}).encode()
    assert parse_line(line) == PopRequest(E164, call_id="c-42", direction="inbound",
                                          source="microsip")


def test_numeric_call_id_is_accepted_as_text() -> None:
    assert parse_line(b'{"number":"+918302390884","callId":1234}').call_id == "1234"  # type: ignore[union-attr]


def test_commands() -> None:
    assert parse_line(b"state") == StateQuery()
    assert parse_line(b"STATE") == StateQuery()
    assert parse_line(STATE_LINE.encode()) == StateQuery()
    assert parse_line(b"show") == ShowRequest()
    assert parse_line(SHOW_LINE.encode()) == ShowRequest()


@pytest.mark.parametrize(("line", "reason"), [
    (b"\xff\xfe08302390884", "not UTF-8"),
    (b'{"number": "0830', "broken JSON"),
    (b"[1, 2]", "not a valid phone number"),
    (b'["+918302390884"]', "not a valid phone number"),
    (b'{"callId": "x"}', 'missing "number"'),
    (b'{"number": 918302390884}', '"number" must be a string'),
    (b'{"number": "12345"}', "not a valid phone number"),
    (b'{"number": "+918302390884", "direction": "sideways"}', "direction"),
    (b'{"number": "+918302390884", "callId": {"a": 1}}', "callId"),
    (b'{"number": "+918302390884", "callId": "' + b"x" * 200 + b'"}', "longer than"),
    (b'{"cmd": "reboot"}', "unknown command"),
    (b"12345", "not a valid phone number"),
    (b"\x00\x01\x02binary", "control characters"),
    (b"", "empty line"),
    (b"x" * (MAX_LINE_BYTES + 1), "longer than"),
    (b"[" * 3000, "not a valid phone number"),
    (b"{" * 3000, "broken JSON"),
])
def test_junk_gets_a_reason(line: bytes, reason: str) -> None:
    with pytest.raises(ProtocolError, match=reason):
        parse_line(line)


def test_replies_are_one_json_line() -> None:
    assert ok_reply(number=E164) == b'{"ok":true,"number":"+918302390884"}\n'
    reply = error_reply("not a valid phone number: 'ab\u00e7'")
    assert reply.endswith(b"\n")
    assert reply.count(b"\n") == 1
    assert json.loads(reply) == {"ok": False, "error": "not a valid phone number: 'ab\u00e7'"}


def test_pop_line_round_trips() -> None:
    request = PopRequest(E164, call_id="c-1", direction="outbound", source="cli")
    assert parse_line(pop_line(request).encode()) == request
    assert json.loads(pop_line(PopRequest(E164))) == {"number": E164}


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_arbitrary_bytes_never_raise_anything_but_protocol_error(line: bytes) -> None:
    reason = ""
    try:
        message: object = parse_line(line)
    except ProtocolError as err:
        message, reason = None, str(err)
    assert reason or isinstance(message, (PopRequest, CallEvent, StateQuery, ShowRequest))


# -- issue 11: call events, the line, withheld callers -------------------------------------

def _line(**fields: object) -> bytes:
    return json.dumps(fields).encode()


def test_ringing_is_a_pop_with_its_call_line_and_agent() -> None:
    line = _line(event="ringing", callId="c-7", number="08302390884", line="Sales IN",
                 fromAgent="Priya", source="microsip", direction="inbound")
    assert parse_line(line) == PopRequest(E164, call_id="c-7", direction="inbound",
                                          source="microsip", line="Sales IN", from_agent="Priya")


def test_the_line_rides_on_a_plain_pop_too() -> None:
    message = parse_line(_line(number=E164, line="  Support  "))
    assert message == PopRequest(E164, line="Support")


@pytest.mark.parametrize("kind", ["answered", "ended", "Answered", " ENDED "])
def test_answered_and_ended_need_only_the_call_id(kind: str) -> None:
    message = parse_line(_line(event=kind, callId="c-7"))
    assert message == CallEvent(kind.strip().lower(), "c-7")  # type: ignore[arg-type]


def test_answered_may_name_the_caller_and_the_line() -> None:
    message = parse_line(_line(event="answered", callId=99, number="tel:+91-83023-90884",
                               line="Sales IN"))
    assert message == CallEvent("answered", "99", number=E164, line="Sales IN")
    assert parse_line(_line(event="ended", callId="c", number=None)) == CallEvent("ended", "c")
    assert parse_line(_line(event="ended", callId="c", number="anonymous")) == CallEvent(
        "ended", "c", withheld=True)


def test_transferred_names_the_original_caller_and_the_agent() -> None:
    message = parse_line(_line(event="transferred", callId="c-7", number="08302390884",
                               fromAgent="Priya"))
    assert message == CallEvent("transferred", "c-7", number=E164, from_agent="Priya")
    withheld = parse_line(_line(event="transferred", callId="c-8", number="Private"))
    assert withheld == CallEvent("transferred", "c-8", withheld=True)
    nothing = parse_line(_line(event="transferred", callId="c-9", number=None))
    assert nothing == CallEvent("transferred", "c-9", withheld=True)


@pytest.mark.parametrize(("fields", "reason"), [
    ({"event": "answered"}, 'missing "callId"'),
    ({"event": "ringing", "number": E164}, 'missing "callId"'),
    ({"event": "ended", "callId": "  "}, 'missing "callId"'),
    ({"event": "ringing", "callId": "c"}, 'missing "number"'),
    ({"event": "transferred", "callId": "c", "fromAgent": "Priya"}, "original caller"),
    ({"event": "hangup", "callId": "c"}, '"event" must be'),
    ({"event": 3, "callId": "c"}, '"event" must be'),
    ({"event": ["ended"], "callId": "c"}, '"event" must be'),
    ({"event": "transferred", "callId": "c", "number": "12345"}, "not a valid phone number"),
    ({"event": "answered", "callId": "c", "number": 918302390884}, "must be a string"),
    ({"number": E164, "line": "x" * (MAX_LINE_NAME + 1)}, '"line" is longer than'),
    ({"number": E164, "line": "Sales\nIN"}, '"line" contains control characters'),
    ({"number": E164, "line": "Sales\u202eNI"}, '"line" contains control characters'),
    ({"number": E164, "line": ["Sales"]}, '"line" must be a string'),
    ({"number": E164, "fromAgent": "p" * (MAX_AGENT + 1)}, '"fromAgent" is longer than'),
    ({"event": "transferred", "callId": "c", "number": E164, "fromAgent": {"a": 1}},
     '"fromAgent" must be a string'),
    ({"event": "ended", "callId": "c\u0007"}, '"callId" contains control characters'),
])
def test_bad_events_get_a_reason(fields: dict[str, object], reason: str) -> None:
    with pytest.raises(ProtocolError, match=reason):
        parse_line(json.dumps(fields).encode())


def test_hostile_but_printable_values_are_kept_as_text() -> None:
    hostile = "a\"b' & ?x=1#y %20 ; $(rm -rf ~) `id` ☎ مبيعات"
    message = parse_line(_line(event="ended", callId=hostile, line=hostile[:MAX_LINE_NAME]))
    assert message == CallEvent("ended", hostile, line=hostile[:MAX_LINE_NAME])
    assert parse_line(event_line(message).encode()) == message  # type: ignore[arg-type]


@pytest.mark.parametrize("line", [
    b"anonymous", b"Private", b"WITHHELD", b"restricted", b"unavailable", b"Unknown",
    b"tel:anonymous", b"sip:anonymous@anonymous.invalid", b"sips:Private@pbx.example.com",
    b"000000", b"+000", b'{"number": ""}', b'{"number": "   "}', b'{"number": null}',
    b'{"number": "sip:unknown@10.0.0.1"}', b'{"number": "0000", "callId": "c-9"}',
])
def test_withheld_ids_pop_without_a_number(line: bytes) -> None:
    message = parse_line(line)
    assert isinstance(message, PopRequest)
    assert message.number is None
    assert message.withheld


def test_a_withheld_ringing_keeps_its_call_id_and_line() -> None:
    message = parse_line(_line(event="ringing", callId="c-9", number="anonymous", line="Sales"))
    assert message == PopRequest(None, call_id="c-9", line="Sales")


def test_a_bare_empty_line_is_still_an_empty_line() -> None:
    for line in (b"", b"   ", b"\xef\xbb\xbf"):
        with pytest.raises(ProtocolError, match="empty line"):
            parse_line(line)


def test_pop_and_event_lines_round_trip() -> None:
    full = PopRequest(E164, call_id="c-1", direction="inbound", source="cli", line="Sales IN",
                      from_agent="Priya")
    assert parse_line(pop_line(full).encode()) == full
    withheld = PopRequest(None, call_id="c-2", line="Sales IN")
    assert parse_line(pop_line(withheld).encode()) == withheld
    for event in (CallEvent("answered", "c-1"), CallEvent("ended", "c-1", number=E164),
                  CallEvent("transferred", "c-1", number=E164, from_agent="Priya",
                            line="Sales IN", source="cli", direction="inbound"),
                  CallEvent("transferred", "c-3", withheld=True)):
        assert parse_line(event_line(event).encode()) == event


@settings(max_examples=200, deadline=None)
@given(international_numbers())
def test_a_real_number_always_pops_as_that_number(written: tuple[str, str]) -> None:
    raw, e164 = written
    for line in (raw.encode(), json.dumps({"number": raw}).encode()):
        assert parse_line(line) == PopRequest(e164)


@pytest.mark.parametrize("kind", ["answered", "ended"])
@pytest.mark.parametrize("caller", ["Private Number", "Unknown Caller", "Withheld Number",
                                    "12345"])
def test_an_unreadable_number_on_answered_or_ended_is_ignored_not_refused(
        kind: str, caller: str, caplog: pytest.LogCaptureFixture) -> None:
    """Review 11 (calls), 6: optional there, and the call id names the call: the event
    still moves the call along (a refusal would leave it "In call" for ever)."""
    line = json.dumps({"event": kind, "callId": "c1", "number": caller}).encode()
    assert parse_line(line) == CallEvent(kind, "c1")  # type: ignore[arg-type]
    assert "no phone number; ignored" in caplog.text
    assert caller not in caplog.text


@pytest.mark.parametrize("kind", ["ringing", "transferred"])
def test_an_unreadable_number_on_ringing_or_transferred_is_still_refused(kind: str) -> None:
    line = json.dumps({"event": kind, "callId": "c1", "number": "Private Number"}).encode()
    with pytest.raises(ProtocolError, match="not a valid phone number"):
        parse_line(line)
