"""DeepCallClient against the real sandbox over loopback HTTP: every endpoint, both auth modes,
every error code the client can meet, every fault."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import pytest

from app.api.auth import Auth, SsidAuth, TokenAuth
from app.api.client import DeepCallClient, Timeouts
from app.api.errors import (
    BadResponse,
    ConnectionDropped,
    ConnectionRefused,
    DeepCallError,
    RequestTimedOut,
    ResponseTooLarge,
    ServerError,
)
from app.api.models import Counters
from app.api.parse import parse_status_only
from app.core.contact import Contact, UnknownCaller
from app.core.error_messages import ApiGroup
from app.sandbox import accounts
from app.sandbox.seed import (
    ALT_KNOWN_NUMBER,
    DEMO_KNOWN_NUMBER,
    DEMO_PLAIN_NUMBER,
    DEMO_UNKNOWN_NUMBER,
    EMPTY_KNOWN_NUMBER,
)
from app.sandbox.server import SandboxServer

T = TypeVar("T")
KNOWN = "+" + DEMO_KNOWN_NUMBER
UNKNOWN = "+" + DEMO_UNKNOWN_NUMBER
DEMO_TOKEN_AUTH = TokenAuth(accounts.DEMO_USER_ID, accounts.DEMO_TOKEN)
DEMO_SSID_AUTH = SsidAuth(accounts.DEMO_SSID)
BOTH_MODES = pytest.mark.parametrize("auth", [DEMO_TOKEN_AUTH, DEMO_SSID_AUTH],
                                     ids=["token", "ssid"])


def with_client(sandbox: SandboxServer, auth: Auth,
                use: Callable[[DeepCallClient], Awaitable[T]], **kwargs: Any) -> T:
    async def scenario() -> T:
        async with DeepCallClient(sandbox.base_url, auth, **kwargs) as client:
            return await use(client)

    return asyncio.run(scenario())


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def expected_fields(auth: Auth) -> list[str]:
    return ["ssid"] if isinstance(auth, SsidAuth) else ["userId", "token"]


# --- endpoints in both auth modes --------------------------------------------------------------

@BOTH_MODES
def test_contact_info_known_caller(sandbox: SandboxServer, auth: Auth) -> None:
    result = with_client(sandbox, auth, lambda c: c.contact_info(KNOWN))
    assert isinstance(result, Contact)
    assert [g.name for g in result.groups] == ["Cu", "Lead"]
    cu = result.groups[0]
    assert cu.get("mobile") == int(DEMO_KNOWN_NUMBER)  # every digit, as a number
    assert cu.get("Name") == "Aarav Mehta"
    assert [label for label, _ in cu.fields][:3] == ["mobile", "Name", "Email"]
    request = sandbox.last_request()
    assert request is not None
    assert request.action == "contactInfo"
    assert request.auth_fields == expected_fields(auth)
    assert request.body is not None
    assert set(request.body) == {*expected_fields(auth), "callerNumber", "field"}
    assert request.body["callerNumber"] == DEMO_KNOWN_NUMBER
    assert request.content_type.startswith("application/json")


@BOTH_MODES
def test_contact_info_single_field(sandbox: SandboxServer, auth: Auth) -> None:
    result = with_client(sandbox, auth, lambda c: c.contact_info(KNOWN, field="city"))
    assert isinstance(result, Contact)
    assert [label for g in result.groups for label, _ in g.fields] == ["city"]


@pytest.mark.parametrize(("auth", "number"), [
    (DEMO_TOKEN_AUTH, UNKNOWN),  # blank fields
    (TokenAuth(accounts.ALT_USER_ID, accounts.ALT_TOKEN), UNKNOWN),  # error 1012
    (SsidAuth(accounts.EMPTY_SSID), UNKNOWN),  # "message": {}
], ids=["blank-fields", "error-1012", "empty-message"])
def test_unknown_caller_in_all_three_shapes(sandbox: SandboxServer, auth: Auth,
                                            number: str) -> None:
    result = with_client(sandbox, auth, lambda c: c.contact_info(number))
    assert isinstance(result, UnknownCaller)
    assert result.caller_number == number


def test_unknown_caller_keeps_the_blank_labels(sandbox: SandboxServer) -> None:
    result = with_client(sandbox, DEMO_TOKEN_AUTH, lambda c: c.contact_info(UNKNOWN))
    assert isinstance(result, UnknownCaller)
    assert result.groups[0].get("mobile") == 918302390884
    assert "Preferred Language" in [label for label, _ in result.groups[0].fields]


def test_other_accounts_known_callers(sandbox: SandboxServer) -> None:
    alt = with_client(sandbox, SsidAuth(accounts.ALT_SSID),
                      lambda c: c.contact_info("+" + ALT_KNOWN_NUMBER))
    empty = with_client(sandbox, SsidAuth(accounts.EMPTY_SSID),
                        lambda c: c.contact_info("+" + EMPTY_KNOWN_NUMBER))
    assert isinstance(alt, Contact)
    assert "tarun" in alt.labels()
    assert isinstance(empty, Contact)


@BOTH_MODES
def test_recent_calls(sandbox: SandboxServer, auth: Auth) -> None:
    calls = with_client(sandbox, auth, lambda c: c.recent_calls(KNOWN))
    assert calls
    assert all(call.call_id and call.call_type in {"inbound", "outbound"}
                         for call in calls)
    assert all(call.duration_seconds is not None and call.start_time for call in calls)
    starts = [call.start_time for call in calls]
    assert starts == sorted(starts, reverse=True)  # newest first, as sent
    assert with_client(sandbox, auth, lambda c: c.recent_calls(UNKNOWN)) == []
    assert sandbox.last_request().auth_fields == expected_fields(auth)  # type: ignore[union-attr]


@BOTH_MODES
def test_counters(sandbox: SandboxServer, auth: Auth) -> None:
    counters = with_client(sandbox, auth, lambda c: c.counters())
    assert isinstance(counters, Counters)
    assert counters.login_type
    assert counters.total_calls is not None
    assert counters.campaigns
    assert sum(c.calls or 0 for c in counters.campaigns) > 0
    request = sandbox.last_request()
    assert request is not None
    assert set(request.body or {}) == set(expected_fields(auth))


@BOTH_MODES
def test_notes_add(sandbox: SandboxServer, auth: Auth) -> None:
    async def use(client: DeepCallClient) -> None:
        call = (await client.recent_calls(KNOWN))[0]
        await client.notes_add(KNOWN, "Asked for a callback on Monday", call.call_id)

    before = len(sandbox.notes(DEMO_KNOWN_NUMBER))
    with_client(sandbox, auth, use)
    notes = sandbox.notes(DEMO_KNOWN_NUMBER)
    assert len(notes) == before + 1
    assert any(note.content == "Asked for a callback on Monday" for note in notes)
    assert sandbox.last_request().auth_fields == expected_fields(auth)  # type: ignore[union-attr]


@BOTH_MODES
def test_directory_get_info_create_update(sandbox: SandboxServer, auth: Auth) -> None:
    new = "+919811122233"

    async def use(client: DeepCallClient) -> tuple[object, ...]:
        info = await client.directory_get_info(KNOWN)
        created = await client.directory_create(new, {"name": "Meera Pillai", "email": "m@x.in"})
        updated = await client.directory_update(new, {"custom_field_1": "Kochi"},
                                                {"totalcalls": 2})
        after = await client.contact_info(new)
        return info, created, updated, after

    info, created, updated, after = with_client(sandbox, auth, use)
    assert isinstance(info, dict)
    assert info["name"] == "Aarav Mehta"
    assert "totalcalls" in info
    assert isinstance(created, dict)
    assert created["status"] == "success"
    assert isinstance(updated, dict)
    assert updated["status"] == "success"
    assert isinstance(after, Contact)
    assert after.groups[0].get("Name") == "Meera Pillai"
    assert after.groups[0].get("city") == "Kochi"
    request = sandbox.last_request()
    assert request is not None
    write = [r for r in sandbox.requests() if r.action == "update"][-1]
    assert set(write.body or {}) == {*expected_fields(auth), "contact", "contactinfo", "other"}
    assert (write.body or {})["contact"] == "919811122233"


# --- error codes -------------------------------------------------------------------------------

DASHBOARD_AUTH_ERRORS = [
    (TokenAuth("", accounts.DEMO_TOKEN), 1002),
    (TokenAuth("999999", accounts.DEMO_TOKEN), 1003),
    (TokenAuth(accounts.DEMO_USER_ID, accounts.EXPIRED_TOKEN), 1014),
    (SsidAuth("no-such-session"), 1014),
    (SsidAuth(""), 1020),
    (TokenAuth(accounts.DEMO_USER_ID, ""), 1020),
    (TokenAuth(accounts.SUSPENDED_USER_ID, accounts.SUSPENDED_TOKEN), 1039),
    (SsidAuth(accounts.SUSPENDED_SSID), 1039),
    (SsidAuth(12345), 1001),  # type: ignore[arg-type]  # a corrupted stored ssid
]


@pytest.mark.parametrize(("auth", "code"), DASHBOARD_AUTH_ERRORS)
def test_auth_errors_on_the_dashboard_and_the_directory(sandbox: SandboxServer, auth: Auth,
                                                        code: int) -> None:
    with pytest.raises(DeepCallError) as dashboard:
        with_client(sandbox, auth, lambda c: c.contact_info(KNOWN))
    assert dashboard.value.code == code
    assert dashboard.value.group is ApiGroup.AGENT_DASHBOARD
    assert dashboard.value.server_message
    assert str(code) not in dashboard.value.user_message
    if code == 1001:
        return  # the Directory answers a wrongly typed field with 1000
    with pytest.raises(DeepCallError) as directory:
        with_client(sandbox, auth, lambda c: c.directory_get_info(KNOWN))
    assert directory.value.code == code
    assert directory.value.group is ApiGroup.DIRECTORY


def test_1000_invalid_parameter_for_a_non_number(sandbox: SandboxServer) -> None:
    with pytest.raises(DeepCallError) as caught:
        with_client(sandbox, DEMO_TOKEN_AUTH, lambda c: c.contact_info("+12345"))
    assert caught.value.code == 1000


def test_1004_unknown_action(sandbox: SandboxServer) -> None:
    # No public method calls an unknown action; the private call proves the mapping end to end.
    async def use(client: DeepCallClient) -> object:
        data = await client._call(ApiGroup.AGENT_DASHBOARD, "recording", {}, idempotent=True)
        return parse_status_only(data, ApiGroup.AGENT_DASHBOARD, "recording")

    with pytest.raises(DeepCallError) as caught:
        with_client(sandbox, DEMO_TOKEN_AUTH, use)
    assert caught.value.code == 1004


def test_1501_note_for_a_call_of_another_number(sandbox: SandboxServer) -> None:
    async def use(client: DeepCallClient) -> None:
        other_call = (await client.recent_calls("+" + DEMO_PLAIN_NUMBER))[0]
        await client.notes_add(KNOWN, "wrong call", other_call.call_id)

    with pytest.raises(DeepCallError) as caught:
        with_client(sandbox, DEMO_SSID_AUTH, use)
    assert caught.value.code == 1501
    assert "dashboard" in caught.value.user_message.lower()


def test_1032_internal_error(sandbox: SandboxServer) -> None:
    sandbox.set_faults("internal")
    with pytest.raises(DeepCallError) as caught:
        with_client(sandbox, DEMO_TOKEN_AUTH, lambda c: c.counters())
    assert caught.value.code == 1032


@pytest.mark.parametrize(("use", "code"), [
    (lambda c: c.directory_get_info("+12"), 1005),
    (lambda c: c.directory_get_info(UNKNOWN), 1012),
    (lambda c: c.directory_update(UNKNOWN, {"name": "X"}), 1012),
    (lambda c: c.directory_create(KNOWN, {"name": "Dup"}), 1504),
    (lambda c: c.directory_update(KNOWN, {"name": "R2-D2"}), 1000),
    (lambda c: c.directory_update(KNOWN, {"email": "not-an-email"}), 1000),
    (lambda c: c.directory_update(KNOWN, {"dob": "31-02-1990"}), 1000),
    (lambda c: c.directory_update(KNOWN, {"custom_field_9": "x"}), 1000),
], ids=["1005", "1012-get", "1012-update", "1504", "name", "email", "dob", "unknown-key"])
def test_directory_errors(sandbox: SandboxServer, use: Any, code: int) -> None:
    with pytest.raises(DeepCallError) as caught:
        with_client(sandbox, DEMO_TOKEN_AUTH, use)
    assert caught.value.code == code
    assert caught.value.group is ApiGroup.DIRECTORY


# --- faults ------------------------------------------------------------------------------------

def test_http_502_html_page(sandbox: SandboxServer) -> None:
    sandbox.set_faults("http502")
    with pytest.raises(ServerError) as caught:
        with_client(sandbox, DEMO_TOKEN_AUTH, lambda c: c.contact_info(KNOWN))
    assert caught.value.status_code == 502


def test_malformed_json(sandbox: SandboxServer) -> None:
    sandbox.set_faults("malformed_json")
    with pytest.raises(BadResponse) as caught:
        with_client(sandbox, DEMO_TOKEN_AUTH, lambda c: c.recent_calls(KNOWN))
    assert not isinstance(caught.value, ResponseTooLarge)


def test_trickle_is_cut_by_the_overall_deadline(sandbox: SandboxServer) -> None:
    sandbox.set_faults("trickle=4000")
    started = time.monotonic()
    with pytest.raises(RequestTimedOut):
        with_client(sandbox, DEMO_TOKEN_AUTH, lambda c: c.contact_info(KNOWN),
                    timeouts=Timeouts(connect=1.0, total=0.8))
    assert time.monotonic() - started < 2.5  # the read timeout alone would never fire


def test_trickle_within_the_deadline_succeeds(sandbox: SandboxServer) -> None:
    sandbox.set_faults("trickle=300")
    assert isinstance(with_client(sandbox, DEMO_TOKEN_AUTH, lambda c: c.contact_info(KNOWN)),
                      Contact)


def test_one_dropped_connection_is_retried_for_a_read(sandbox: SandboxServer) -> None:
    sandbox.set_faults("drop@contactInfo*1")
    assert isinstance(with_client(sandbox, DEMO_TOKEN_AUTH, lambda c: c.contact_info(KNOWN)),
                      Contact)
    assert [r.action for r in sandbox.requests()] == ["contactInfo", "contactInfo"]


def test_always_dropped_gives_connection_dropped(sandbox: SandboxServer) -> None:
    sandbox.set_faults("drop")
    with pytest.raises(ConnectionDropped):
        with_client(sandbox, DEMO_TOKEN_AUTH, lambda c: c.counters())
    assert len(sandbox.requests()) == 2


def test_a_dropped_write_is_not_repeated(sandbox: SandboxServer) -> None:
    sandbox.set_faults("drop@notesAdd*1")

    async def use(client: DeepCallClient) -> None:
        call = (await client.recent_calls(KNOWN))[0]
        await client.notes_add(KNOWN, "only once", call.call_id)

    with pytest.raises(ConnectionDropped):
        with_client(sandbox, DEMO_TOKEN_AUTH, use)
    assert [r.action for r in sandbox.requests()] == ["recentCalls", "notesAdd"]


def test_oversized_body(sandbox: SandboxServer) -> None:
    sandbox.set_faults("oversized")
    with pytest.raises(ResponseTooLarge) as caught:
        with_client(sandbox, DEMO_TOKEN_AUTH, lambda c: c.contact_info(KNOWN))
    assert caught.value.limit == 1 << 20


def test_latency_within_and_beyond_the_deadline(sandbox: SandboxServer) -> None:
    sandbox.set_faults("latency=300")
    started = time.monotonic()
    assert isinstance(with_client(sandbox, DEMO_TOKEN_AUTH, lambda c: c.contact_info(KNOWN)),
                      Contact)
    assert time.monotonic() - started >= 0.3
    sandbox.set_faults("latency=3000")
    with pytest.raises(RequestTimedOut):
        with_client(sandbox, DEMO_TOKEN_AUTH, lambda c: c.contact_info(KNOWN),
                    timeouts=Timeouts(total=0.5))


def test_a_closed_port_is_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The port is closed now: nothing listens there.

    async def scenario() -> None:
        async with DeepCallClient(f"http://127.0.0.1:{port}", DEMO_TOKEN_AUTH) as client:
            await client.contact_info(KNOWN)

    with pytest.raises(ConnectionRefused):
        run(scenario())


def test_concurrent_calls_run_at_once_and_share_one_client(sandbox: SandboxServer) -> None:
    # Every request waits 400 ms at the server: four at once finish in about one wait, not
    # four; and a second round reuses the first round's kept-alive connections (one pool,
    # which keeps up to four alive).
    sandbox.set_faults("latency=400")

    async def rounds(client: DeepCallClient) -> list[float]:
        took = []
        for _ in range(2):
            started = time.monotonic()
            results = await asyncio.gather(*(client.contact_info(KNOWN) for _ in range(2)),
                                           *(client.recent_calls(KNOWN) for _ in range(2)))
            took.append(time.monotonic() - started)
            assert all(isinstance(r, Contact) for r in results[:2])
            assert all(r for r in results[2:])
        return took

    took = with_client(sandbox, DEMO_TOKEN_AUTH, rounds)
    assert max(took) < 4 * 0.4 * 0.75, took  # concurrent: well under one after another
    first = {r.peer for r in sandbox.requests()[:4]}
    second = {r.peer for r in sandbox.requests()[4:]}
    assert all(first)
    assert len(sandbox.requests()) == 8
    assert second <= first  # no new connection: the same client's pool served round two


def test_a_declared_length_over_the_cap_is_refused_before_any_byte(
        sandbox: SandboxServer) -> None:
    # The headers promise 64 MiB and nothing follows: the client must refuse on the
    # Content-Length alone, not wait out its deadline for bytes that never come.
    sandbox.set_faults("huge_promise=5000")
    started = time.monotonic()
    with pytest.raises(ResponseTooLarge) as caught:
        with_client(sandbox, DEMO_TOKEN_AUTH, lambda c: c.contact_info(KNOWN),
                    timeouts=Timeouts(total=4))
    assert time.monotonic() - started < 2
    assert str(64 * 1024 * 1024) in caught.value.detail

