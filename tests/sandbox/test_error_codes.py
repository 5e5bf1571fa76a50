"""Every documented Agent Dashboard code, each under a condition that really causes it.

Conditions and codes are the table in app/sandbox/README.md.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.sandbox.accounts import (
    ALT_TOKEN,
    DEMO_SSID,
    DEMO_TOKEN,
    DEMO_USER_ID,
    EXPIRED_TOKEN,
    SUSPENDED_SSID,
    SUSPENDED_TOKEN,
    SUSPENDED_USER_ID,
)
from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_PLAIN_NUMBER
from app.sandbox.server import SandboxServer
from tests.sandbox.conftest import Post
from tests.sandbox.helpers import SSID, TOKEN, error_code

KNOWN = {"callerNumber": DEMO_KNOWN_NUMBER}
ACTIONS = ["contactInfo", "recentCalls", "counters", "notesAdd"]

AUTH_CASES: list[tuple[str, dict[str, Any], int]] = [
    ("token without userId", {"token": DEMO_TOKEN}, 1002),
    ("token without userId, ssid too", {"token": DEMO_TOKEN, "ssid": DEMO_SSID}, 1002),
    ("userId that does not exist", {"userId": "999999", "token": DEMO_TOKEN}, 1003),
    ("another account's token", {"userId": DEMO_USER_ID, "token": ALT_TOKEN}, 1014),
    ("expired token", {"userId": DEMO_USER_ID, "token": EXPIRED_TOKEN}, 1014),
    ("unknown ssid", {"ssid": "no-such-session"}, 1014),
    ("no token and no ssid", {}, 1020),
    ("userId alone", {"userId": DEMO_USER_ID}, 1020),
    ("empty token and ssid", {"userId": DEMO_USER_ID, "token": "", "ssid": ""}, 1020),
    ("suspended, token", {"userId": SUSPENDED_USER_ID, "token": SUSPENDED_TOKEN}, 1039),
    ("suspended, ssid", {"ssid": SUSPENDED_SSID}, 1039),
    ("ssid as a number", {"ssid": 12345}, 1001),
    ("token as a list", {"userId": DEMO_USER_ID, "token": [DEMO_TOKEN]}, 1001),
    ("userId as an object", {"userId": {"id": 1}, "token": DEMO_TOKEN}, 1001),
]


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize(("auth", "code"), [(a, c) for _, a, c in AUTH_CASES],
                         ids=[name for name, _, _ in AUTH_CASES])
def test_auth_failures_answer_their_code_on_every_action(
        post: Post, action: str, auth: dict[str, Any], code: int) -> None:
    answer = post(f"agentDashboard/{action}", {**auth, **KNOWN, "callId": "x", "content": "y"})
    assert error_code(answer) == code


def test_expired_token_says_expired(post: Post) -> None:
    answer = post("agentDashboard/counters", {"userId": DEMO_USER_ID, "token": EXPIRED_TOKEN})
    assert "expired" in answer["message"]


def test_all_three_auth_fields_are_accepted_on_the_dashboard(post: Post) -> None:
    # The Agent Dashboard tables list ssid, userId and token as all required.
    answer = post("agentDashboard/contactInfo", {**SSID, **TOKEN, **KNOWN})
    assert error_code(answer) is None


def test_numeric_user_id_is_accepted(post: Post) -> None:
    answer = post("agentDashboard/counters", {"userId": int(DEMO_USER_ID), "token": DEMO_TOKEN})
    assert error_code(answer) is None


@pytest.mark.parametrize(("body", "code"), [
    ({}, 1000),
    ({"callerNumber": ""}, 1000),
    ({"callerNumber": "   "}, 1000),
    ({"callerNumber": "not a number"}, 1000),
    ({"callerNumber": "12345"}, 1000),
    ({"callerNumber": "+0012345678"}, 1000),
    ({"callerNumber": ["919876543210"]}, 1001),
    ({"callerNumber": {"n": "919876543210"}}, 1001),
    ({"callerNumber": True}, 1001),
    ({"callerNumber": 9.19876543210e11}, 1001),
    ({"callerNumber": None}, 1000),
], ids=["missing", "empty", "blank", "letters", "too short", "leading zero", "list", "object",
        "bool", "float", "null"])
@pytest.mark.parametrize("action", ["contactInfo", "recentCalls"])
def test_caller_number_problems(post: Post, action: str, body: dict[str, Any],
                                code: int) -> None:
    assert error_code(post(f"agentDashboard/{action}", {**SSID, **body})) == code


@pytest.mark.parametrize(("field", "code"), [
    ("No Such Label", 1000), (["Name"], 1001), (7, 1001)])
def test_contact_info_field_problems(post: Post, field: object, code: int) -> None:
    answer = post("agentDashboard/contactInfo", {**SSID, **KNOWN, "field": field})
    assert error_code(answer) == code


@pytest.fixture
def plain_call_id(post: Post) -> str:
    calls = post("agentDashboard/recentCalls", {**SSID, "callerNumber": DEMO_PLAIN_NUMBER})
    return str(calls["message"][0]["callId"])


@pytest.mark.parametrize(("change", "code"), [
    ({"content": None}, 1000),
    ({"content": ""}, 1000),
    ({"callId": None}, 1000),
    ({"callerNumber": None}, 1000),
    ({"content": ["a note"]}, 1001),
    ({"content": 5}, 1001),
    ({"callId": {"id": 1}}, 1001),
    ({"callId": "dc-no-such-call"}, 1501),
    ({"callerNumber": DEMO_KNOWN_NUMBER}, 1501),  # a real call, but with another number
], ids=["no content", "empty content", "no callId", "no callerNumber", "content list",
        "content number", "callId object", "unknown callId", "callId of another number"])
def test_notes_add_problems(post: Post, plain_call_id: str, sandbox: SandboxServer,
                            change: dict[str, Any], code: int) -> None:
    body = {**SSID, "callerNumber": DEMO_PLAIN_NUMBER, "callId": plain_call_id,
            "content": "note", **change}
    body = {k: v for k, v in body.items() if v is not None}
    assert error_code(post("agentDashboard/notesAdd", body)) == code
    assert sandbox.notes(DEMO_PLAIN_NUMBER) == []


def test_unknown_action_is_1004_file_not_found(post: Post) -> None:
    answer = post("agentDashboard/recording", {**SSID, "callId": "dc1"})
    assert error_code(answer) == 1004
    assert answer["message"].startswith("File not found")


def test_internal_fault_is_1032(post: Post, sandbox: SandboxServer) -> None:
    sandbox.set_faults("internal*1")
    assert error_code(post("agentDashboard/contactInfo", {**SSID, **KNOWN})) == 1032
    assert error_code(post("agentDashboard/contactInfo", {**SSID, **KNOWN})) is None


@pytest.mark.parametrize(("raw", "code"), [
    (b"", 1000),
    (b"not json", 1000),
    (b'{"ssid": "x", ', 1000),
    (b"\xff\xfe\x00garbage", 1000),
    (b"[1, 2]", 1001),
    (b'"just a string"', 1001),
    (b"42", 1001),
    (b"null", 1001),
], ids=["empty", "text", "truncated", "not utf-8", "list", "string", "number", "null"])
@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
def test_a_body_that_is_not_a_json_object_gets_a_json_error(
        http: httpx.Client, raw: bytes, code: int, content_type: str) -> None:
    response = http.post("/api/v2/agentDashboard/contactInfo", content=raw,
                         headers={"Content-Type": content_type})
    assert response.status_code == 200
    assert error_code(response.json()) == code


def test_a_body_over_one_mebibyte_gets_a_json_error(http: httpx.Client) -> None:
    body = b'{"ssid": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    response = http.post("/api/v2/agentDashboard/contactInfo", content=body)
    assert response.status_code == 200
    assert error_code(response.json()) == 1000
