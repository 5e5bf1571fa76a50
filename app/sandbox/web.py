"""The aiohttp application: DeepCall's routes, fault injection, and the /__sandbox__/ admin API.

Every DeepCall answer is HTTP 200 with a JSON body (DeepCall documents no HTTP statuses, only
``status``/``code`` in the body); only injected faults answer otherwise. Whatever the body, the
client gets a DeepCall-shaped answer: an unexpected fault in a handler becomes 1032, never a
traceback page.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping

from aiohttp import web

from app.sandbox import dashboard, directory
from app.sandbox.accounts import ACCOUNTS, Account
from app.sandbox.auth import authenticate
from app.sandbox.faults import Fault, FaultKind
from app.sandbox.protocol import (
    FILE_NOT_FOUND,
    INTERNAL_SERVER_ERROR,
    INVALID_DATA_TYPE,
    INVALID_PARAMETER,
    ApiError,
)
from app.sandbox.requestlog import LoggedRequest, redact
from app.sandbox.state import SandboxState
from app.sandbox.store import Store

log = logging.getLogger(__name__)

STATE_KEY = web.AppKey("sandbox_state", SandboxState)
DASHBOARD, DIRECTORY = "agentDashboard", "Directory"
Handler = Callable[[Store, Account, Mapping[str, object]], object]
GROUPS: dict[str, dict[str, Handler]] = {
    DASHBOARD: dashboard.ACTIONS,
    DIRECTORY: directory.ACTIONS,
}
# Headers DeepCall sends (seen in the seed document's example response).
DEEPCALL_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, GET, OPTIONS, PATCH, DELETE",
    "Access-Control-Allow-Headers": "X-Requested-With, content-type",
}
BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
UNAVAILABLE_HTML = (
    "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n"
    "<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>"
    "\r\n</body>\r\n</html>\r\n"
)
MALFORMED_JSON = '{"message": {"Cu": {"mobile": 918302390884, "Name": "Aar'
OVERSIZED_BYTES = 2 * 1024 * 1024
HUGE_PROMISE_BYTES = 64 * 1024 * 1024
TRICKLE_PIECES = 20


def json_bytes(payload: object) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def json_response(payload: object, status: int = 200) -> web.Response:
    return web.Response(body=json_bytes(payload), status=status, headers=DEEPCALL_HEADERS,
                        content_type="application/json", charset="utf-8")


def parse_body(raw: bytes, group: str) -> dict[str, object]:
    """The body as a JSON object, whatever the content type, or the ApiError to answer."""
    try:
        parsed = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ApiError(INVALID_PARAMETER, "the body is not valid JSON") from None
    if not isinstance(parsed, dict):
        code = INVALID_DATA_TYPE if group == DASHBOARD else INVALID_PARAMETER
        raise ApiError(code, "the body must be a JSON object")
    return parsed


def answer(state: SandboxState, group: str, action: str, raw: bytes) -> object:
    """The JSON payload DeepCall would answer (success or error)."""
    try:
        body = parse_body(raw, group)
        account = authenticate(body, directory=group == DIRECTORY)
        handler = GROUPS[group].get(action)
        if handler is None:
            code = FILE_NOT_FOUND if group == DASHBOARD else INVALID_PARAMETER
            raise ApiError(code, f"no such action {action!r}")
        return {"message": handler(state.store, account, body), "status": "success"}
    except ApiError as error:
        return error.to_json()
    except Exception:  # a sandbox bug must still look like DeepCall, never like a traceback
        log.exception("sandbox handler failed for %s/%s", group, action)
        return ApiError(INTERNAL_SERVER_ERROR).to_json()


def _log_request(state: SandboxState, request: web.Request, group: str, action: str,
                 raw: bytes) -> None:
    try:
        parsed = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        parsed = None
    peername = request.transport.get_extra_info("peername") if request.transport else None
    peer = f"{peername[0]}:{peername[1]}" if isinstance(peername, tuple) else ""
    state.requests.add(LoggedRequest(
        method=request.method, path=request.path, group=group, action=action,
        content_type=request.headers.get("Content-Type", ""),
        body=redact(parsed) if isinstance(parsed, dict) else None, body_bytes=len(raw),
        peer=peer))


async def _drop(request: web.Request) -> web.StreamResponse:
    """Close the connection with no response at all (what a crashed upstream looks like)."""
    transport = request.transport
    if transport is not None:
        # close(), not abort(): a FIN reads as "disconnected without a response" every time,
        # where a RST races the client's read and sometimes reads as "connection reset".
        transport.close()
    # The peer is gone; aiohttp discards a response written to an aborted transport.
    raise asyncio.CancelledError


async def _trickle(request: web.Request, payload: bytes, total_ms: int) -> web.StreamResponse:
    response = web.StreamResponse(headers=DEEPCALL_HEADERS)
    response.content_type = "application/json"
    response.charset = "utf-8"
    response.content_length = len(payload)
    await response.prepare(request)
    step = max(1, -(-len(payload) // TRICKLE_PIECES))
    delay = total_ms / 1000 / TRICKLE_PIECES
    try:
        for start in range(0, len(payload), step):
            await response.write(payload[start:start + step])
            await asyncio.sleep(delay)
        await response.write_eof()
    except ConnectionResetError:
        # The client gave up mid-answer (its deadline is exactly what a trickle tests): an
        # expected outcome, not a server fault. Returning the half-sent response lets aiohttp
        # file it as a premature disconnection instead of logging a traceback to the console.
        log.debug("client hung up during a trickled answer to %s", request.path)
    return response


async def _huge_promise(request: web.Request, hold_ms: int) -> web.StreamResponse:
    """Headers that declare a 64 MiB body, then silence: only a client that reads the declared
    length refuses at once; one that waits for the bytes waits out its deadline."""
    response = web.StreamResponse(headers=DEEPCALL_HEADERS)
    response.content_type = "application/json"
    response.content_length = HUGE_PROMISE_BYTES
    await response.prepare(request)
    await asyncio.sleep(hold_ms / 1000)
    return await _drop(request)


# Fault kind -> the Content-Type sent with the normal JSON answer (None: no header at all).
MISLABELS: dict[FaultKind, str | None] = {FaultKind.JSON_AS_HTML: "text/html; charset=utf-8",
                                          FaultKind.JSON_AS_TEXT: "text/plain; charset=utf-8",
                                          FaultKind.JSON_UNLABELLED: None}


class _UnlabelledResponse(web.Response):
    """A response with no Content-Type header at all, as some gateways send."""

    async def _prepare_headers(self) -> None:
        await super()._prepare_headers()
        # aiohttp labels any body application/octet-stream while preparing the headers.
        self.headers.popall("Content-Type", None)


def _mislabelled(payload: object, content_type: str | None) -> web.Response:
    if content_type is None:
        return _UnlabelledResponse(body=json_bytes(payload), headers=DEEPCALL_HEADERS)
    return web.Response(body=json_bytes(payload),
                        headers={**DEEPCALL_HEADERS, "Content-Type": content_type})


async def api_handler(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    group, action = request.match_info["group"], request.match_info["action"]
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        # aiohttp's own answer would be an HTML 413; DeepCall's shape is an error body.
        return json_response(ApiError(INVALID_PARAMETER, "the body is too large").to_json())
    _log_request(state, request, group, action, raw)

    plan = state.faults.plan(group, action)
    if plan.latency_ms:
        await asyncio.sleep(plan.latency_ms / 1000)
    kind = plan.fault.kind if plan.fault else None
    if kind is FaultKind.HTTP_502:
        return web.Response(text=BAD_GATEWAY_HTML, status=502, content_type="text/html")
    if kind is FaultKind.HTTP_503:
        return web.Response(text=UNAVAILABLE_HTML, status=503, content_type="text/html")
    if kind is FaultKind.MALFORMED_JSON:
        return web.Response(text=MALFORMED_JSON, content_type="application/json")
    if kind is FaultKind.DROP:
        return await _drop(request)
    if kind is FaultKind.OVERSIZED:
        filler = "x" * OVERSIZED_BYTES
        return json_response({"message": {"Cu": {"mobile": 918302390884, "Notes": filler}},
                              "status": "success"})
    if kind is FaultKind.INTERNAL:
        return json_response(ApiError(INTERNAL_SERVER_ERROR).to_json())
    if kind is FaultKind.HUGE_PROMISE and plan.fault is not None:
        return await _huge_promise(request, plan.fault.ms)

    payload = answer(state, group, action, raw)
    if kind is FaultKind.DROP_AFTER:
        return await _drop(request)  # handled (stored) above; the answer never leaves
    if kind in MISLABELS:
        return _mislabelled(payload, MISLABELS[kind])
    if kind is FaultKind.TRICKLE and plan.fault is not None:
        return await _trickle(request, json_bytes(payload), plan.fault.ms)
    return json_response(payload)


# --- /__sandbox__/ admin API -------------------------------------------------------------------

async def admin_health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def admin_reset(request: web.Request) -> web.Response:
    request.app[STATE_KEY].reset()
    return web.json_response({"ok": True})


async def admin_get_faults(request: web.Request) -> web.Response:
    faults = request.app[STATE_KEY].faults.active()
    return web.json_response({"faults": [f.to_json() for f in faults]})


async def admin_set_faults(request: web.Request) -> web.Response:
    """Body ``{"faults": [spec-or-object, ...], "add": false}``: replace (or add to) the faults."""
    state = request.app[STATE_KEY]
    try:
        body = json.loads(await request.text())
        if not isinstance(body, dict) or not isinstance(body.get("faults"), list):
            raise ValueError('send {"faults": [...]}')
        faults = [Fault.from_json(item) for item in body["faults"]]
    except ValueError as error:
        return web.json_response({"ok": False, "error": str(error)}, status=400)
    if body.get("add"):
        for fault in faults:
            state.faults.add(fault)
    else:
        state.faults.set(faults)
    return await admin_get_faults(request)


async def admin_clear_faults(request: web.Request) -> web.Response:
    request.app[STATE_KEY].faults.clear()
    return web.json_response({"faults": []})


async def admin_requests(request: web.Request) -> web.Response:
    entries = request.app[STATE_KEY].requests.entries()
    return web.json_response({"requests": [e.to_json() for e in entries]})


async def admin_clear_requests(request: web.Request) -> web.Response:
    request.app[STATE_KEY].requests.clear()
    return web.json_response({"requests": []})


async def admin_notes(request: web.Request) -> web.Response:
    """Notes added to calls, ``?account=demo&callerNumber=...`` (both optional)."""
    state = request.app[STATE_KEY]
    name = request.query.get("account", "demo")
    account = next((a for a in ACCOUNTS if a.name == name), None)
    if account is None:
        return web.json_response({"ok": False, "error": f"no account {name!r}"}, status=404)
    notes = state.store.notes(account, request.query.get("callerNumber"))
    return web.json_response({"notes": [{"callId": n.call_id, "callerNumber": n.number,
                                         "content": n.content} for n in notes]})


def _account_named(body: Mapping[str, object]) -> Account:
    name = body.get("account", "demo")
    account = next((a for a in ACCOUNTS if a.name == name), None)
    if account is None:
        raise ValueError(f"no account {name!r}")
    return account


async def admin_craft_contact_info(request: web.Request) -> web.Response:
    """Body ``{"callerNumber": "...", "groups": {group: {label: value}}, "account": "demo"}``:
    contactInfo for that number answers ``groups`` as is until the next reset."""
    state = request.app[STATE_KEY]
    try:
        body = json.loads(await request.text())
        if not isinstance(body, dict) or not isinstance(body.get("callerNumber"), str) \
                or not isinstance(body.get("groups"), dict) \
                or not all(isinstance(g, dict) for g in body["groups"].values()):
            raise ValueError('send {"callerNumber": "...", "groups": {group: {label: value}}}')
        state.store.craft_contact_info(_account_named(body), body["callerNumber"],
                                       body["groups"])
    except ValueError as error:
        return web.json_response({"ok": False, "error": str(error)}, status=400)
    return web.json_response({"ok": True})


async def _admin_body(request: web.Request, usage: str) -> dict[str, object]:
    """The admin call's JSON object with a string ``number``; ValueError(usage) if not."""
    try:
        body = json.loads(await request.text())
    except ValueError:
        raise ValueError(usage) from None
    if not isinstance(body, dict) or not isinstance(body.get("number"), str):
        raise ValueError(usage)
    return body


