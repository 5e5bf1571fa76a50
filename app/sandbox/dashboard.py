"""Agent Dashboard actions (``/api/v2/agentDashboard/<action>``) over the store.

Each handler takes the authenticated account and the request body and returns the success
``message`` or raises :class:`ApiError`. Conditions -> codes, beyond auth (see app.sandbox.auth):

- a required parameter missing or empty, or a ``callerNumber`` that is no phone number,
  or a ``field`` that is no label of the account -> 1000
- a parameter of the wrong JSON type (``callerNumber`` as list/object/bool/float, ``content``
  or ``callId`` not a string, ``field`` not a string) -> 1001
- an action the sandbox does not serve (e.g. ``recording``) -> 1004 (no such file/resource)
- ``notesAdd`` with a ``callId`` that is not a call with that ``callerNumber`` -> 1501
  (``callerNumber`` ``anonymous``: a call whose caller withheld their number)
- unknown caller on contactInfo -> per account (see app.sandbox.accounts)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping

from app.sandbox.accounts import Account, UnknownCallerShape
from app.sandbox.protocol import (
    AGENT_DASHBOARD_ERROR,
    INVALID_DATA_TYPE,
    INVALID_PARAMETER,
    NO_DATA_FOUND,
    ApiError,
)
from app.sandbox.records import AccountData, ContactRecord, Note
from app.sandbox.seed import WITHHELD_CALLER
from app.sandbox.store import Store, calls_with, find_contact

Body = Mapping[str, object]


def required_text(body: Body, key: str, *, allow_int: bool = False) -> str:
    value = body.get(key)
    if value is None:
        raise ApiError(INVALID_PARAMETER, f"{key} is required")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ApiError(INVALID_DATA_TYPE, f"{key} must be a string")
    if isinstance(value, int) and not allow_int:
        raise ApiError(INVALID_DATA_TYPE, f"{key} must be a string")
    text = str(value).strip()
    if not text:
        raise ApiError(INVALID_PARAMETER, f"{key} is required")
    return text


def _caller_key(data: AccountData, body: Body) -> tuple[str, ContactRecord | None]:
    raw = required_text(body, "callerNumber", allow_int=True)
    key, record = find_contact(data, raw)
    if key is None:
        raise ApiError(INVALID_PARAMETER, "callerNumber is not a valid phone number")
    return key, record


def contact_groups(account: Account, key: str, record: ContactRecord | None,
                   only_label: str | None = None) -> dict[str, dict[str, object]]:
    """The ``message`` of contactInfo: groups of label -> value, ``mobile`` first.

    The primary group is always present; another group only when one of its fields has a
    value (DeepCall shows a "Lead" block only for leads).
    """
    values = record.values if record is not None else {}
    groups: dict[str, dict[str, object]] = {}
    primary = account.primary_group
    if only_label in (None, "mobile"):
        groups[primary] = {"mobile": int(key)}
        if only_label == "mobile":
            return groups
    for spec in account.fields:
        if only_label is not None and spec.label != only_label:
            continue
        value = values.get(spec.key, "")
        group = groups.setdefault(spec.group, {}) if spec.group == primary or value else None
        if group is not None:
            group[spec.label] = value
    if only_label is not None and not groups:  # the label's group is hidden: show it empty
        spec = next(s for s in account.fields if s.label == only_label)
        groups[spec.group] = {spec.label: ""}
    return groups


def _field_label(account: Account, body: Body) -> str | None:
    value = body.get("field")
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(INVALID_DATA_TYPE, "field must be a string")
    wanted = value.strip()
    if not wanted or wanted.lower() == "all":
        return None
    if wanted.lower() == "mobile":
        return "mobile"
    for spec in account.fields:
        if wanted.lower() in (spec.label.lower(), spec.key):
            return spec.label
    raise ApiError(INVALID_PARAMETER, f"unknown field {wanted!r}")


def contact_info(store: Store, account: Account, body: Body) -> object:
    only_label = _field_label(account, body)

    def run(data: AccountData) -> object:
        key, record = _caller_key(data, body)
        if key in data.crafted:
            return data.crafted[key]
        if record is None:
            if account.unknown_caller is UnknownCallerShape.NO_DATA_ERROR:
                raise ApiError(NO_DATA_FOUND)
            if account.unknown_caller is UnknownCallerShape.EMPTY_MESSAGE:
                return {}
        return contact_groups(account, key, record, only_label)

    return store.with_account(account, run)


def recent_calls(store: Store, account: Account, body: Body) -> object:
    def run(data: AccountData) -> object:
        key, _record = _caller_key(data, body)
        return [call.to_json() for call in calls_with(data, key)]

    return store.with_account(account, run)


def counters(store: Store, account: Account, body: Body) -> object:
    def run(data: AccountData) -> object:
        per_campaign = Counter(call.campaign for call in data.calls)
        return {
            "loginType": account.login_type,
            "agentStatus": (account.agent_status if data.crafted_agent_status is None
                            else data.crafted_agent_status),
            "totalCalls": len(data.calls),
            "answeredCalls": sum(1 for c in data.calls if c.status == "answered"),
            "missedCalls": sum(1 for c in data.calls if c.status == "missed"),
            "talkTimeSeconds": sum(c.duration for c in data.calls),
            "campaigns": [{"name": name, "calls": count}
                          for name, count in sorted(per_campaign.items())],
        }

    return store.with_account(account, run)


def _withheld_caller(body: Body) -> bool:
    """A note on a call whose caller withheld their number names them ``anonymous``: only
    notesAdd takes that (there is no contact to look up)."""
    value = body.get("callerNumber")
    return isinstance(value, str) and value.strip().lower() == WITHHELD_CALLER


def notes_add(store: Store, account: Account, body: Body) -> object:
    content = required_text(body, "content")
    call_id = required_text(body, "callId", allow_int=True)

    def run(data: AccountData) -> object:
        key = WITHHELD_CALLER if _withheld_caller(body) else _caller_key(data, body)[0]
        if not any(c.call_id == call_id for c in calls_with(data, key)):
            raise ApiError(AGENT_DASHBOARD_ERROR, "callId does not belong to callerNumber")
        data.notes.append(Note(call_id, key, content))
        return "Note added"

    return store.with_account(account, run)


ACTIONS: dict[str, Callable[[Store, Account, Body], object]] = {
    "contactInfo": contact_info,
    "recentCalls": recent_calls,
    "counters": counters,
    "notesAdd": notes_add,
}
