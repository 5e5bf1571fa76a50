"""Who is calling: the two DeepCall auth modes, checked in the order DeepCall documents them.

Conditions -> codes (both API groups):

- ``ssid``/``token`` not a string, ``userId`` not a string or integer -> 1001 (Directory: 1000,
  its table has no 1001)
- ``token`` without ``userId`` -> 1002
- ``userId`` + ``token`` with ``ssid`` as well -> Directory: 1000 (its docs forbid ``ssid`` then);
  Agent Dashboard: accepted, ``ssid`` ignored (its tables list all three as required)
- ``userId`` that is no account -> 1003
- ``token`` that is not that user's, or :data:`EXPIRED_TOKEN` -> 1014
- ``ssid`` that is no live session -> 1014
- neither ``token`` nor ``ssid`` (``userId`` alone, or nothing) -> 1020
- a suspended account, authenticated either way -> 1039
"""

from __future__ import annotations

from collections.abc import Mapping

from app.sandbox.accounts import ACCOUNTS, EXPIRED_TOKEN, Account
from app.sandbox.protocol import (
    ACCOUNT_SUSPENDED,
    AGENT_DOES_NOT_EXIST,
    INVALID_DATA_TYPE,
    INVALID_PARAMETER,
    INVALID_TOKEN,
    TOKEN_NOT_FOUND,
    USER_ID_NOT_PROVIDED,
    ApiError,
)


def _text(body: Mapping[str, object], key: str, type_code: int,
          allow_int: bool = False) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ApiError(type_code, f"{key} must be a string")
    if isinstance(value, int) and not allow_int:
        raise ApiError(type_code, f"{key} must be a string")
    return str(value).strip() or None


def authenticate(body: Mapping[str, object], *, directory: bool) -> Account:
    """The account the body's credentials belong to, or the ApiError DeepCall would answer."""
    type_code = INVALID_PARAMETER if directory else INVALID_DATA_TYPE
    ssid = _text(body, "ssid", type_code)
    user_id = _text(body, "userId", type_code, allow_int=True)
    token = _text(body, "token", type_code)

    if token is not None:
        if user_id is None:
            raise ApiError(USER_ID_NOT_PROVIDED)
        if directory and ssid is not None:
            raise ApiError(INVALID_PARAMETER, "ssid must not be sent with userId and token")
        account = next((a for a in ACCOUNTS if a.user_id == user_id), None)
        if account is None:
            raise ApiError(AGENT_DOES_NOT_EXIST)
        if token == EXPIRED_TOKEN:
            raise ApiError(INVALID_TOKEN, "token expired")
        if token != account.token:
            raise ApiError(INVALID_TOKEN)
    elif ssid is not None:
        account = next((a for a in ACCOUNTS if a.ssid == ssid), None)
        if account is None:
            raise ApiError(INVALID_TOKEN, "session expired or invalid")
    else:
        raise ApiError(TOKEN_NOT_FOUND)

    if account.suspended:
        raise ApiError(ACCOUNT_SUSPENDED)
    return account
