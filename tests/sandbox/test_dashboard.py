"""Agent Dashboard endpoints over real loopback HTTP: shapes, number forms, bodies."""

from __future__ import annotations

import json
from datetime import datetime

import httpx
import pytest

from app.sandbox.accounts import ALT_SSID, EMPTY_SSID, EMPTY_TOKEN, EMPTY_USER_ID
from app.sandbox.seed import (
    ALT_KNOWN_NUMBER,
    DEMO_KNOWN_NUMBER,
    DEMO_LEAD_NUMBER,
    DEMO_PLAIN_NUMBER,
    DEMO_SG_NUMBER,
    DEMO_UK_NUMBER,
    DEMO_UNKNOWN_NUMBER,
    DEMO_WITHHELD_CALL_IDS,
    EMPTY_KNOWN_NUMBER,
    WITHHELD_CALLER,
)
from app.sandbox.server import SandboxServer
from tests.sandbox.conftest import Post
from tests.sandbox.helpers import SSID, TOKEN, error_code

CU_LABELS = ["mobile", "Name", "Email", "Address", "Company", "Designation", "DOB", "city",
             "Customer Tier", "Preferred Language"]


@pytest.mark.parametrize("auth", [SSID, TOKEN], ids=["ssid", "userId+token"])
def test_contact_info_of_a_known_lead_has_both_groups_in_the_brief_order(
        post: Post, auth: dict[str, str]) -> None:
    answer = post("agentDashboard/contactInfo", {**auth, "callerNumber": DEMO_KNOWN_NUMBER})
    assert error_code(answer) is None
    message = answer["message"]
    assert list(message) == ["Cu", "Lead"]
    assert list(message["Cu"]) == CU_LABELS
    assert message["Cu"]["mobile"] == 919876543210  # a JSON number, every digit
    assert message["Cu"]["Name"] == "Aarav Mehta"
    assert message["Lead"] == {"Lead Source": "Referral", "Lead Status": "Qualified"}


def test_the_raw_json_carries_mobile_as_a_number(http: httpx.Client) -> None:
    response = http.post("/api/v2/agentDashboard/contactInfo",
                         json={**SSID, "callerNumber": DEMO_KNOWN_NUMBER})
    assert '"mobile":919876543210' in response.text


def test_a_contact_without_lead_data_has_only_the_cu_group(post: Post) -> None:
    answer = post("agentDashboard/contactInfo", {**SSID, "callerNumber": DEMO_PLAIN_NUMBER})
    assert list(answer["message"]) == ["Cu"]
    assert answer["message"]["Cu"]["Email"] == ""


def test_unknown_caller_on_demo_is_cu_with_every_label_empty(post: Post) -> None:
    answer = post("agentDashboard/contactInfo", {**SSID, "callerNumber": DEMO_UNKNOWN_NUMBER})
    assert answer == {"status": "success", "message": {"Cu": {
        "mobile": 918302390884, **{label: "" for label in CU_LABELS[1:]}}}}


def test_unknown_caller_on_alt_is_error_1012(post: Post) -> None:
    answer = post("agentDashboard/contactInfo",
                  {"ssid": ALT_SSID, "callerNumber": DEMO_UNKNOWN_NUMBER})
    assert error_code(answer) == 1012


def test_alt_account_uses_the_seed_documents_labels(post: Post) -> None:
    answer = post("agentDashboard/contactInfo",
                  {"ssid": ALT_SSID, "callerNumber": ALT_KNOWN_NUMBER})
    assert list(answer["message"]["Cu"]) == ["mobile", "Name", "Address", "test", "city", "Email",
                                             "efwf", "tarun"]


