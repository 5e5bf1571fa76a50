"""The local socket's line protocol, as pure parsing (no Qt, no I/O).

One request per line (UTF-8, at most ``MAX_LINE_BYTES``), one JSON reply line each:

* a bare number or URI: ``+918302390884``, ``08302390884``, ``tel:+91-83023-90884``
* a JSON object: ``{"number": "...", "callId": "...", "direction": "inbound", "source": "..."}``
* ``state`` or ``{"cmd": "state"}``: the app's state; ``show`` or ``{"cmd": "show"}``: bring
  the window to the front.

Replies: ``{"ok": true, ...}`` or ``{"ok": false, "error": "plain-language reason"}``.
README.md, "Connect your softphone" documents this for softphone integrators.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final, Literal

from app.core.phone import DEFAULT_REGION, normalise, strip_uri

MAX_LINE_BYTES = 4096
MAX_CALL_ID = 128
MAX_SOURCE = 64
DIRECTIONS = ("inbound", "outbound")
MAX_LINE_NAME: Final = 64  # the dialled line or queue ("Sales IN")
MAX_AGENT: Final = 64  # "fromAgent" of a transfer
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


Message = PopRequest | CallEvent | StateQuery | ShowRequest


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


def _pop_from_number(raw: object, default_region: str, **extra: str | None) -> PopRequest:
    if not isinstance(raw, str) or not raw.strip():
        raise ProtocolError('"number" must be a non-empty string')
    e164 = normalise(raw, default_region)
    if e164 is None:
        shown = strip_uri(raw)[:40]
        raise ProtocolError(f"not a valid phone number: {shown!r}")
    return PopRequest(number=e164, **extra)


def _parse_object(obj: dict[str, Any], default_region: str) -> Message:
    cmd = obj.get("cmd", "pop")
    if cmd == "state":
        return StateQuery()
    if cmd == "show":
        return ShowRequest()
    if cmd != "pop":
        raise ProtocolError(f"unknown command {str(cmd)[:20]!r} (use pop, state or show)")
    if "number" not in obj:
        raise ProtocolError('missing "number"')
    direction = _optional_text(obj, "direction", 16)
    if direction is not None:
        direction = direction.lower()
        if direction not in DIRECTIONS:
            raise ProtocolError('"direction" must be "inbound" or "outbound"')
    return _pop_from_number(
        obj["number"], default_region,
        call_id=_optional_text(obj, "callId", MAX_CALL_ID),
        direction=direction,
        source=_optional_text(obj, "source", MAX_SOURCE),
    )


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
    return _pop_from_number(text, default_region)


def encode_reply(payload: dict[str, Any]) -> bytes:
    """A reply dict -> one compact JSON line (ASCII-only, so any client can read it)."""
    line = json.dumps(payload, separators=(",", ":"), ensure_ascii=True, default=str)
    return line.encode() + b"\n"


def ok_reply(**fields: Any) -> bytes:
    return encode_reply({"ok": True, **fields})


def error_reply(reason: str) -> bytes:
    return encode_reply({"ok": False, "error": reason})


def pop_line(request: PopRequest) -> str:
    """The JSON line a client sends for ``request`` (without the newline)."""
    payload: dict[str, str] = {"number": request.number or "anonymous"}  # issue 11, part P
    if request.call_id:
        payload["callId"] = request.call_id
    if request.direction:
        payload["direction"] = request.direction
    if request.source:
        payload["source"] = request.source
    return json.dumps(payload, separators=(",", ":"))


STATE_LINE = '{"cmd":"state"}'
SHOW_LINE = '{"cmd":"show"}'
