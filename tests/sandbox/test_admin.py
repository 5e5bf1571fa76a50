"""The request log (secrets redacted) and the rest of the /__sandbox__/ admin API."""

from __future__ import annotations

import httpx

from app.sandbox.accounts import DEMO_SSID, DEMO_TOKEN, DEMO_USER_ID
from app.sandbox.requestlog import REDACTED
from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_PLAIN_NUMBER
from app.sandbox.server import SandboxServer
from tests.sandbox.conftest import Post
from tests.sandbox.helpers import SSID, TOKEN


def test_requests_show_which_auth_fields_were_sent(post: Post, sandbox: SandboxServer) -> None:
    post("agentDashboard/contactInfo", {**SSID, "callerNumber": DEMO_KNOWN_NUMBER})
    post("Directory/getInfo", {**TOKEN, "cn": DEMO_KNOWN_NUMBER})
    first, second = sandbox.requests()
    assert (first.group, first.action, first.auth_fields) == ("agentDashboard", "contactInfo",
                                                               ["ssid"])
    assert first.body == {"ssid": REDACTED, "callerNumber": DEMO_KNOWN_NUMBER}
    assert (second.group, second.action, second.auth_fields) == ("Directory", "getInfo",
                                                                 ["userId", "token"])
    assert second.body == {"userId": DEMO_USER_ID, "token": REDACTED, "cn": DEMO_KNOWN_NUMBER}
    assert sandbox.last_request() == second


def test_the_admin_request_log_never_holds_a_secret(http: httpx.Client) -> None:
    http.post("/api/v2/agentDashboard/counters",
              json={"ssid": DEMO_SSID, "userId": DEMO_USER_ID, "token": DEMO_TOKEN})
    http.post("/api/v2/agentDashboard/counters", content=f"not json {DEMO_TOKEN}".encode(),
              headers={"Content-Type": "text/plain"})
    response = http.get("/__sandbox__/requests")
    assert DEMO_SSID not in response.text
    assert DEMO_TOKEN not in response.text
    logged = response.json()["requests"]
    assert [r["authFields"] for r in logged] == [["ssid", "userId", "token"], []]
    assert logged[0]["contentType"] == "application/json"
    assert logged[1].pop("peer").startswith("127.0.0.1:")  # which connection carried it
    assert logged[1] == {"method": "POST", "path": "/api/v2/agentDashboard/counters",
                         "group": "agentDashboard", "action": "counters",
                         "contentType": "text/plain", "body": None,
                         "bodyBytes": len(f"not json {DEMO_TOKEN}"), "authFields": []}


def test_requests_are_logged_even_when_a_fault_answers(http: httpx.Client,
                                                       sandbox: SandboxServer) -> None:
    sandbox.set_faults("http502")
    http.post("/api/v2/agentDashboard/counters", json=SSID)
    assert [r.action for r in sandbox.requests()] == ["counters"]


def test_clearing_and_resetting_empty_the_log(http: httpx.Client, sandbox: SandboxServer) -> None:
    http.post("/api/v2/agentDashboard/counters", json=SSID)
    assert http.delete("/__sandbox__/requests").json() == {"requests": []}
    assert sandbox.requests() == []
    http.post("/api/v2/agentDashboard/counters", json=SSID)
    http.post("/__sandbox__/reset")
    assert http.get("/__sandbox__/requests").json() == {"requests": []}


def test_admin_notes(post: Post, http: httpx.Client) -> None:
    call_id = post("agentDashboard/recentCalls",
                   {**SSID, "callerNumber": DEMO_PLAIN_NUMBER})["message"][0]["callId"]
    post("agentDashboard/notesAdd", {**SSID, "callerNumber": DEMO_PLAIN_NUMBER,
                                     "callId": call_id, "content": "Call back at 5"})
    notes = http.get("/__sandbox__/notes", params={"callerNumber": DEMO_PLAIN_NUMBER}).json()
    assert notes == {"notes": [{"callId": call_id, "callerNumber": DEMO_PLAIN_NUMBER,
                                "content": "Call back at 5"}]}
    assert http.get("/__sandbox__/notes", params={"account": "nobody"}).status_code == 404


def test_admin_accounts_lists_user_ids_but_no_secrets(http: httpx.Client) -> None:
    response = http.get("/__sandbox__/accounts")
    accounts = {a["name"]: a for a in response.json()["accounts"]}
    assert accounts["demo"]["userId"] == DEMO_USER_ID
    assert accounts["demo"]["groups"] == ["Cu", "Lead"]
    assert {a["unknownCaller"] for a in accounts.values()} == {"blank", "error", "empty"}
    assert accounts["suspended"]["suspended"] is True
    assert DEMO_TOKEN not in response.text
    assert DEMO_SSID not in response.text


def test_wrong_method_and_unknown_routes_are_plain_http_errors(http: httpx.Client) -> None:
    assert http.get("/api/v2/agentDashboard/contactInfo").status_code == 405
    assert http.post("/api/v2/Nothing/here", json=SSID).status_code == 404


def test_wait_for_requests_returns_once_they_arrived(http: httpx.Client,
                                                     sandbox: SandboxServer) -> None:
    assert sandbox.wait_for_requests(1, timeout=0.05) == []
    http.post("/api/v2/agentDashboard/counters", json=SSID)
    http.post("/api/v2/agentDashboard/counters", json=TOKEN)
    assert [r.auth_fields for r in sandbox.wait_for_requests(2)] == [["ssid"],
                                                                      ["userId", "token"]]


def test_crafted_contact_info_is_answered_as_is_until_reset(post: Post, http: httpx.Client,
                                                            sandbox: SandboxServer) -> None:
    groups = {"Cu": {"mobile": int(DEMO_KNOWN_NUMBER), "Name": "<b>FRAUD</b>"},
              "Group 2": {"Note": "x" * 2000}}
    answer = http.post("/__sandbox__/contact-info",
                       json={"callerNumber": "+" + DEMO_KNOWN_NUMBER, "groups": groups})
    assert answer.json() == {"ok": True}
    body = {**SSID, "callerNumber": DEMO_KNOWN_NUMBER}
    assert post("agentDashboard/contactInfo", body)["message"] == groups
    assert http.post("/__sandbox__/contact-info",
                     json={"callerNumber": "12", "groups": {}}).status_code == 400
    assert http.post("/__sandbox__/contact-info",
                     json={"callerNumber": DEMO_KNOWN_NUMBER, "groups": {"Cu": 1}}
                     ).status_code == 400
    sandbox.reset()
    assert post("agentDashboard/contactInfo", body)["message"] != groups