def test_unknown_caller_on_empty_account_is_an_empty_message(post: Post) -> None:
    answer = post("agentDashboard/contactInfo",
                  {"ssid": EMPTY_SSID, "callerNumber": DEMO_UNKNOWN_NUMBER})
    assert answer == {"status": "success", "message": {}}
    known = post("agentDashboard/contactInfo", {"userId": EMPTY_USER_ID, "token": EMPTY_TOKEN,
                                                "callerNumber": EMPTY_KNOWN_NUMBER})
    assert known["message"]["Cu"]["Name"] == "Kabir Malhotra"


@pytest.mark.parametrize("number", ["919876543210", "+919876543210", "9876543210", 919876543210,
                                    " 919876543210 "])
def test_caller_number_forms_find_the_same_contact(post: Post, number: object) -> None:
    answer = post("agentDashboard/contactInfo", {**SSID, "callerNumber": number})
    assert answer["message"]["Cu"]["mobile"] == 919876543210
    assert answer["message"]["Cu"]["Name"] == "Aarav Mehta"


def test_foreign_numbers_are_found_by_digits_with_country_code(post: Post) -> None:
    uk = post("agentDashboard/contactInfo", {**SSID, "callerNumber": "+" + DEMO_UK_NUMBER})
    assert uk["message"]["Cu"]["city"] == "London"
    # 10 digits stored as is (Singapore) beat the Indian reading of the same digits.
    sg = post("agentDashboard/contactInfo", {**SSID, "callerNumber": DEMO_SG_NUMBER})
    assert sg["message"]["Cu"]["mobile"] == int(DEMO_SG_NUMBER)
    assert sg["message"]["Cu"]["city"] == "Singapore"


@pytest.mark.parametrize(("field", "expected"), [
    ("Email", {"Cu": {"Email": "aarav.mehta@gmail.com"}}),
    ("email", {"Cu": {"Email": "aarav.mehta@gmail.com"}}),
    ("custom_field_4", {"Lead": {"Lead Source": "Referral"}}),
    ("mobile", {"Cu": {"mobile": 919876543210}}),
])
def test_contact_info_field_returns_that_field_only(post: Post, field: str,
                                                    expected: dict[str, object]) -> None:
    answer = post("agentDashboard/contactInfo",
                  {**SSID, "callerNumber": DEMO_KNOWN_NUMBER, "field": field})
    assert answer["message"] == expected


def test_contact_info_field_all_is_every_field(post: Post) -> None:
    everything = post("agentDashboard/contactInfo",
                      {**SSID, "callerNumber": DEMO_LEAD_NUMBER, "field": "All"})
    default = post("agentDashboard/contactInfo", {**SSID, "callerNumber": DEMO_LEAD_NUMBER})
    assert everything == default


def test_recent_calls_are_newest_first_with_the_brief_shape(post: Post) -> None:
    answer = post("agentDashboard/recentCalls", {**TOKEN, "callerNumber": DEMO_KNOWN_NUMBER})
    calls = answer["message"]
    assert len(calls) == 6
    for call in calls:
        assert set(call) == {"callId", "cType", "callStatus", "duration", "startTime",
                             "agentName"}
        assert call["cType"] in {"inbound", "outbound"}
        assert call["callStatus"] in {"answered", "missed", "busy"}
        assert isinstance(call["duration"], int)
        datetime.strptime(call["startTime"], "%Y-%m-%d %H:%M:%S")
    starts = [call["startTime"] for call in calls]
    assert starts == sorted(starts, reverse=True)


def test_recent_calls_of_a_number_without_calls_is_an_empty_list(post: Post) -> None:
    answer = post("agentDashboard/recentCalls", {**SSID, "callerNumber": DEMO_UNKNOWN_NUMBER})
    assert answer == {"status": "success", "message": []}


def test_counters_summarise_the_accounts_call_log(post: Post) -> None:
    counters = post("agentDashboard/counters", dict(SSID))["message"]
    assert set(counters) == {"loginType", "agentStatus", "totalCalls", "answeredCalls",
                             "missedCalls", "talkTimeSeconds", "campaigns"}
    assert counters["totalCalls"] >= counters["answeredCalls"] + counters["missedCalls"]
    assert sum(c["calls"] for c in counters["campaigns"]) == counters["totalCalls"]
    assert all(isinstance(c["name"], str) for c in counters["campaigns"])


