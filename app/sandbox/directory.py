"""Directory actions (``/api/v2/Directory/<action>``): read and write the account's contacts.

Conditions -> codes, beyond auth (see app.sandbox.auth). The Directory table has no 1001, so a
wrong type is 1000 here:

- ``cn``/``contact`` missing, empty or not a string/integer -> 1000
- ``cn``/``contact`` that is no phone number -> 1005
- getInfo/update of a number that has no contact; search that matches nothing -> 1012
- create of a number that already has a contact -> 1504 (also when a colleague's create,
  set up with ``Store.race_next_create``, lands just before it)
- create/update of a number on the Do-Not-Call list (``Store.mark_dnc``) -> 1510
- ``contactinfo``/``other`` not an object; a key the account does not have (e.g.
  ``custom_field_9``); ``name`` with anything but letters, spaces and dots; an invalid
  ``email``; ``dob``/``updatetime``/``lastcalltime`` not a real ``dd-mm-YYYY`` date;
  ``totalcalls`` not an integer; a value longer than 255 characters; ``field``/``project``
  naming an unknown key -> 1000
- an action the sandbox does not serve -> 1000
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import datetime

from app.sandbox.accounts import Account
from app.sandbox.numbers import candidate_keys
from app.sandbox.protocol import (
    DNC_ERROR,
    FAILED_TO_CREATE_DIRECTORY,
    INVALID_CONTACT_NUMBER,
    INVALID_PARAMETER,
    NO_DATA_FOUND,
    ApiError,
)
from app.sandbox.records import AccountData, ContactRecord
from app.sandbox.store import Store, find_contact

Body = Mapping[str, object]

MAX_VALUE_LENGTH = 255
METADATA_KEYS = ("createtime", "updatetime", "lastcalltime", "totalcalls")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
TODAY = "28-11-2026"  # fixed so the sandbox answers the same on every run


def _number(body: Body, key: str) -> str | int:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise ApiError(INVALID_PARAMETER, f"{key} is required")
    return value


def _date(name: str, value: str) -> None:
    try:
        datetime.strptime(value, "%d-%m-%Y")
    except ValueError:
        raise ApiError(INVALID_PARAMETER, f"{name} must be a date as dd-mm-YYYY") from None
    if not re.fullmatch(r"\d{2}-\d{2}-\d{4}", value):
        raise ApiError(INVALID_PARAMETER, f"{name} must be a date as dd-mm-YYYY")


def _valid_name(value: str) -> bool:
    # Letters of any script (with their combining marks: Devanagari vowel signs), spaces, dots.
    return all(ch in " ." or unicodedata.category(ch)[0] in "LM" for ch in value)


def validate_contactinfo(account: Account, raw: object) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ApiError(INVALID_PARAMETER, "contactinfo must be an object")
    allowed = set(account.directory_keys())
    clean: dict[str, str] = {}
    for key, value in raw.items():
        if key not in allowed:
            raise ApiError(INVALID_PARAMETER, f"contactinfo.{key} is not a field of this account")
        if not isinstance(value, str):
            raise ApiError(INVALID_PARAMETER, f"contactinfo.{key} must be a string")
        value = value.strip()
        if len(value) > MAX_VALUE_LENGTH:
            raise ApiError(INVALID_PARAMETER, f"contactinfo.{key} is too long")
        if value and key == "name" and not _valid_name(value):
            raise ApiError(INVALID_PARAMETER, "name may contain only letters, spaces and dots")
        if value and key == "email" and not _EMAIL.fullmatch(value):
            raise ApiError(INVALID_PARAMETER, "email is not a valid email address")
        if value and key == "dob":
            _date("dob", value)
        clean[key] = value
    return clean


def validate_other(raw: object) -> dict[str, object]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ApiError(INVALID_PARAMETER, "other must be an object")
    clean: dict[str, object] = {}
    for key, value in raw.items():
        if key in ("updatetime", "lastcalltime"):
            if not isinstance(value, str):
                raise ApiError(INVALID_PARAMETER, f"other.{key} must be a string")
            _date(key, value)
        elif key == "totalcalls":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ApiError(INVALID_PARAMETER, "other.totalcalls must be an integer")
        elif key == "createtime":
            raise ApiError(INVALID_PARAMETER, "other.createtime is set by the server")
        else:
            raise ApiError(INVALID_PARAMETER, f"other.{key} is not supported")
        clean[key] = value
    return clean


def _record_json(account: Account, key: str, record: ContactRecord,
                 with_metadata: bool) -> dict[str, object]:
    result: dict[str, object] = {"contact": key}
    result.update({k: record.values.get(k, "") for k in account.directory_keys()})
    if with_metadata:
        result.update({k: record.other.get(k, "") for k in METADATA_KEYS})
    return result


def _projection(account: Account, raw: object, name: str) -> list[str] | None:
    """Keys to return (None: every key incl. metadata) from a comma-separated list or 'all'."""
    if raw is None:
        return [*account.directory_keys()]
    if not isinstance(raw, str):
        raise ApiError(INVALID_PARAMETER, f"{name} must be a string")
    if raw.strip().lower() in ("", "all"):
        return None
    wanted = [part.strip() for part in raw.split(",") if part.strip()]
    known = {"contact", *account.directory_keys(), *METADATA_KEYS}
    unknown = [k for k in wanted if k not in known]
    if unknown:
        raise ApiError(INVALID_PARAMETER, f"unknown {name}: {', '.join(unknown)}")
    return wanted


def _project(full: dict[str, object], keys: list[str] | None) -> dict[str, object]:
    if keys is None:
        return full
    return {"contact": full["contact"], **{k: full[k] for k in keys if k != "contact"}}


def _existing(data: AccountData, raw: str | int) -> tuple[str, ContactRecord]:
    key, record = find_contact(data, raw)
    if key is None:
        raise ApiError(INVALID_CONTACT_NUMBER)
    if record is None:
        raise ApiError(NO_DATA_FOUND)
    return key, record


def _refuse_dnc(data: AccountData, key: str) -> None:
    if key in data.dnc:
        raise ApiError(DNC_ERROR, "this number is on the Do-Not-Call list")


def _colleague_creates_first(account: Account, data: AccountData, raw: str | int) -> None:
    """The racing create set up for this number (if any) lands now, before the one being
    handled, filed where that create would file it."""
    found = [data.racing_creates.pop(k) for k in candidate_keys(raw) if k in data.racing_creates]
    key, record = find_contact(data, raw)
    if found and key is not None and record is None:
        data.contacts[key] = _new_record(account, found[0], {})


def _new_record(account: Account, values: Mapping[str, str],
                other: Mapping[str, object]) -> ContactRecord:
    return ContactRecord(values={k: values.get(k, "") for k in account.directory_keys()},
                         other={"createtime": TODAY, "updatetime": TODAY, "lastcalltime": "",
                                "totalcalls": 0, **other})


def get_info(store: Store, account: Account, body: Body) -> object:
    raw = _number(body, "cn")
    keys = _projection(account, body.get("field"), "field")

    def run(data: AccountData) -> object:
        key, record = _existing(data, raw)
        return _project(_record_json(account, key, record, with_metadata=True), keys)

    return store.with_account(account, run)


def search(store: Store, account: Account, body: Body) -> object:
    raw = _number(body, "contact")
    digits = str(raw).strip().lstrip("+")
    if not digits.isdigit() or len(digits) < 3:
        raise ApiError(INVALID_CONTACT_NUMBER, "give at least 3 digits to search for")
    keys = _projection(account, body.get("project"), "project")

    def run(data: AccountData) -> object:
        found = [_project(_record_json(account, key, record, with_metadata=True), keys)
                 for key, record in sorted(data.contacts.items()) if digits in key]
        if not found:
            raise ApiError(NO_DATA_FOUND)
        return found

    return store.with_account(account, run)


def create(store: Store, account: Account, body: Body) -> object:
    raw = _number(body, "contact")
    values = validate_contactinfo(account, body.get("contactinfo"))
    other = validate_other(body.get("other"))

    def run(data: AccountData) -> object:
        key, _ = find_contact(data, raw)
        if key is None:
            raise ApiError(INVALID_CONTACT_NUMBER)
        _refuse_dnc(data, key)
        _colleague_creates_first(account, data, raw)
        key, record = find_contact(data, raw)
        if key is None or record is not None:
            raise ApiError(FAILED_TO_CREATE_DIRECTORY, "contact already exists")
        data.contacts[key] = _new_record(account, values, other)
        return "Contact created successfully"

    return store.with_account(account, run)


def update(store: Store, account: Account, body: Body) -> object:
    raw = _number(body, "contact")
    values = validate_contactinfo(account, body.get("contactinfo"))
    other = validate_other(body.get("other"))
    if not values and not other:
        raise ApiError(INVALID_PARAMETER, "nothing to update: give contactinfo or other")

    def run(data: AccountData) -> object:
        key, record = _existing(data, raw)
        _refuse_dnc(data, key)
        record.values.update(values)
        record.other.update({"updatetime": TODAY, **other})
        return "Contact updated successfully"

    return store.with_account(account, run)


ACTIONS: dict[str, Callable[[Store, Account, Body], object]] = {
    "getInfo": get_info,
    "search": search,
    "create": create,
    "update": update,
}
