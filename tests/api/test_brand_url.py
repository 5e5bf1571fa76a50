"""The one check of a DeepCall address (``api_base``): every malformed address is an
``InvalidBrandUrl`` with a plain reason, never a ValueError from urllib or httpx later on."""

from __future__ import annotations

import asyncio

import pytest

from app.api import transport
from app.api.auth import TokenAuth
from app.api.client import DeepCallClient
from app.api.errors import InvalidBrandUrl
from app.api.transport import api_base


@pytest.mark.parametrize(("address", "reason"), [
    ("http://[::1", "bracket"),
    ("https://[::1/x", "bracket"),
    ("https://v4-api.deepcall.com:99999", "port"),
    ("https://v4-api.deepcall.com:abc", "port"),
    ("https://v4-api.deepcall.com:-1", "port"),
    ("https://v4-api.deepcall.com:0", "port"),
    ("https://xn--a.com", "host name"),
    ("https://a..deepcall.com", "host name"),
    ("https://" + "a" * 64 + ".com", "host name"),
    ("https://-deepcall.com", "host name"),
    ("https://deep call.com", "space or control"),
    ("https://deepcall.com\x00", "space or control"),
    ("https://deepcall.com\u202e", "space or control"),
    # Accepted once because a host with ':' skipped the checks; httpx then refused them
    # mid-lookup as an "unexpected internal error".
    ("http://[::1]x:80", "IPv6"),
    ("https://a*::1[::1]", "IPv6"),
    ("http://]=[::1", "IPv6"),
    ("https://[::1:127.0.0.1]%", "IPv6"),
    # An empty query or fragment once passed and sent every request to "/" (...#/api/v2).
    ("https://v4-api.deepcall.com#", "#fragment"),
    ("https://v4-api.deepcall.com?", "?query"),
    ("https://v4-api.deepcall.com/crm?#", "?query"),
    ("https://v4-api.deepcall.com/?x=1", "?query"),
    ("https://@v4-api.deepcall.com", "user name"),
    ("https://u:p@v4-api.deepcall.com", "user name"),
    ("ftp://v4-api.deepcall.com", "http(s) address"),
    ("https:///api", "http(s) address"),
    ("https://v4-api.deepcall.com..", "host name"),
    ("https://.", "host name"),
])
def test_a_malformed_address_is_refused_with_its_reason(address: str, reason: str) -> None:
    with pytest.raises(InvalidBrandUrl) as caught:
        api_base(address)
    assert reason in caught.value.user_message
    assert "https://v4-api.deepcall.com" in caught.value.user_message  # what it should look like


@pytest.mark.parametrize(("address", "base"), [
    ("https://v4-api.deepcall.com:8443", "https://v4-api.deepcall.com:8443/api/v2"),
    ("http://[::1]:8080", "http://[::1]:8080/api/v2"),
    ("https://[2001:db8::1]:8443", "https://[2001:db8::1]:8443/api/v2"),
    # A fully qualified name's trailing dot is dropped: certificates name the host without it.
    ("https://v4-api.deepcall.com.", "https://v4-api.deepcall.com/api/v2"),
    ("https://V4-API.deepcall.com.:8443/crm/", "https://V4-API.deepcall.com:8443/crm/api/v2"),
    ("http://localhost.:8080", "http://localhost:8080/api/v2"),
    ("https://bücher.example", "https://bücher.example/api/v2"),
    ("https://xn--bcher-kva.example/", "https://xn--bcher-kva.example/api/v2"),
    ("  https://v4-api.deepcall.com/api  ", "https://v4-api.deepcall.com/api/v2"),
])
def test_good_addresses_still_pass(address: str, base: str) -> None:
    assert api_base(address) == base


def test_the_client_turns_an_address_httpx_refuses_into_a_plain_reason() -> None:
    # A backstop for whatever api_base might still let through: never an "internal error".
    client = DeepCallClient("https://v4-api.deepcall.com", TokenAuth("1", "backstop-token"))
    client._base = "http://[::1]x:80/api/v2"

    async def call() -> object:
        async with client:
            return await client.contact_info("+918302390884")

    with pytest.raises(InvalidBrandUrl) as caught:
        asyncio.run(call())
    assert "not a web address" in caught.value.user_message
    assert "backstop-token" not in str(caught.value)


def test_what_httpx_refuses_is_refused_even_past_the_host_checks(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # No address is known to pass the host checks and fail httpx (a 200,000-address fuzz
    # found none); the last check must still hold if a host check misses one.
    monkeypatch.setattr(transport, "_check_host", lambda text, host: None)
    with pytest.raises(InvalidBrandUrl) as caught:
        api_base("http://[::1]x:80")
    assert "not a web address" in caught.value.user_message
