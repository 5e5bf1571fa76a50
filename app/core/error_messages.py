"""Plain-language messages for DeepCall's error codes, chosen per API group.

DeepCall's codes overlap between API groups (1501 is an Agent Dashboard failure in one group and
a sticky-agent problem in the Directory), so a code means nothing without its group. Each message
says what happened and what the agent can do next, in words an agent understands.
"""

from __future__ import annotations

from enum import StrEnum


class ApiGroup(StrEnum):
    """The API group of a call: the path segment after ``/api/v2/``."""

    AGENT_DASHBOARD = "agentDashboard"
    DIRECTORY = "Directory"
    CALL_REPORT = "callReport"


_SIGN_IN_AGAIN = "For a session, sign in to DeepCall again."
_TRY_AGAIN = "Try again in a moment; if it keeps happening, tell your DeepCall administrator."

_AGENT_DASHBOARD: dict[int, str] = {
    1000: "DeepCall rejected the request as incomplete (invalid parameter). "
          "Check the caller number and try again.",
    1001: "DeepCall rejected a value of the wrong type. Check the caller number and try again.",
    1002: "DeepCall needs your user ID for token sign-in. Enter it in Settings.",
    1003: "DeepCall does not know this agent. Check the user ID in Settings.",
    1004: "DeepCall could not find the requested file. " + _TRY_AGAIN,
    # DeepCall answers 1014 for a bad token and for a dead panel session (ssid) alike.
    1014: "Your token is invalid or missing — open Settings and enter a valid token or "
          "session (the one sent is wrong or has expired). " + _SIGN_IN_AGAIN,
    1020: "Your token is invalid or missing — open Settings and enter a valid token or "
          "session (none was sent).",
    1032: "DeepCall had an internal problem. " + _TRY_AGAIN,
    1039: "This DeepCall account is suspended, so no caller can be looked up. Ask your "
          "DeepCall administrator to reactivate it.",
    1501: "DeepCall could not load the agent dashboard data. " + _TRY_AGAIN,
}

_DIRECTORY: dict[int, str] = {
    1000: "DeepCall's directory rejected the change as incomplete (invalid parameter). "
          "Check the fields and save again.",
    1005: "DeepCall says the contact number is not valid. Check the number.",
    1012: "DeepCall's directory has no entry for this number yet.",
    1501: "DeepCall could not apply the sticky-agent setting for this contact. "
          "Save again without it, or ask your DeepCall administrator.",
    1502: "DeepCall says the contact type is not valid. Check the fields and save again.",
    1503: "DeepCall could not apply the account-manager setting for this contact. "
          "Ask your DeepCall administrator.",
    1504: "DeepCall could not create the directory entry. " + _TRY_AGAIN,
    1505: "DeepCall says the caller ID (CLI) does not exist on this account. "
          "Ask your DeepCall administrator.",
    1506: "DeepCall says the group does not exist. Ask your DeepCall administrator.",
    1507: "DeepCall says the agent is not in the given group. Ask your DeepCall administrator.",
    1508: "DeepCall rejected the expiry setting of this contact. Check the dates and save again.",
    1509: "DeepCall rejected the expiry setting of this contact. Check the dates and save again.",
    1510: "DeepCall refused the change because of the Do-Not-Call (DNC) list.",
}

_CALL_REPORT: dict[int, str] = {
    1000: "DeepCall rejected the request as incomplete (invalid parameter).",
    1009: "Something went wrong at DeepCall. " + _TRY_AGAIN,
    1010: "DeepCall could not reach its database. " + _TRY_AGAIN,
    1015: "Your DeepCall account is not allowed to do this. Ask your DeepCall administrator.",
    1047: "DeepCall rejected the request data as invalid.",
}

# Auth codes come from the shared auth layer, whichever group answered.
_SHARED_AUTH = {code: _AGENT_DASHBOARD[code] for code in (1002, 1014, 1020, 1039)}

MESSAGES: dict[ApiGroup, dict[int, str]] = {
    ApiGroup.AGENT_DASHBOARD: _AGENT_DASHBOARD,
    ApiGroup.DIRECTORY: {**_SHARED_AUTH, **_DIRECTORY},
    ApiGroup.CALL_REPORT: {**_SHARED_AUTH, **_CALL_REPORT},
}


def user_message(group: ApiGroup, code: int | None) -> str:
    """The plain-language message for ``code`` as answered by ``group``; generic if unknown."""
    if code is not None and (known := MESSAGES[group].get(code)) is not None:
        return known
    if code is None:
        return "DeepCall reported an error without a code. " + _TRY_AGAIN
    return f"DeepCall reported error {code}. " + _TRY_AGAIN
