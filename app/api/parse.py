"""DeepCall answers -> typed results, or a typed error. Nothing here raises anything else.

contactInfo is parsed generically (every group, every label, values exactly as JSON gave them:
Python's ``json`` keeps integers exact, so a 12-digit ``mobile`` keeps every digit).
recentCalls and counters have no published shape, so every plausible one is accepted and
anything else is a ``BadResponse``, never a crash.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Final

from app.api.errors import BadResponse, DeepCallError
from app.api.models import CampaignCount, Counters, RecentCall
from app.core.contact import Contact, ContactGroup, FieldValue, LookupResult, UnknownCaller
from app.core.error_messages import ApiGroup

NO_DATA_FOUND: Final = 1012
MAX_SERVER_MESSAGE: Final = 300
_MIN_SECRET_LEN: Final = 4  # shorter "secrets" would garble every message they occur in

_BAD_SHAPE = ("DeepCall sent an answer in a shape this app does not understand. Check that the "
              "DeepCall address in Settings is your account's API host; if it is, tell your "
              "administrator.")
_NOT_JSON = ("DeepCall sent an answer this app cannot read. Check that the DeepCall address in "
             "Settings is your account's API host (not a web page or a login portal), then try "
             "again.")

# Labels that hold the caller's own number: an entry with only these filled is no contact.
_NUMBER_LABELS: Final = frozenset({"mobile", "phone", "number", "contact", "callernumber",
                                   "mobile number", "phone number", "mobileno", "cn"})


def redact(text: str, secrets: Iterable[object]) -> str:
    for secret in secrets:
        secret_text = str(secret)  # a corrupted store may hand over a non-string "secret"
        if len(secret_text) >= _MIN_SECRET_LEN:
            text = text.replace(secret_text, "<redacted>")
    return text


def bad_shape(detail: str) -> BadResponse:
    return BadResponse(_BAD_SHAPE, detail)


def decode_json(body: bytes, content_type: str = "") -> object:
    """The JSON document in ``body``; BadResponse for empty, HTML, or malformed bodies.

    The body decides, not ``content_type`` (only named in the detail): back-ends and gateways
    often label DeepCall's JSON text/html or text/plain, or not at all.
    """
    labelled = content_type or "no content type"
    if not body.strip():
        raise BadResponse(_NOT_JSON, "empty body")
    if body.lstrip().removeprefix(b"\xef\xbb\xbf").lstrip()[:1] == b"<":
        raise BadResponse(_NOT_JSON, f"an HTML page ({labelled})")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        error = BadResponse(_NOT_JSON, f"malformed JSON ({type(exc).__name__})")
    else:
        if "json" in content_type.lower() or _is_envelope(data):
            return data
        # Not labelled JSON and not DeepCall's envelope: some other site's JSON (a portal's).
        error = BadResponse(_NOT_JSON, f"JSON without a status ({labelled})")
    raise error  # outside the except: the body (maybe with secrets) stays out of __context__


def _is_envelope(data: object) -> bool:
    return isinstance(data, dict) and ("status" in data or "code" in data)


def _code(raw: object) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        return int(raw.strip()[:9])
    return None


def _server_message(raw: object, secrets: Iterable[str]) -> str:
    text = raw if isinstance(raw, str) else "" if raw is None else type(raw).__name__
    return redact(text[:MAX_SERVER_MESSAGE], secrets)


def check_envelope(data: object, group: ApiGroup, action: str,
                   secrets: Iterable[str] = ()) -> dict[str, object]:
    """The success envelope as a dict; DeepCallError for ``status: error``; else BadResponse."""
    if not isinstance(data, dict):
        raise bad_shape(f"{action}: top level is {type(data).__name__}, not an object")
    status = data.get("status")
    status_text = status.strip().lower() if isinstance(status, str) else None
    code = _code(data.get("code"))
    if status_text == "success" or status is True:
        return data
    if (status_text in {"error", "fail", "failed", "failure"} or status is False
            or (status is None and code is not None)):
        raise DeepCallError(code, _server_message(data.get("message"), secrets), group, action)
    raise bad_shape(f"{action}: no success/error status")


def _is_empty(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list | dict) and not value


def _digits(value: object) -> str:
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return str(abs(value)) if value.bit_length() < 200 else ""
    if isinstance(value, str):
        return "".join(ch for ch in value if ch.isascii() and ch.isdigit())
    return ""


def _is_number_field(label: str, value: object, caller_digits: str) -> bool:
    if label.strip().lower() in _NUMBER_LABELS:
        return True
    # The caller's own number under another label, in any form: international (918302...),
    # national with its trunk 0 (08302...), or bare; a different or short number is data.
    digits = _digits(value).lstrip("0")
    return len(digits) >= 6 and bool(caller_digits) and (
        caller_digits.endswith(digits) or digits.endswith(caller_digits))


def parse_contact_info(data: object, caller_number: str,
                       secrets: Iterable[str] = ()) -> LookupResult:
    """contactInfo -> Contact, or UnknownCaller (1012, empty message, only empty fields)."""
    try:
        envelope = check_envelope(data, ApiGroup.AGENT_DASHBOARD, "contactInfo", secrets)
    except DeepCallError as error:
        if error.code == NO_DATA_FOUND:
            return UnknownCaller(caller_number)
        raise
    message = envelope.get("message")
    if _is_empty(message):
        return UnknownCaller(caller_number)
    if not isinstance(message, dict):
        raise bad_shape(f"contactInfo: message is {type(message).__name__}")
    groups: list[ContactGroup] = []
    for name, content in message.items():
        if _is_empty(content):  # PHP sends an empty group as [] or {}
            groups.append(ContactGroup(name, ()))
        elif isinstance(content, dict):
            fields: list[tuple[str, FieldValue]] = list(content.items())
            groups.append(ContactGroup(name, tuple(fields)))
        else:
            raise bad_shape(f"contactInfo: a group is {type(content).__name__}")
    caller_digits = _digits(caller_number)
    has_data = any(not _is_empty(value) and not _is_number_field(label, value, caller_digits)
                   for group in groups for label, value in group.fields)
    if not has_data:
        return UnknownCaller(caller_number, tuple(groups))
    return Contact(caller_number, tuple(groups))


# --- recentCalls -------------------------------------------------------------------------------

_LIST_KEYS: Final = ("calls", "data", "records", "recentCalls", "recent_calls", "list", "result",
                     "results", "items", "rows")
_CALL_ID: Final = ("callId", "call_id", "callid", "id", "uniqueId", "uuid")
_CALL_TYPE: Final = ("cType", "callType", "call_type", "ctype", "type", "direction")
_CALL_STATUS: Final = ("callStatus", "call_status", "status", "disposition")
_DURATION: Final = ("duration", "callDuration", "call_duration", "talkTime", "talk_time",
                    "billsec")
_START: Final = ("startTime", "start_time", "callTime", "call_time", "startedAt", "dateTime",
                 "date", "time", "createdAt", "timestamp")
_AGENT: Final = ("agentName", "agent_name", "agent", "masterAgent", "agentId")
_TIME_FORMATS: Final = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d-%m-%Y %H:%M:%S",
                        "%d/%m/%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%Y-%m-%d")


def _pick(item: Mapping[str, object], keys: Iterable[str]) -> tuple[str | None, object]:
    for key in keys:
        if key in item and item[key] is not None:
            return key, item[key]
    return None, None


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and value.bit_length() < 1000:
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return ""


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isascii() and text.lstrip("-").isdigit() and len(text) < 19:
            return int(text)
        try:
            number = float(text)
        except ValueError:
            return None
        return int(number) if math.isfinite(number) and number.is_integer() else None
    return None


def _seconds(value: object) -> int | None:
    """Seconds from 65, 65.0, "65" or "00:01:05"/"01:05"; None when unreadable or negative."""
    if isinstance(value, float) and math.isfinite(value) and value >= 0:
        return round(value)
    if isinstance(value, str) and ":" in value:
        parts = value.strip().split(":")
        if 2 <= len(parts) <= 3 and all(p.isascii() and p.isdigit() and len(p) <= 6
                                        for p in parts):
            total = 0
            for part in parts:
                total = total * 60 + int(part)
            return total
        return None
    number = _int(value)
    return number if number is not None and number >= 0 else None


def _start_time(value: object) -> datetime | None:
    try:
        if isinstance(value, str):
            text = value.strip()
            for fmt in _TIME_FORMATS:
                try:
                    return datetime.strptime(text, fmt)
                except ValueError:
                    continue
            return datetime.fromisoformat(text) if text else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            seconds = value / 1000 if value > 1e11 else value  # epoch milliseconds
            return datetime.fromtimestamp(seconds)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def _recent_call(item: Mapping[str, object]) -> RecentCall:
    used: set[str] = set()

    def take(keys: Iterable[str]) -> object:
        key, value = _pick(item, keys)
        if key is not None:
            used.add(key)
        return value

    call_id = _text(take(_CALL_ID))
    call_type = _text(take(_CALL_TYPE))
    status = _text(take(_CALL_STATUS))
    duration = _seconds(take(_DURATION))
    start = take(_START)
    agent = _text(take(_AGENT))
    extra = {key: value for key, value in item.items() if key not in used}
    return RecentCall(call_id=call_id, call_type=call_type, status=status,
                      duration_seconds=duration, start_time=_start_time(start),
                      start_time_text=_text(start), agent_name=agent, extra=extra)


def _looks_like_call(payload: Mapping[str, object]) -> bool:
    keys = set(payload)
    return any(key in keys for key in (*_CALL_ID[:3], *_CALL_TYPE[:3], *_CALL_STATUS[:2],
                                       *_START[:4]))


def _call_items(payload: object) -> list[object]:
    if _is_empty(payload):
        return []
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict):
        for key in _LIST_KEYS:
            if key in payload and (_is_empty(payload[key]) or isinstance(payload[key], list)):
                inner = payload[key]
                return inner if isinstance(inner, list) else []
        if _looks_like_call(payload):
            return [payload]
        if all(isinstance(value, dict) for value in payload.values()):  # {"0": {...}, ...}
            return list(payload.values())
    raise bad_shape(f"recentCalls: message is {type(payload).__name__} without a call list")


def _payload(envelope: dict[str, object]) -> object:
    if "message" in envelope:
        return envelope["message"]
    if "data" in envelope:
        return envelope["data"]
    return {key: value for key, value in envelope.items() if key not in {"status", "code"}}


def parse_recent_calls(data: object, secrets: Iterable[str] = ()) -> list[RecentCall]:
    """recentCalls -> the calls, newest first as sent; 1012 / empty -> []."""
    try:
        envelope = check_envelope(data, ApiGroup.AGENT_DASHBOARD, "recentCalls", secrets)
    except DeepCallError as error:
        if error.code == NO_DATA_FOUND:
            return []
        raise
    calls: list[RecentCall] = []
    for item in _call_items(_payload(envelope)):
        if not isinstance(item, dict):
            raise bad_shape(f"recentCalls: a call is {type(item).__name__}")
        calls.append(_recent_call(item))
    return calls


# --- counters ----------------------------------------------------------------------------------

_COUNTER_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "login_type": ("loginType", "login_type", "loginMode"),
    "agent_status": ("agentStatus", "agent_status", "status", "state"),
    "total_calls": ("totalCalls", "total_calls", "total", "calls"),
    "answered_calls": ("answeredCalls", "answered_calls", "answered", "connectedCalls"),
    "missed_calls": ("missedCalls", "missed_calls", "missed", "unansweredCalls"),
    "talk_time_seconds": ("talkTimeSeconds", "talk_time_seconds", "talkTime", "talk_time",
                          "totalTalkTime"),
    "campaigns": ("campaigns", "campaign", "campaignMetrics", "campaign_metrics"),
}


def _campaign(name: str, raw: object) -> CampaignCount:
    if isinstance(raw, dict):
        _, calls = _pick(raw, ("calls", "totalCalls", "total_calls", "count", "total"))
        return CampaignCount(name, _int(calls))
    return CampaignCount(name, _int(raw))


def _campaigns(raw: object) -> tuple[CampaignCount, ...]:
    if _is_empty(raw):
        return ()
    if isinstance(raw, dict):  # {"Sales": 12} or {"Sales": {"calls": 12}}
        return tuple(_campaign(name, value) for name, value in raw.items())
    if isinstance(raw, list):
        result = []
        for entry in raw:
            if isinstance(entry, str):
                result.append(CampaignCount(entry, None))
            elif isinstance(entry, dict):
                _, name = _pick(entry, ("name", "campaignName", "campaign_name", "campaign",
                                        "title", "id"))
                result.append(_campaign(_text(name), entry))
            else:
                raise bad_shape(f"counters: a campaign is {type(entry).__name__}")
        return tuple(result)
    raise bad_shape(f"counters: campaigns is {type(raw).__name__}")


def parse_counters(data: object, secrets: Iterable[str] = ()) -> Counters:
    envelope = check_envelope(data, ApiGroup.AGENT_DASHBOARD, "counters", secrets)
    payload = _payload(envelope)
    if isinstance(payload, list) and len(payload) == 1:
        payload = payload[0]
    if isinstance(payload, dict) and len(payload) == 1:
        (key, inner), = payload.items()
        if key in {"counters", "data", "stats"} and isinstance(inner, dict):
            payload = inner
    if _is_empty(payload):
        return Counters()
    if not isinstance(payload, dict):
        raise bad_shape(f"counters: message is {type(payload).__name__}")
    used: set[str] = set()
    values: dict[str, object] = {}
    for name, keys in _COUNTER_KEYS.items():
        key, values[name] = _pick(payload, keys)
        if key is not None:
            used.add(key)
    login, status = values["login_type"], values["agent_status"]
    return Counters(
        login_type=_text(login) if login is not None else None,
        agent_status=_text(status) if status is not None else None,
        total_calls=_int(values["total_calls"]),
        answered_calls=_int(values["answered_calls"]),
        missed_calls=_int(values["missed_calls"]),
        talk_time_seconds=_seconds(values["talk_time_seconds"]),
        campaigns=_campaigns(values["campaigns"]),
        extra={key: value for key, value in payload.items() if key not in used},
    )


# --- notesAdd and Directory --------------------------------------------------------------------

def parse_status_only(data: object, group: ApiGroup, action: str,
                      secrets: Iterable[str] = ()) -> dict[str, object]:
    """notesAdd / Directory create / update: success -> the envelope; error -> DeepCallError."""
    return check_envelope(data, group, action, secrets)


def parse_directory_info(data: object, secrets: Iterable[str] = ()) -> dict[str, object]:
    """Directory getInfo -> the contact's key/value map (``{}`` when the answer is empty)."""
    envelope = check_envelope(data, ApiGroup.DIRECTORY, "getInfo", secrets)
    payload = _payload(envelope)
    if isinstance(payload, list) and len(payload) == 1:
        payload = payload[0]
    if _is_empty(payload):
        return {}
    if not isinstance(payload, dict):
        raise bad_shape(f"getInfo: message is {type(payload).__name__}")
    return payload
