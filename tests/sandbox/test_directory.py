"""Directory endpoints: reads, writes that change contactInfo, validation, and their codes."""

from __future__ import annotations

from typing import Any

import pytest

from app.sandbox.accounts import (
    ALT_SSID,
    DEMO_SSID,
    DEMO_TOKEN,
    DEMO_USER_ID,
    EXPIRED_TOKEN,
    SUSPENDED_SSID,
)
from app.sandbox.seed import (
    DEMO_KNOWN_NUMBER,
    DEMO_PLAIN_NUMBER,
    DEMO_UNKNOWN_NUMBER,
)
from app.sandbox.server import SandboxServer
from tests.sandbox.conftest import Post
from tests.sandbox.helpers import SSID, TOKEN, error_code

DIRECTORY_KEYS = ["contact", "name", "email", "address", "company", "designation", "dob",
                  "custom_field_1", "custom_field_2", "custom_field_3", "custom_field_4",
                  "custom_field_5"]


def contact_info(post: Post, number: str) -> dict[str, Any]:
    answer = post("agentDashboard/contactInfo", {**SSID, "callerNumber": number})
    assert error_code(answer) is None
    message: dict[str, Any] = answer["message"]
    return message


@pytest.mark.parametrize("auth", [SSID, TOKEN], ids=["ssid", "userId+token"])
def test_get_info_returns_directory_keys(post: Post, auth: dict[str, str]) -> None:
    answer = post("Directory/getInfo", {**auth, "cn": DEMO_KNOWN_NUMBER})
    assert error_code(answer) is None
    info = answer["message"]
    assert list(info) == DIRECTORY_KEYS
    assert info["contact"] == DEMO_KNOWN_NUMBER
    assert info["name"] == "Aarav Mehta"
    assert info["custom_field_1"] == "Mumbai"


def test_get_info_all_adds_metadata(post: Post) -> None:
    info = post("Directory/getInfo", {**TOKEN, "cn": "+" + DEMO_KNOWN_NUMBER,
                                      "field": "all"})["message"]
    assert list(info) == [*DIRECTORY_KEYS, "createtime", "updatetime", "lastcalltime",
                          "totalcalls"]
    assert info["totalcalls"] == 6


def test_get_info_of_a_chosen_list_of_fields(post: Post) -> None:
    info = post("Directory/getInfo", {**TOKEN, "cn": DEMO_KNOWN_NUMBER,
                                      "field": "name, email,totalcalls"})["message"]
    assert info == {"contact": DEMO_KNOWN_NUMBER, "name": "Aarav Mehta",
                    "email": "aarav.mehta@gmail.com", "totalcalls": 6}


def test_search_finds_contacts_by_digits(post: Post) -> None:
    found = post("Directory/search", {**TOKEN, "contact": "9876543",
                                      "project": "name"})["message"]
    assert {"contact": DEMO_KNOWN_NUMBER, "name": "Aarav Mehta"} in found
    assert all("9876543" in entry["contact"] for entry in found)


def test_create_then_contact_info_shows_the_new_contact(post: Post) -> None:
    before = contact_info(post, DEMO_UNKNOWN_NUMBER)
    assert before["Cu"]["Name"] == ""
    answer = post("Directory/create", {**TOKEN, "contact": DEMO_UNKNOWN_NUMBER, "contactinfo": {
        "name": "Tarun K. Bose", "email": "tarun@example.in", "dob": "05-08-1990",
        "custom_field_1": "Kolkata", "custom_field_4": "Website", "custom_field_5": "New"},
        "other": {"lastcalltime": "27-11-2026", "totalcalls": 1}})
    assert answer == {"status": "success", "message": "Contact created successfully"}
    after = contact_info(post, DEMO_UNKNOWN_NUMBER)
    assert after["Cu"]["Name"] == "Tarun K. Bose"
    assert after["Cu"]["DOB"] == "05-08-1990"
    assert after["Cu"]["city"] == "Kolkata"
    assert after["Cu"]["Company"] == ""
    assert after["Lead"] == {"Lead Source": "Website", "Lead Status": "New"}
    info = post("Directory/getInfo", {**SSID, "cn": DEMO_UNKNOWN_NUMBER, "field": "all"})
    assert info["message"]["totalcalls"] == 1