async def admin_dnc(request: web.Request) -> web.Response:
    """Body ``{"number": "...", "account": "demo"}``: the number goes on the Do-Not-Call list;
    Directory create/update of it answer 1510 until the next reset."""
    state = request.app[STATE_KEY]
    try:
        body = await _admin_body(request, 'send {"number": "..."}')
        state.store.mark_dnc(_account_named(body), str(body["number"]))
    except ValueError as error:
        return web.json_response({"ok": False, "error": str(error)}, status=400)
    return web.json_response({"ok": True})


async def admin_race_create(request: web.Request) -> web.Response:
    """Body ``{"number": "...", "contactinfo": {key: text}, "account": "demo"}``: a colleague's
    create of that number lands just before the next Directory create of it (which answers
    1504)."""
    state = request.app[STATE_KEY]
    usage = 'send {"number": "...", "contactinfo": {key: text}}'
    try:
        body = await _admin_body(request, usage)
        info = body.get("contactinfo", {})
        if not isinstance(info, dict) or not all(isinstance(v, str) for v in info.values()):
            raise ValueError(usage)
        state.store.race_next_create(_account_named(body), str(body["number"]), info)
    except ValueError as error:
        return web.json_response({"ok": False, "error": str(error)}, status=400)
    return web.json_response({"ok": True})


