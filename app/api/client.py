"""The async DeepCall client: one keep-alive ``httpx.AsyncClient``, typed results, typed errors.

Every call has an overall deadline (``asyncio.timeout``), so even a body that trickles in
byte by byte cannot hold a pop longer than ``Timeouts.total``. Reads retry once on a transport
fault within that deadline; writes are retried only when the request surely never left
(connection refused / connect timeout), so a note is never added twice.

``set_answer_listener``: called after each SUCCESSFUL answer (one that parsed as a success;
an unknown caller is one), never after an error envelope or a transport fault, so whoever
waits for DeepCall to work again (the outbox) hears of it at once, and an expired token
answering 1014 to everything wakes nobody.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Final, TypeVar
from urllib.parse import urlsplit

import httpx

from app.api.auth import Auth, TokenAuth
from app.api.decoding import BoundedDecoder, UnsupportedEncoding
from app.api.errors import BadResponse, DeepCallApiError, DeepCallError, TlsFailure, TransportError
from app.api.models import Counters, RecentCall
from app.api.parse import (
    check_envelope,
    decode_json,
    parse_contact_info,
    parse_counters,
    parse_directory_info,
    parse_recent_calls,
    parse_status_only,
)
from app.api.transport import (
    api_base,
    damaged_body,
    deadline_error,
    direct_mounts,
    env_proxy_for,
    server_error,
    ssl_context,
    too_large,
    transport_error,
    unexpected_status,
    unreadable_encoding,
    unusable_address,
)
from app.core.contact import LookupResult
from app.core.error_messages import ApiGroup
from app.core.phone import deepcall_caller_number

log = logging.getLogger(__name__)

T = TypeVar("T")
DEFAULT_MAX_BODY_BYTES: Final = 1 << 20
_USER_AGENT: Final = "deepcall-screenpop/0.1"


@dataclass(frozen=True)
class Timeouts:
    """Seconds: ``connect`` to open a connection, ``total`` for a whole call incl. its retry."""

    connect: float = 3.0
    total: float = 5.0

    def __post_init__(self) -> None:
        # nan passes a "<= 0" test, and inf overflows asyncio's deadline arithmetic
        if not all(math.isfinite(t) and t > 0 for t in (self.connect, self.total)):
            raise ValueError("timeouts must be positive, finite numbers of seconds")


class DeepCallClient:
    """One DeepCall account at one brand host. Close with ``aclose()`` or ``async with``."""

    def __init__(self, brand_url: str, auth: Auth, *, timeouts: Timeouts | None = None,
                 max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
                 account_name: str | None = None) -> None:
        self._base = api_base(brand_url)
        # Names the account in place of the address, for a server whose address changes from
        # run to run while it stays the same account (the demo's embedded sandbox).
        self._account_name = account_name
        self._host = urlsplit(self._base).netloc
        self._auth = auth
        self._timeouts = timeouts or Timeouts()
        self._max_body = max_body_bytes
        self._proxy = env_proxy_for(self._base)  # named in messages; httpx reads the same env
        self._http = httpx.AsyncClient(
            verify=ssl_context(),
            trust_env=True,  # HTTPS_PROXY / NO_PROXY of the call centre
            mounts=direct_mounts(self._base),  # but loopback never through a proxy
            follow_redirects=False,  # a redirected POST could carry the token elsewhere
            timeout=httpx.Timeout(self._timeouts.total, connect=self._timeouts.connect),
            limits=httpx.Limits(max_connections=8, max_keepalive_connections=4,
                                keepalive_expiry=60.0),
            headers={"Content-Type": "application/json", "Accept": "application/json",
                     # identity: the size cap then bounds memory exactly (no gzip bomb)
                     "Accept-Encoding": "identity", "User-Agent": _USER_AGENT},
        )
        self._calls_running = 0
        self._no_calls_running = asyncio.Event()
        self._no_calls_running.set()
        self._answer_listener: Callable[[], None] | None = None

    def __repr__(self) -> str:
        return f"DeepCallClient({self._base!r}, {self._auth!r})"

    @property
    def base_url(self) -> str:
        return self._base

    @property
    def account_key(self) -> str:
        """Which DeepCall account this client writes to, with no secret in it: the brand
        address and the API user (an ssid names a session, not an account: the address)."""
        user = self._auth.user_id if isinstance(self._auth, TokenAuth) else ""
        where = self._account_name or self._base
        return f"{where} user={user}" if user else f"{where} ssid"

    @property
    def is_closed(self) -> bool:
        return self._http.is_closed

    async def aclose(self) -> None:
        await self._http.aclose()

    async def aclose_when_idle(self) -> None:
        """Close once the calls already running have ended (each is bounded by its deadline).

        For a client being replaced (new settings): closing it at once would fail the lookup
        or note still in flight on it with "client has been closed". Cancelled, it closes now.
        """
        try:
            await self._no_calls_running.wait()
        finally:
            await self.aclose()

    def set_answer_listener(self, listener: Callable[[], None] | None) -> None:
        """``listener()`` after every successful answer (see the module's docstring)."""
        self._answer_listener = listener

    def _answered(self, result: T) -> T:
        listener = self._answer_listener
        if listener is not None:
            try:
                listener()
            except Exception:  # the answer is the caller's: a listener's bug must not cost it
                log.exception("the listener of DeepCall's answers failed")
        return result

    async def __aenter__(self) -> DeepCallClient:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    # --- Agent Dashboard ---------------------------------------------------------------------

    async def contact_info(self, caller_number: str, field: str = "All") -> LookupResult:
        """The caller's contact, or UnknownCaller. ``caller_number`` is E.164."""
        payload: dict[str, object] = {"callerNumber": deepcall_caller_number(caller_number)}
        if field:
            payload["field"] = field
        data = await self._call(ApiGroup.AGENT_DASHBOARD, "contactInfo", payload,
                                idempotent=True)
        return self._answered(parse_contact_info(data, caller_number, self._auth.secrets()))

    async def recent_calls(self, caller_number: str) -> list[RecentCall]:
        payload: dict[str, object] = {"callerNumber": deepcall_caller_number(caller_number)}
        data = await self._call(ApiGroup.AGENT_DASHBOARD, "recentCalls", payload,
                                idempotent=True)
        return self._answered(parse_recent_calls(data, self._auth.secrets()))

    async def counters(self) -> Counters:
        data = await self._call(ApiGroup.AGENT_DASHBOARD, "counters", {}, idempotent=True)
        return self._answered(parse_counters(data, self._auth.secrets()))

    async def notes_add(self, caller_number: str, content: str, call_id: str) -> None:
        payload: dict[str, object] = {"callerNumber": deepcall_caller_number(caller_number),
                                      "content": content, "callId": call_id}
        data = await self._call(ApiGroup.AGENT_DASHBOARD, "notesAdd", payload,
                                idempotent=False)
        parse_status_only(data, ApiGroup.AGENT_DASHBOARD, "notesAdd", self._auth.secrets())
        self._answered(None)

    # --- Directory ---------------------------------------------------------------------------

    async def directory_get_info(self, cn: str, field: str = "all") -> dict[str, object]:
        payload: dict[str, object] = {"cn": deepcall_caller_number(cn), "field": field}
        data = await self._call(ApiGroup.DIRECTORY, "getInfo", payload, idempotent=True)
        return self._answered(parse_directory_info(data, self._auth.secrets()))

    async def directory_create(self, contact: str, contactinfo: dict[str, str],
                               other: dict[str, object] | None = None) -> dict[str, object]:
        return await self._directory_write("create", contact, contactinfo, other)

    async def directory_update(self, contact: str, contactinfo: dict[str, str],
                               other: dict[str, object] | None = None) -> dict[str, object]:
        return await self._directory_write("update", contact, contactinfo, other)

    async def _directory_write(self, action: str, contact: str, contactinfo: dict[str, str],
                               other: dict[str, object] | None) -> dict[str, object]:
        payload: dict[str, object] = {"contact": deepcall_caller_number(contact),
                                      "contactinfo": contactinfo}
        if other:
            payload["other"] = other
        data = await self._call(ApiGroup.DIRECTORY, action, payload, idempotent=False)
        return self._answered(parse_status_only(data, ApiGroup.DIRECTORY, action,
                                                self._auth.secrets()))

    # --- HTTP --------------------------------------------------------------------------------

    async def _call(self, group: ApiGroup, action: str, payload: dict[str, object], *,
                    idempotent: bool) -> object:
        """The decoded JSON answer of one call, within the overall deadline."""
        body = json.dumps({**self._auth.body_fields(), **payload},
                          ensure_ascii=False).encode("utf-8")
        url = f"{self._base}/{group.value}/{action}"
        started = time.perf_counter()
        self._calls_running += 1
        self._no_calls_running.clear()
        try:
            async with asyncio.timeout(self._timeouts.total):
                return await self._with_retry(url, body, group, action, idempotent)
        except TimeoutError:
            failure = deadline_error(self._host, self._timeouts.total)
        finally:
            self._calls_running -= 1
            if not self._calls_running:
                self._no_calls_running.set()
        log.debug("deepcall %s/%s timed out after %.1f ms", group.value, action,
                  (time.perf_counter() - started) * 1000)
        raise failure  # raised outside the except: no chained cancellation noise

    async def _with_retry(self, url: str, body: bytes, group: ApiGroup, action: str,
                          idempotent: bool) -> object:
        for attempt in (1, 2):
            try:
                return await self._attempt(url, body, group, action, attempt)
            except TransportError as error:
                may_retry = (attempt == 1 and not isinstance(error, TlsFailure)
                             and (idempotent or not error.request_sent))
                if not may_retry:
                    raise
                log.debug("deepcall %s/%s: %s; retrying once", group.value, action,
                          type(error).__name__)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(self, url: str, body: bytes, group: ApiGroup, action: str,
                       attempt: int) -> object:
        started = time.perf_counter()
        failure: DeepCallApiError | None = None
        try:
            async with self._http.stream("POST", url, content=body) as response:
                status = response.status_code
                content_type = response.headers.get("content-type", "")
                location = response.headers.get("location")
                raw = await self._read_capped(response)
        except httpx.HTTPError as exc:
            failure = transport_error(exc, self._host, self._timeouts.total,
                                      self._auth.secrets(), self._proxy)
        except httpx.InvalidURL:  # not an HTTPError; api_base should have refused it already
            failure = unusable_address()
        elapsed_ms = (time.perf_counter() - started) * 1000
        if failure is not None:
            log.debug("deepcall %s/%s attempt %d failed after %.1f ms: %s", group.value,
                      action, attempt, elapsed_ms, failure.detail)
            raise failure
        log.debug("deepcall %s/%s attempt %d -> HTTP %d, %d bytes in %.1f ms", group.value,
                  action, attempt, status, len(raw), elapsed_ms)
        return self._decode(status, content_type, location, raw, group, action)

    def _decode(self, status: int, content_type: str, location: str | None, raw: bytes,
                group: ApiGroup, action: str) -> object:
        if 200 <= status < 300:
            return decode_json(raw, content_type)
        if 300 <= status < 400:
            raise unexpected_status(status, location)
        # DeepCall may put its error envelope on a 4xx/5xx: then its code is the truth.
        error_data = self._error_envelope(raw, content_type, group, action)
        if error_data is not None:
            return error_data
        if status >= 500:
            raise server_error(status, self._host)
        raise unexpected_status(status, None)

    @staticmethod
    def _error_envelope(raw: bytes, content_type: str, group: ApiGroup,
                        action: str) -> object | None:
        """The decoded body if it is a DeepCall error envelope, else None."""
        try:
            data = decode_json(raw, content_type)
            check_envelope(data, group, action)
        except DeepCallError:
            return data
        except BadResponse:
            return None
        return None  # a "success" on an error status is not believable

    async def _read_capped(self, response: httpx.Response) -> bytes:
        """The body, never holding more than the cap in memory (compressed or not)."""
        declared = response.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > self._max_body:
            raise too_large(self._max_body, int(declared))
        try:
            decoder = BoundedDecoder(response.headers.get("content-encoding", ""))
        except UnsupportedEncoding:
            raise unreadable_encoding() from None
        buffer = bytearray()
        async for chunk in response.aiter_raw():
            try:
                for piece in decoder.feed(chunk, self._max_body - len(buffer)):
                    buffer += piece
            except zlib.error:
                raise damaged_body() from None
            if len(buffer) > self._max_body:
                raise too_large(self._max_body, len(buffer))
        return bytes(buffer)