def test_update_changes_only_the_keys_sent(post: Post, sandbox: SandboxServer) -> None:
    answer = post("Directory/update", {**SSID, "contact": "9988776655", "contactinfo": {
        "email": "rohan@guptahardware.in", "custom_field_2": "Gold", "designation": "Owner"}})
    assert answer == {"status": "success", "message": "Contact updated successfully"}
    cu = contact_info(post, DEMO_PLAIN_NUMBER)["Cu"]
    assert cu["Email"] == "rohan@guptahardware.in"
    assert cu["Customer Tier"] == "Gold"
    assert cu["Designation"] == "Owner"
    assert cu["Name"] == "Rohan Gupta"
    record = sandbox.contact(DEMO_PLAIN_NUMBER)
    assert record is not None
    assert record.values["email"] == "rohan@guptahardware.in"


def test_update_can_clear_a_field_and_hide_the_lead_group(post: Post) -> None:
    assert "Lead" in contact_info(post, DEMO_KNOWN_NUMBER)
    post("Directory/update", {**TOKEN, "contact": DEMO_KNOWN_NUMBER, "contactinfo": {
        "custom_field_4": "", "custom_field_5": "", "company": ""}})
    after = contact_info(post, DEMO_KNOWN_NUMBER)
    assert list(after) == ["Cu"]
    assert after["Cu"]["Company"] == ""


def test_reset_restores_the_seed(post: Post, sandbox: SandboxServer) -> None:
    post("Directory/update", {**TOKEN, "contact": DEMO_KNOWN_NUMBER,
                              "contactinfo": {"name": "Someone Else"}})
    sandbox.reset()
    assert contact_info(post, DEMO_KNOWN_NUMBER)["Cu"]["Name"] == "Aarav Mehta"


def test_unicode_names_are_letters(post: Post) -> None:
    answer = post("Directory/update", {**TOKEN, "contact": DEMO_KNOWN_NUMBER,
                                       "contactinfo": {"name": "राजेश कुमार"}})
    assert error_code(answer) is None
    assert contact_info(post, DEMO_KNOWN_NUMBER)["Cu"]["Name"] == "राजेश कुमार"


BAD_CONTACTINFO: list[tuple[str, object]] = [
    ("digits in name", {"name": "R2D2"}),
    ("symbols in name", {"name": "Aarav <script>"}),
    ("bad email", {"email": "aarav@"}),
    ("email with spaces", {"email": "a b@example.com"}),
    ("dob yyyy-mm-dd", {"dob": "1986-03-14"}),
    ("dob impossible", {"dob": "31-02-1986"}),
    ("dob short year", {"dob": "14-3-86"}),
    ("unconfigured custom field", {"custom_field_9": "x"}),
    ("unknown key", {"nickname": "Aaru"}),
    ("non-string value", {"company": 42}),
    ("too long", {"address": "x" * 256}),
    ("not an object", ["name", "Aarav"]),
]


@pytest.mark.parametrize("contactinfo", [c for _, c in BAD_CONTACTINFO],
                         ids=[name for name, _ in BAD_CONTACTINFO])
@pytest.mark.parametrize("action", ["create", "update"])
def test_invalid_contactinfo_is_1000_and_changes_nothing(
        post: Post, action: str, contactinfo: object) -> None:
    number = DEMO_UNKNOWN_NUMBER if action == "create" else DEMO_KNOWN_NUMBER
    before = contact_info(post, number)
    answer = post(f"Directory/{action}", {**TOKEN, "contact": number,
                                          "contactinfo": contactinfo})
    assert error_code(answer) == 1000
    assert contact_info(post, number) == before


