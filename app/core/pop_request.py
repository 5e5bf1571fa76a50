"""The local socket's line protocol, as pure parsing (no Qt, no I/O).

One request per line (UTF-8, at most ``MAX_LINE_BYTES``), one JSON reply line each:

* a bare number or URI: ``+918302390884``, ``08302390884``, ``tel:+91-83023-90884``
* a JSON object: ``{"number": "...", "callId": "...", "direction": "inbound", "source": "...",
  "line": "Sales IN", "fromAgent": "Priya"}``
* a call event: the same object with ``"event"``: ``ringing`` (a pop), ``answered``, ``ended``
  or ``transferred`` (``number`` is the ORIGINAL caller, ``fromAgent`` who transferred it);
  ``callId`` is required in this form.
* a withheld caller id (``anonymous``, ``sip:private@host``, ``""``, ``000000``...): a pop
  with ``number`` None (app/core/caller_id.py says which ids are withheld).
* ``state`` or ``{"cmd": "state"}``: the app's state; ``show`` or ``{"cmd": "show"}``: bring
  the window to the front.
* ``{"cmd": "hello", "nonce": "<32 hex digits>"}``: the app proves it is this user's own
  (app/sources/instance_proof.py); the pipe client sends it before its request.

Replies: ``{"ok": true, ...}`` (``"event"`` and ``"callId"`` for an event; ``"withheld": true,
"number": null`` for a withheld pop) or ``{"ok": false, "error": "plain-language reason"}``.
README.md, "Connect your softphone" documents this for softphone integrators.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any, Final, Literal

from app.core.caller_id import is_withheld
from app.core.phone import DEFAULT_REGION, normalise, strip_uri

log = logging.getLogger(__name__)

MAX_LINE_BYTES = 4096
MAX_CALL_ID = 128
MAX_SOURCE = 64
DIRECTIONS = ("inbound", "outbound")
MAX_LINE_NAME: Final = 64  # the dialled line or queue ("Sales IN")
MAX_AGENT: Final = 64  # "fromAgent" of a transfer
_NONCE = re.compile(r"[0-9a-f]{32}")
CallEventKind = Literal["ringing", "answered", "ended", "transferred"]
CALL_EVENTS: Final[tuple[CallEventKind, ...]] = ("ringing", "answered", "ended", "transferred")


@dataclass(frozen=True)
class PopRequest:
    """A validated request to pop a caller (a call ringing): ``number`` is E.164, or None
    when the caller withheld it (``anonymous``, ``private``, an empty id, all zeros...)."""

    number: str | None
    call_id: str | None = None
    direction: str | None = None
    source: str | None = None
    line: str | None = None  # the dialled line or queue, as the softphone names it
    from_agent: str | None = None  # the call was transferred to this agent by this one

    @property
    def withheld(self) -> bool:
        return self.number is None


@dataclass(frozen=True)
class CallEvent:
    """A call's lifecycle event, tied to its call id (``ringing`` arrives as a PopRequest).

    ``answered`` and ``ended`` may carry the number and line (a softphone that never sent
    ``ringing``); ``transferred`` always names the original caller in ``number`` (or says it
    is withheld) and the agent it came from in ``from_agent``.
    """

    event: CallEventKind
    call_id: str
    number: str | None = None  # E.164 when given (and not withheld)
    withheld: bool = False  # the event named a withheld caller id
    line: str | None = None
    from_agent: str | None = None
    source: str | None = None
    direction: str | None = None


@dataclass(frozen=True)
class StateQuery:
    """``state``: answer with the app's state JSON."""


@dataclass(frozen=True)
class ShowRequest:
    """``show``: bring the window to the front (a plain second start sends this)."""


@dataclass(frozen=True)
class HelloRequest:
    """``hello``: answer with the proof that this is the user's own app (instance_proof)."""

    nonce: str


Message = PopRequest | CallEvent | StateQuery | ShowRequest | HelloRequest


class ProtocolError(ValueError):
    """A line that is not a valid request; ``str(err)`` is the reason sent back to the client."""


def _optional_text(obj: dict[str, Any], key: str, limit: int) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ProtocolError(f'"{key}" must be a string')
    text = str(value).strip()
    if len(text) > limit:
        raise ProtocolError(f'"{key}" is longer than {limit} characters')
    if not text.isprintable():
        raise ProtocolError(f'"{key}" contains control characters')
    return text or None


def _caller(raw: object, default_region: str) -> str | None:
    """The caller's E.164 number, or None when the id says the number is withheld."""
    if raw is None:  # JSON null: the softphone has no number to present, as with ""
        return None
    if not isinstance(raw, str):
        raise ProtocolError('"number" must be a string')
    if is_withheld(raw):
        return None
    e164 = normalise(raw, default_region)
    if e164 is None:
        shown = strip_uri(raw)[:40]
        raise ProtocolError(f"not a valid phone number: {shown!r}")
    return e164


def _event_kind(obj: dict[str, Any]) -> CallEventKind | None:
    """The ``"event"`` of a call event object; None for today's plain pop object."""
    if "event" not in obj:
        return None
    value = obj["event"]
    word = value.strip().lower() if isinstance(value, str) else None
    for kind in CALL_EVENTS:
        if word == kind:
            return kind
    raise ProtocolError('"event" must be "ringing", "answered", "ended" or "transferred"')


