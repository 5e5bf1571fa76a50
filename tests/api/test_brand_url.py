"""The one check of a DeepCall address (``api_base``): every malformed address is an
``InvalidBrandUrl`` with a plain reason, never a ValueError from urllib or httpx later on."""

from __future__ import annotations

import pytest

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
])
def test_a_malformed_address_is_refused_with_its_reason(address: str, reason: str) -> None:
    with pytest.raises(InvalidBrandUrl) as caught:
        api_base(address)
    assert reason in caught.value.user_message
    assert "https://v4-api.deepcall.com" in caught.value.user_message  # what it should look like


@pytest.mark.parametrize(("address", "base"), [
    ("https://v4-api.deepcall.com:8443", "https://v4-api.deepcall.com:8443/api/v2"),
    ("http://[::1]:8080", "http://[::1]:8080/api/v2"),
    ("https://bücher.example", "https://bücher.example/api/v2"),
    ("https://xn--bcher-kva.example/", "https://xn--bcher-kva.example/api/v2"),
    ("  https://v4-api.deepcall.com/api  ", "https://v4-api.deepcall.com/api/v2"),
])
def test_good_addresses_still_pass(address: str, base: str) -> None:
    assert api_base(address) == base