@pytest.mark.parametrize("other", [
    {"lastcalltime": "2026-11-27"}, {"updatetime": 5}, {"totalcalls": "3"},
    {"totalcalls": -1}, {"createtime": "01-01-2020"}, {"colour": "red"}, "not an object"])
def test_invalid_other_is_1000(post: Post, other: object) -> None:
    answer = post("Directory/update", {**TOKEN, "contact": DEMO_KNOWN_NUMBER,
                                       "contactinfo": {"name": "A"}, "other": other})
    assert error_code(answer) == 1000


@pytest.mark.parametrize(("action", "body", "code"), [
    ("getInfo", {}, 1000),
    ("getInfo", {"cn": ""}, 1000),
    ("getInfo", {"cn": ["919876543210"]}, 1000),
    ("getInfo", {"cn": "abc"}, 1005),
    ("getInfo", {"cn": "12345"}, 1005),
    ("getInfo", {"cn": DEMO_UNKNOWN_NUMBER}, 1012),
    ("getInfo", {"cn": DEMO_KNOWN_NUMBER, "field": "shoe_size"}, 1000),
    ("search", {"contact": "0000000000000"}, 1012),
    ("search", {"contact": "12"}, 1005),
    ("search", {"contact": "98", "project": "nope"}, 1005),
    ("search", {"contact": "9876", "project": "nope"}, 1000),
    ("create", {"contact": DEMO_KNOWN_NUMBER, "contactinfo": {"name": "Dup"}}, 1504),
    ("create", {"contact": "98765", "contactinfo": {"name": "Short"}}, 1005),
    ("create", {"contactinfo": {"name": "No Number"}}, 1000),
    ("update", {"contact": DEMO_UNKNOWN_NUMBER, "contactinfo": {"name": "Nobody"}}, 1012),
    ("update", {"contact": "x1", "contactinfo": {"name": "Nobody"}}, 1005),
    ("update", {"contact": DEMO_KNOWN_NUMBER}, 1000),
    ("delete", {"contact": DEMO_KNOWN_NUMBER}, 1000),
])
def test_directory_codes(post: Post, action: str, body: dict[str, Any], code: int) -> None:
    assert error_code(post(f"Directory/{action}", {**TOKEN, **body})) == code


@pytest.mark.parametrize(("auth", "code"), [
    ({"ssid": DEMO_SSID, "userId": DEMO_USER_ID, "token": DEMO_TOKEN}, 1000),
    ({"token": DEMO_TOKEN}, 1002),
    ({"userId": "424242", "token": DEMO_TOKEN}, 1003),
    ({"userId": DEMO_USER_ID, "token": EXPIRED_TOKEN}, 1014),
    ({"ssid": "stale"}, 1014),
    ({}, 1020),
    ({"ssid": SUSPENDED_SSID}, 1039),
    ({"ssid": 5}, 1000),
], ids=["ssid with userId+token", "token alone", "unknown user", "expired token",
        "unknown ssid", "no auth", "suspended", "ssid not a string"])
@pytest.mark.parametrize("action", ["getInfo", "search", "create", "update"])
def test_directory_auth(post: Post, action: str, auth: dict[str, Any], code: int) -> None:
    body = {**auth, "cn": DEMO_KNOWN_NUMBER, "contact": DEMO_KNOWN_NUMBER,
            "contactinfo": {"name": "X"}}
    assert error_code(post(f"Directory/{action}", body)) == code


def test_directory_body_not_an_object_is_1000(post: Post) -> None:
    assert error_code(post("Directory/getInfo", {})) == 1020
    assert error_code(post("Directory/getInfo", [])) == 1000


def test_accounts_have_separate_directories(post: Post) -> None:
    post("Directory/create", {**TOKEN, "contact": DEMO_UNKNOWN_NUMBER,
                              "contactinfo": {"name": "Only Demo"}})
    alt = post("agentDashboard/contactInfo", {"ssid": ALT_SSID,
                                              "callerNumber": DEMO_UNKNOWN_NUMBER})
    assert error_code(alt) == 1012