def _direction(obj: dict[str, Any]) -> str | None:
    direction = _optional_text(obj, "direction", 16)
    if direction is None:
        return None
    direction = direction.lower()
    if direction not in DIRECTIONS:
        raise ProtocolError('"direction" must be "inbound" or "outbound"')
    return direction


def _parse_object(obj: dict[str, Any], default_region: str) -> Message:
    cmd = obj.get("cmd", "pop")
    if cmd == "state":
        return StateQuery()
    if cmd == "show":
        return ShowRequest()
    if cmd == "hello":
        nonce = obj.get("nonce")
        if not isinstance(nonce, str) or not _NONCE.fullmatch(nonce):
            raise ProtocolError('"nonce" must be 32 hex digits')
        return HelloRequest(nonce)
    if cmd != "pop":
        raise ProtocolError(f"unknown command {str(cmd)[:20]!r} (use pop, state or show)")
    event = _event_kind(obj)
    call_id = _optional_text(obj, "callId", MAX_CALL_ID)
    details: dict[str, str | None] = {
        "direction": _direction(obj),
        "source": _optional_text(obj, "source", MAX_SOURCE),
        "line": _optional_text(obj, "line", MAX_LINE_NAME),
        "from_agent": _optional_text(obj, "fromAgent", MAX_AGENT),
    }
    if event in (None, "ringing"):
        if "number" not in obj:
            raise ProtocolError('missing "number"')
        if event is not None and call_id is None:
            raise ProtocolError('missing "callId" (every call event needs it)')
        return PopRequest(_caller(obj["number"], default_region), call_id=call_id, **details)
    if call_id is None:
        raise ProtocolError('missing "callId" (every call event needs it)')
    if event == "transferred" and "number" not in obj:
        raise ProtocolError('missing "number" (a transfer names the original caller)')
    # answered/ended may name the caller; a null there names nobody (a transfer's null is
    # a caller without a number, as in a pop).
    named = "number" in obj and (obj["number"] is not None or event == "transferred")
    number = None
    if named and event == "transferred":
        number = _caller(obj["number"], default_region)
    elif named:
        # Optional here, and the call id names the call: a caller id that is no number (a
        # carrier's "Private Number") must not cost the call its answered or its end.
        try:
            number = _caller(obj["number"], default_region)
        except ProtocolError:
            if not isinstance(obj["number"], str):
                raise  # not a caller id at all: the client is broken, not the caller id
            log.warning("call %s: the %s event's caller id is no phone number; ignored",
                        call_id, event)
            named = False
    return CallEvent(event, call_id, number=number, withheld=named and number is None, **details)


def parse_line(raw: bytes, default_region: str = DEFAULT_REGION) -> Message:
    """One request line (without its newline) -> a message; raises ProtocolError with a reason."""
    if len(raw) > MAX_LINE_BYTES:
        raise ProtocolError(f"line longer than {MAX_LINE_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("line is not UTF-8 text") from None
    # A leading BOM is how some editors and Windows tools start UTF-8 text, not content.
    text = text.removeprefix("\ufeff").strip()
    if not text:
        raise ProtocolError("empty line")
    if "\x00" in text or not text.isprintable():
        raise ProtocolError("line contains control characters")
    if text.startswith("{"):
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError):
            raise ProtocolError("broken JSON") from None
        if not isinstance(obj, dict):
            raise ProtocolError("JSON request must be an object")
        return _parse_object(obj, default_region)
    word = text.lower()
    if word == "state":
        return StateQuery()
    if word == "show":
        return ShowRequest()
    return PopRequest(_caller(text, default_region))


def encode_reply(payload: dict[str, Any]) -> bytes:
    """A reply dict -> one compact JSON line (ASCII-only, so any client can read it)."""
    line = json.dumps(payload, separators=(",", ":"), ensure_ascii=True, default=str)
    return line.encode() + b"\n"


def ok_reply(**fields: Any) -> bytes:
    return encode_reply({"ok": True, **fields})


def error_reply(reason: str) -> bytes:
    return encode_reply({"ok": False, "error": reason})


def _optional_keys(**values: str | None) -> dict[str, str]:
    return {key: value for key, value in values.items() if value}


def pop_line(request: PopRequest) -> str:
    """The JSON line a client sends for ``request`` (without the newline); a withheld caller
    goes as the empty id ``""``."""
    payload = {"number": request.number or "", **_optional_keys(
        callId=request.call_id, direction=request.direction, source=request.source,
        line=request.line, fromAgent=request.from_agent)}
    return json.dumps(payload, separators=(",", ":"))


def event_line(event: CallEvent) -> str:
    """The JSON line a client sends for a call ``event`` (without the newline)."""
    payload: dict[str, str] = {"event": event.event, "callId": event.call_id}
    if event.number or event.withheld:
        payload["number"] = event.number or ""
    payload.update(_optional_keys(
        line=event.line, fromAgent=event.from_agent, source=event.source,
        direction=event.direction))
    return json.dumps(payload, separators=(",", ":"))


STATE_LINE = '{"cmd":"state"}'
SHOW_LINE = '{"cmd":"show"}'