async def admin_accounts(request: web.Request) -> web.Response:
    """Account names and user ids (never the tokens or ssids)."""
    return web.json_response({"accounts": [
        {"name": a.name, "userId": a.user_id, "unknownCaller": a.unknown_caller.value,
         "suspended": a.suspended, "groups": a.groups()} for a in ACCOUNTS]})


def create_app(state: SandboxState) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    app[STATE_KEY] = state
    app.router.add_post("/api/v2/{group:agentDashboard|Directory}/{action}", api_handler)
    admin = "/__sandbox__"
    app.router.add_get(f"{admin}/health", admin_health)
    app.router.add_post(f"{admin}/reset", admin_reset)
    app.router.add_get(f"{admin}/faults", admin_get_faults)
    app.router.add_post(f"{admin}/faults", admin_set_faults)
    app.router.add_delete(f"{admin}/faults", admin_clear_faults)
    app.router.add_get(f"{admin}/requests", admin_requests)
    app.router.add_delete(f"{admin}/requests", admin_clear_requests)
    app.router.add_get(f"{admin}/notes", admin_notes)
    app.router.add_get(f"{admin}/accounts", admin_accounts)
    app.router.add_post(f"{admin}/contact-info", admin_craft_contact_info)
    app.router.add_post(f"{admin}/dnc", admin_dnc)
    app.router.add_post(f"{admin}/race-create", admin_race_create)
    return app
