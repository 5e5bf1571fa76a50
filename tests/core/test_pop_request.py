"""The socket line protocol, parsed without Qt: good lines become messages, junk a clear reason."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.pop_request import (
    MAX_LINE_BYTES,
    SHOW_LINE,
    STATE_LINE,
    PopRequest,
    ProtocolError,
    ShowRequest,
    StateQuery,
    error_reply,
    ok_reply,
    parse_line,
    pop_line,
)

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
    (b'{"number": 918302390884}', "non-empty string"),
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
    assert reason or isinstance(message, (PopRequest, StateQuery, ShowRequest))
