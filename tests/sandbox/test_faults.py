"""Fault injection: each mode as a client sees it, scoping, and switching at run time."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from app.sandbox.faults import Fault, FaultKind
from app.sandbox.seed import DEMO_KNOWN_NUMBER
from app.sandbox.server import SandboxServer
from tests.sandbox.helpers import SSID, error_code

CONTACT = ("/api/v2/agentDashboard/contactInfo", {**SSID, "callerNumber": DEMO_KNOWN_NUMBER})
COUNTERS = ("/api/v2/agentDashboard/counters", SSID)


def ok(http: httpx.Client, request: tuple[str, dict[str, str]] = CONTACT) -> bool:
    response = http.post(request[0], json=request[1])
    return response.status_code == 200 and error_code(response.json()) is None


def test_http_502_is_an_html_page(http: httpx.Client, sandbox: SandboxServer) -> None:
    sandbox.set_faults(Fault(FaultKind.HTTP_502))
    response = http.post(CONTACT[0], json=CONTACT[1])
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>502 Bad Gateway</h1>" in response.text


def test_http_503_is_an_html_page(http: httpx.Client, sandbox: SandboxServer) -> None:
    sandbox.set_faults("http503@contactInfo*1")
    response = http.post(CONTACT[0], json=CONTACT[1])
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert "503 Service Temporarily Unavailable" in response.text
    assert ok(http)  # only once


def test_drop_after_handles_the_request_then_hangs_up(http: httpx.Client,
                                                      sandbox: SandboxServer) -> None:
    call_id = http.post("/api/v2/agentDashboard/recentCalls", json={
        **SSID, "callerNumber": DEMO_KNOWN_NUMBER}).json()["message"][0]["callId"]
    before = len(sandbox.notes(DEMO_KNOWN_NUMBER))
    sandbox.set_faults("drop_after@notesAdd*1")
    with pytest.raises(httpx.RemoteProtocolError):
        http.post("/api/v2/agentDashboard/notesAdd", json={
            **SSID, "callerNumber": DEMO_KNOWN_NUMBER, "content": "arrived?", "callId": call_id})
    notes = sandbox.notes(DEMO_KNOWN_NUMBER)
    assert [n.content for n in notes[before:]] == ["arrived?"]  # stored, though unanswered
    assert ok(http)


def test_malformed_json_claims_json_but_does_not_parse(http: httpx.Client,
                                                       sandbox: SandboxServer) -> None:
    sandbox.set_faults("malformed_json")
    response = http.post(CONTACT[0], json=CONTACT[1])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_drop_closes_the_connection_without_a_response(http: httpx.Client,
                                                       sandbox: SandboxServer) -> None:
    sandbox.set_faults("drop*1")
    with pytest.raises(httpx.RemoteProtocolError):
        http.post(CONTACT[0], json=CONTACT[1])
    assert ok(http)  # the server itself is fine; a new connection is answered


def test_oversized_is_valid_json_over_two_mebibytes(http: httpx.Client,
                                                    sandbox: SandboxServer) -> None:
    sandbox.set_faults("oversized")
    response = http.post(CONTACT[0], json=CONTACT[1])
    assert response.status_code == 200
    assert int(response.headers["content-length"]) >= 2 * 1024 * 1024
    assert response.json()["status"] == "success"


def test_internal_is_error_1032(http: httpx.Client, sandbox: SandboxServer) -> None:
    sandbox.add_fault("internal")
    assert error_code(http.post(CONTACT[0], json=CONTACT[1]).json()) == 1032


def test_trickle_sends_the_normal_answer_in_many_pieces(http: httpx.Client,
                                                        sandbox: SandboxServer) -> None:
    sandbox.set_faults("trickle=400")
    pieces: list[bytes] = []
    with http.stream("POST", CONTACT[0], json=CONTACT[1]) as response:
        assert response.status_code == 200
        pieces.extend(response.iter_raw())
    assert len(pieces) > 5
    body = json.loads(b"".join(pieces))
    assert body["message"]["Cu"]["Name"] == "Aarav Mehta"


def test_trickle_beats_a_per_read_timeout_yet_takes_longer_in_total(
        http: httpx.Client, sandbox: SandboxServer) -> None:
    # What a client's overall deadline exists for: no single read ever waits 1 s.
    sandbox.set_faults("trickle=1500")
    started = time.monotonic()
    response = http.post(CONTACT[0], json=CONTACT[1], timeout=1.0)
    assert response.json()["message"]["Cu"]["Name"] == "Aarav Mehta"
    assert time.monotonic() - started >= 1.0


def test_latency_delays_the_answer(http: httpx.Client, sandbox: SandboxServer) -> None:
    sandbox.set_faults("latency=1500")
    with pytest.raises(httpx.ReadTimeout):
        http.post(CONTACT[0], json=CONTACT[1], timeout=0.3)
    sandbox.set_faults("latency=250*1")
    started = time.monotonic()
    assert ok(http)
    assert time.monotonic() - started >= 0.24  # a lower bound only: the delay happened


def test_a_fault_scoped_to_an_action_spares_the_others(http: httpx.Client,
                                                       sandbox: SandboxServer) -> None:
    sandbox.set_faults("http502@contactInfo")
    assert http.post(CONTACT[0], json=CONTACT[1]).status_code == 502
    assert ok(http, COUNTERS)
    sandbox.set_faults("internal@agentDashboard/counters")
    assert ok(http)
    assert not ok(http, COUNTERS)


def test_a_fault_for_the_next_n_requests_then_stops(http: httpx.Client,
                                                    sandbox: SandboxServer) -> None:
    sandbox.set_faults(Fault(FaultKind.HTTP_502, action="contactInfo", times=2))
    assert ok(http, COUNTERS)  # not matching: does not use up the count
    assert [ok(http) for _ in range(3)] == [False, False, True]
    assert sandbox.faults() == []


def test_latency_combines_with_another_fault(http: httpx.Client, sandbox: SandboxServer) -> None:
    sandbox.set_faults("latency=1000", "http502")
    with pytest.raises(httpx.ReadTimeout):
        http.post(CONTACT[0], json=CONTACT[1], timeout=0.2)


def test_faults_never_touch_the_admin_api(http: httpx.Client, sandbox: SandboxServer) -> None:
    sandbox.set_faults("drop")
    assert http.get("/__sandbox__/health").json() == {"ok": True}


def test_admin_endpoint_sets_lists_and_clears_faults(http: httpx.Client) -> None:
    response = http.post("/__sandbox__/faults", json={"faults": [
        "http502@contactInfo*1", {"kind": "latency", "ms": 5, "action": "counters"}]})
    assert response.status_code == 200
    assert response.json()["faults"] == [
        {"kind": "http502", "action": "contactInfo", "times": 1, "ms": 0},
        {"kind": "latency", "action": "counters", "times": None, "ms": 5}]
    assert http.post(CONTACT[0], json=CONTACT[1]).status_code == 502
    assert http.get("/__sandbox__/faults").json()["faults"] == [
        {"kind": "latency", "action": "counters", "times": None, "ms": 5}]
    http.post("/__sandbox__/faults", json={"faults": ["internal"], "add": True})
    assert len(http.get("/__sandbox__/faults").json()["faults"]) == 2
    assert http.delete("/__sandbox__/faults").json() == {"faults": []}
    assert ok(http)


@pytest.mark.parametrize("body", [{"faults": ["explode"]}, {"faults": "http502"}, [],
                                  {"faults": [{"kind": "latency", "ms": "soon"}]},
                                  {"faults": ["http502*0"]}])
def test_admin_endpoint_rejects_bad_faults_plainly(http: httpx.Client, body: object) -> None:
    response = http.post("/__sandbox__/faults", json=body)
    assert response.status_code == 400
    assert response.json()["ok"] is False
    assert response.json()["error"]


def test_reset_clears_faults(http: httpx.Client, sandbox: SandboxServer) -> None:
    sandbox.set_faults("http502")
    assert http.post("/__sandbox__/reset").json() == {"ok": True}
    assert ok(http)


@pytest.mark.parametrize(("spec", "expected"), [
    ("latency", Fault(FaultKind.LATENCY, ms=200)),
    ("trickle=50@Directory/update*3", Fault(FaultKind.TRICKLE, "Directory/update", 3, 50)),
    ("oversized*1", Fault(FaultKind.OVERSIZED, times=1)),
])
def test_fault_specs_parse(spec: str, expected: Fault) -> None:
    assert Fault.parse(spec) == expected


@pytest.mark.parametrize("spec", ["", "boom", "latency=-5", "http502@", "drop*0", "502"])
def test_bad_fault_specs_say_why(spec: str) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        Fault.parse(spec)