def test_notes_add_stores_the_note_for_that_call(post: Post, sandbox: SandboxServer) -> None:
    call_id = post("agentDashboard/recentCalls",
                   {**SSID, "callerNumber": DEMO_PLAIN_NUMBER})["message"][0]["callId"]
    answer = post("agentDashboard/notesAdd", {**TOKEN, "callerNumber": DEMO_PLAIN_NUMBER,
                                              "callId": call_id, "content": "Wants a callback"})
    assert answer == {"status": "success", "message": "Note added"}
    assert [(n.call_id, n.content) for n in sandbox.notes(DEMO_PLAIN_NUMBER)] == [
        (call_id, "Wants a callback")]


def test_a_note_on_a_withheld_callers_call_names_them_anonymous(
        post: Post, sandbox: SandboxServer) -> None:
    answer = post("agentDashboard/notesAdd", {
        **TOKEN, "callerNumber": WITHHELD_CALLER, "callId": DEMO_WITHHELD_CALL_IDS[0],
        "content": "Asked for the billing team"})
    assert answer == {"status": "success", "message": "Note added"}
    assert [(n.call_id, n.content) for n in sandbox.notes(WITHHELD_CALLER)] == [
        (DEMO_WITHHELD_CALL_IDS[0], "Asked for the billing team")]
    # A call of a known caller is not theirs; and no contact is ever "anonymous".
    real_call = post("agentDashboard/recentCalls",
                     {**SSID, "callerNumber": DEMO_PLAIN_NUMBER})["message"][0]["callId"]
    assert error_code(post("agentDashboard/notesAdd", {
        **TOKEN, "callerNumber": WITHHELD_CALLER, "callId": real_call, "content": "x"})) == 1501
    assert error_code(post("agentDashboard/contactInfo",
                           {**TOKEN, "callerNumber": WITHHELD_CALLER})) == 1000


def test_seeded_notes_exist_and_reset_drops_added_ones(post: Post, sandbox: SandboxServer) -> None:
    assert len(sandbox.notes(DEMO_KNOWN_NUMBER)) == 2
    call_id = post("agentDashboard/recentCalls",
                   {**SSID, "callerNumber": DEMO_KNOWN_NUMBER})["message"][0]["callId"]
    post("agentDashboard/notesAdd", {**SSID, "callerNumber": DEMO_KNOWN_NUMBER,
                                     "callId": call_id, "content": "x"})
    assert len(sandbox.notes(DEMO_KNOWN_NUMBER)) == 3
    sandbox.reset()
    assert len(sandbox.notes(DEMO_KNOWN_NUMBER)) == 2


@pytest.mark.parametrize("content_type", ["text/plain", "application/json", None,
                                          "application/x-www-form-urlencoded"])
def test_bodies_are_read_as_json_whatever_the_content_type(
        http: httpx.Client, content_type: str | None) -> None:
    # The docs' own examples send the JSON with text/plain (or no content type at all).
    raw = f'{{\n "ssid":"{SSID["ssid"]}",\n "callerNumber":"{DEMO_KNOWN_NUMBER}"\n}}'
    headers = {"Content-Type": content_type} if content_type else {}
    response = http.post("/api/v2/agentDashboard/contactInfo", content=raw.encode(),
                         headers=headers)
    assert response.status_code == 200
    assert response.json()["message"]["Cu"]["Name"] == "Aarav Mehta"


def test_answers_are_json_with_deepcall_headers(http: httpx.Client) -> None:
    response = http.post("/api/v2/agentDashboard/counters", json=SSID)
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["access-control-allow-origin"] == "*"
    json.loads(response.content)
