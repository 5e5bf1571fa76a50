"""DeepCallClient's HTTP behaviour in isolation (respx): bodies, retries, status mapping.

The same behaviour is proven against the real sandbox over loopback in test_contract.py;
these cover what a real server cannot be made to do on demand (TLS failure, exact retries).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Coroutine
from typing import Any, TypeVar

import httpx
import pytest
import respx

from app.api.auth import SsidAuth, TokenAuth
from app.api.client import DeepCallClient, Timeouts
from app.api.errors import (
    BadResponse,
    ConnectionDropped,
    ConnectionRefused,
    DeepCallError,
    InvalidBrandUrl,
    RequestTimedOut,
    ResponseTooLarge,
    ServerError,
    TlsFailure,
)
from app.api.transport import api_base
from app.core.contact import Contact

T = TypeVar("T")
BRAND = "https://brand.example.test"
CONTACT_INFO = f"{BRAND}/api/v2/agentDashboard/contactInfo"
NOTES_ADD = f"{BRAND}/api/v2/agentDashboard/notesAdd"
FOUND = {"status": "success", "message": {"Cu": {"mobile": 918302390884, "Name": "Asha"}}}
TOKEN_AUTH = TokenAuth(user_id="710042", token="unit-token-abcdef")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


async def lookup(auth: Any = TOKEN_AUTH, **kwargs: Any) -> Any:
    async with DeepCallClient(BRAND, auth, **kwargs) as client:
        return await client.contact_info("+918302390884")


@respx.mock
def test_token_mode_sends_exactly_user_id_and_token_as_json() -> None:
    route = respx.post(CONTACT_INFO).respond(json=FOUND)
    result = run(lookup())
    assert isinstance(result, Contact)
    request = route.calls.last.request
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"userId": "710042", "token": "unit-token-abcdef",
                                           "callerNumber": "918302390884", "field": "All"}


@respx.mock
def test_ssid_mode_sends_exactly_ssid() -> None:
    route = respx.post(CONTACT_INFO).respond(json=FOUND)
    run(lookup(SsidAuth(ssid="unit-ssid-123456")))
    assert json.loads(route.calls.last.request.content) == {
        "ssid": "unit-ssid-123456", "callerNumber": "918302390884", "field": "All"}


@respx.mock
def test_a_read_retries_once_on_a_transport_fault() -> None:
    route = respx.post(CONTACT_INFO).mock(
        side_effect=[httpx.RemoteProtocolError("Server disconnected"),
                     httpx.Response(200, json=FOUND)])
    assert isinstance(run(lookup()), Contact)
    assert route.call_count == 2


@respx.mock
def test_a_read_gives_up_after_the_second_fault() -> None:
    route = respx.post(CONTACT_INFO).mock(side_effect=httpx.ReadError("reset by peer"))
    with pytest.raises(ConnectionDropped):
        run(lookup())
    assert route.call_count == 2


async def add_note() -> None:
    async with DeepCallClient(BRAND, TOKEN_AUTH) as client:
        await client.notes_add("+918302390884", "called back", "c1")


@respx.mock
def test_a_write_is_not_retried_when_it_may_have_arrived() -> None:
    route = respx.post(NOTES_ADD).mock(side_effect=httpx.RemoteProtocolError("dropped"))
    with pytest.raises(ConnectionDropped):
        run(add_note())
    assert route.call_count == 1


@respx.mock
def test_a_write_is_retried_when_it_surely_never_left() -> None:
    route = respx.post(NOTES_ADD).mock(side_effect=[
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.Response(200, json={"status": "success", "message": "Note added"})])
    run(add_note())
    assert route.call_count == 2


@respx.mock
def test_tls_failure_is_its_own_error_and_not_retried() -> None:
    route = respx.post(CONTACT_INFO).mock(side_effect=httpx.ConnectError(
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"))
    with pytest.raises(TlsFailure, match="IT"):
        run(lookup())
    assert route.call_count == 1


@respx.mock
def test_refused_and_read_timeout_map_to_their_errors() -> None:
    respx.post(CONTACT_INFO).mock(side_effect=httpx.ConnectError("[Errno 111] refused"))
    with pytest.raises(ConnectionRefused):
        run(lookup())
    respx.post(CONTACT_INFO).mock(side_effect=httpx.ReadTimeout("timed out"))
    with pytest.raises(RequestTimedOut):
        run(lookup())


@respx.mock
def test_the_overall_deadline_holds_even_if_the_server_is_slower() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, json=FOUND)

    respx.post(CONTACT_INFO).mock(side_effect=slow)
    started = time.monotonic()
    with pytest.raises(RequestTimedOut, match=r"0\.3 seconds"):
        run(lookup(timeouts=Timeouts(connect=0.2, total=0.3)))
    assert time.monotonic() - started < 2


@respx.mock
def test_html_502_is_a_server_error_but_a_deepcall_envelope_on_500_is_a_deepcall_error() -> None:
    respx.post(CONTACT_INFO).respond(502, html="<html><h1>502 Bad Gateway</h1></html>")
    with pytest.raises(ServerError) as caught:
        run(lookup())
    assert caught.value.status_code == 502
    respx.post(CONTACT_INFO).respond(500, json={"status": "error", "code": 1032,
                                                "message": "Internal server error"})
    with pytest.raises(DeepCallError) as error:
        run(lookup())
    assert error.value.code == 1032


@respx.mock
def test_redirects_are_not_followed() -> None:
    route = respx.post(CONTACT_INFO).respond(301, headers={"Location": "https://elsewhere.test/"})
    with pytest.raises(BadResponse, match="redirects"):
        run(lookup())
    assert route.call_count == 1


@respx.mock
def test_declared_oversize_is_refused_before_reading() -> None:
    respx.post(CONTACT_INFO).respond(200, content=b"{}" * 600, headers={"Content-Length": "1200"})
    with pytest.raises(ResponseTooLarge) as caught:
        run(lookup(max_body_bytes=1000))
    assert caught.value.limit == 1000


@respx.mock
def test_streamed_oversize_stops_at_the_cap() -> None:
    produced = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal produced
        while produced < 50_000_000:
            produced += 65536
            yield b" " * 65536

    respx.post(CONTACT_INFO).mock(return_value=httpx.Response(200, content=endless()))
    with pytest.raises(ResponseTooLarge):
        run(lookup(max_body_bytes=1 << 20))
    assert produced < 2 * (1 << 20) + 65536


def test_brand_urls() -> None:
    assert api_base("https://v4-api.deepcall.com/") == "https://v4-api.deepcall.com/api/v2"
    assert api_base("https://s-ct3.sarv.com/api/v2") == "https://s-ct3.sarv.com/api/v2"
    assert api_base("http://127.0.0.1:8080") == "http://127.0.0.1:8080/api/v2"
    for bad in ("http://v4-api.deepcall.com", "ftp://x", "v4-api.deepcall.com", "",
                "https://user:pw@host.test"):
        with pytest.raises(InvalidBrandUrl):
            api_base(bad)


def test_client_closes_and_hides_secrets_in_repr() -> None:
    async def scenario() -> DeepCallClient:
        async with DeepCallClient(BRAND, TOKEN_AUTH) as client:
            assert not client.is_closed
        return client

    client = run(scenario())
    assert client.is_closed
    assert "unit-token" not in repr(client)
    with pytest.raises(ValueError, match="positive"):
        Timeouts(connect=0)


@pytest.mark.parametrize(("status", "words"), [
    (401, "refused access"), (403, "firewall"), (404, "no DeepCall API at this address"),
    (407, "proxy wants a sign-in"), (429, "Wait a minute"), (418, "HTTP 418"),
])
@respx.mock
def test_client_statuses_without_a_deepcall_body_say_what_to_do(status: int, words: str) -> None:
    respx.post(CONTACT_INFO).respond(status, text="<html>no</html>",
                                     headers={"Content-Type": "text/html"})
    with pytest.raises(BadResponse, match=words) as caught:
        run(lookup())
    assert caught.value.detail == f"HTTP {status}"
