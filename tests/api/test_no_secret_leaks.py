"""Neither token nor ssid appears in any error, its chain, its repr/str/args, or any log record.

Every error type is triggered; the fake server even echoes the secret back in its error
message and in a transport error's text, the worst case for a leak.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import respx

from app.api.auth import SsidAuth, TokenAuth
from app.api.client import DeepCallClient, Timeouts
from app.api.errors import (
    BadResponse,
    ConnectionDropped,
    ConnectionRefused,
    DeepCallApiError,
    DeepCallError,
    RequestTimedOut,
    ResponseTooLarge,
    ServerError,
    TlsFailure,
    TransportError,
)

TOKEN = "leak-check-token-7f3a9c"
SSID = "leak-check-ssid-2b8e4d"
BRAND = "https://brand.example.test"
URL = f"{BRAND}/api/v2/agentDashboard/contactInfo"


async def _slow(request: httpx.Request) -> httpx.Response:
    await asyncio.sleep(5)
    return httpx.Response(200, json={})


# error type -> how the fake server produces it, echoing the client's own secret ``s``, twice:
# a redaction that stops at the first occurrence must be caught too
SCENARIOS: dict[type[DeepCallApiError], Callable[[respx.Route, str], Any]] = {
    DeepCallError: lambda r, s: r.respond(json={"status": "error", "code": 1014,
                                                "message": f"Invalid token {s} (was {s})"}),
    ConnectionRefused: lambda r, s: r.mock(side_effect=httpx.ConnectError(f"refused {s} {s}")),
    RequestTimedOut: lambda r, s: r.mock(side_effect=_slow),
    TlsFailure: lambda r, s: r.mock(side_effect=httpx.ConnectError(f"[SSL] bad cert {s}/{s}")),
    ConnectionDropped: lambda r, s: r.mock(side_effect=httpx.ReadError(f"reset {s} {s}")),
    TransportError: lambda r, s: r.mock(side_effect=httpx.TransportError(f"odd {s} {s}")),
    ServerError: lambda r, s: r.respond(502, html=f"<html>{s}{s}</html>"),
    BadResponse: lambda r, s: r.respond(200, text=f'{{"token": "{s}", "again": "{s}"'),
    ResponseTooLarge: lambda r, s: r.respond(200, content=s.encode() * 100_000),
}


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _assert_clean(text: str) -> None:
    assert TOKEN not in text, text
    assert SSID not in text, text


@pytest.mark.parametrize("auth", [TokenAuth("710042", TOKEN), SsidAuth(SSID)],
                         ids=["token", "ssid"])
@pytest.mark.parametrize("expected", list(SCENARIOS), ids=lambda t: t.__name__)
def test_no_secret_in_errors_or_logs(expected: type[DeepCallApiError], auth: Any,
                                     caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        async with DeepCallClient(BRAND, auth, timeouts=Timeouts(connect=0.2, total=0.3)) as c:
            await c.contact_info("+918302390884")

    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    with respx.mock:
        SCENARIOS[expected](respx.post(URL), auth.secrets()[0])
        with pytest.raises(DeepCallApiError) as caught:
            asyncio.run(scenario())
    assert type(caught.value) is expected
    for error in _chain(caught.value):
        _assert_clean(str(error))
        _assert_clean(repr(error))
        _assert_clean(repr(error.args))
        _assert_clean(repr(vars(error)))
    assert caplog.records, "the client logs at debug level"
    for record in caplog.records:
        _assert_clean(record.getMessage())
        _assert_clean(repr(record.args))
        if record.exc_info and record.exc_info[1] is not None:
            for error in _chain(record.exc_info[1]):
                _assert_clean(repr(error))


def test_the_leak_check_would_catch_a_leak() -> None:
    with pytest.raises(AssertionError):
        _assert_clean(f"oops {TOKEN}")
