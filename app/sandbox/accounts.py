"""The sandbox's accounts: demo credentials and each account's DeepCall field mapping.

Every secret here is a published demo value, valid only against the embedded sandbox. The
values are distinctive on purpose, so a test can grep logs/output for an accidental leak.

Accounts and what an unknown caller looks like on each (DeepCall answers differ per account
configuration, so clients are tested against all three shapes):

- DEMO:      group "Cu" with ``mobile`` and every label ``""`` (like the seed document)
- ALT:       error 1012 "No data found"; labels as in the seed document (test, efwf, tarun)
- EMPTY:     ``"message": {}``
- SUSPENDED: every call answers 1039 "User account suspended"
"""

# ruff: noqa: S105  (these are published demo credentials, valid only against the sandbox)

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class UnknownCallerShape(Enum):
    """How contactInfo answers for a number the account has no contact for."""

    BLANK_FIELDS = "blank"  # {"Cu": {"mobile": n, "Name": "", ...}}
    NO_DATA_ERROR = "error"  # {"status": "error", "code": 1012}
    EMPTY_MESSAGE = "empty"  # {"message": {}}


@dataclass(frozen=True)
class FieldSpec:
    """One contactInfo label, the group it is shown in and its Directory key."""

    group: str
    label: str
    key: str


@dataclass(frozen=True)
class Account:
    name: str
    user_id: str
    token: str
    ssid: str
    fields: tuple[FieldSpec, ...]
    unknown_caller: UnknownCallerShape
    agent_name: str
    login_type: str = "WebRTC"
    agent_status: str = "Available"
    suspended: bool = False

    @property
    def primary_group(self) -> str:
        """The group that carries ``mobile`` (the seed's "Cu")."""
        return self.fields[0].group

    def groups(self) -> list[str]:
        seen: list[str] = []
        for spec in self.fields:
            if spec.group not in seen:
                seen.append(spec.group)
        return seen

    def directory_keys(self) -> list[str]:
        return [spec.key for spec in self.fields]

    def __repr__(self) -> str:  # never show token/ssid, even for demo values
        return f"Account(name={self.name!r}, user_id={self.user_id!r})"


# --- credentials (demo values, sandbox only) ---------------------------------------------------
DEMO_USER_ID = "710042"
DEMO_TOKEN = "sbx-demo-token-4f1c9a7e2b"
DEMO_SSID = "sbx-demo-ssid-8d3e61b0c5"
# The demo account's name where the app keys what it queued to an account: the embedded
# sandbox gets a new port each `--demo` run, yet it is the same account. No address starts
# like this, so it never matches a real account's key.
DEMO_ACCOUNT_NAME = "embedded demo sandbox"

ALT_USER_ID = "710077"
ALT_TOKEN = "sbx-alt-token-2a9b4c6d8e"
ALT_SSID = "sbx-alt-ssid-5e7f0a1b3c"

EMPTY_USER_ID = "710099"
EMPTY_TOKEN = "sbx-empty-token-9c8b7a6d5e"
EMPTY_SSID = "sbx-empty-ssid-1f2e3d4c5b"

SUSPENDED_USER_ID = "710013"
SUSPENDED_TOKEN = "sbx-suspended-token-0b1c2d3e4f"
SUSPENDED_SSID = "sbx-suspended-ssid-6a5b4c3d2e"

# A token DeepCall once issued to the demo user but that has expired: answers 1014.
EXPIRED_TOKEN = "sbx-expired-token-3e2d1c0b9a"

# --- field mappings ----------------------------------------------------------------------------
DEMO_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("Cu", "Name", "name"),
    FieldSpec("Cu", "Email", "email"),
    FieldSpec("Cu", "Address", "address"),
    FieldSpec("Cu", "Company", "company"),
    FieldSpec("Cu", "Designation", "designation"),
    FieldSpec("Cu", "DOB", "dob"),
    FieldSpec("Cu", "city", "custom_field_1"),
    FieldSpec("Cu", "Customer Tier", "custom_field_2"),
    FieldSpec("Cu", "Preferred Language", "custom_field_3"),
    FieldSpec("Lead", "Lead Source", "custom_field_4"),
    FieldSpec("Lead", "Lead Status", "custom_field_5"),
)

# The labels of the seed document's example answer, in its order.
ALT_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("Cu", "Name", "name"),
    FieldSpec("Cu", "Address", "address"),
    FieldSpec("Cu", "test", "custom_field_1"),
    FieldSpec("Cu", "city", "custom_field_2"),
    FieldSpec("Cu", "Email", "email"),
    FieldSpec("Cu", "efwf", "custom_field_3"),
    FieldSpec("Cu", "tarun", "custom_field_4"),
)

DEMO = Account("demo", DEMO_USER_ID, DEMO_TOKEN, DEMO_SSID, DEMO_FIELDS,
               UnknownCallerShape.BLANK_FIELDS, agent_name="Priya Sharma")
ALT = Account("alt", ALT_USER_ID, ALT_TOKEN, ALT_SSID, ALT_FIELDS,
              UnknownCallerShape.NO_DATA_ERROR, agent_name="Rahul Verma", login_type="Softphone")
EMPTY = Account("empty", EMPTY_USER_ID, EMPTY_TOKEN, EMPTY_SSID, DEMO_FIELDS,
                UnknownCallerShape.EMPTY_MESSAGE, agent_name="Anita Desai", login_type="Mobile")
SUSPENDED = Account("suspended", SUSPENDED_USER_ID, SUSPENDED_TOKEN, SUSPENDED_SSID, DEMO_FIELDS,
                    UnknownCallerShape.BLANK_FIELDS, agent_name="Vikram Rao", suspended=True,
                    agent_status="Logged out")

ACCOUNTS: tuple[Account, ...] = (DEMO, ALT, EMPTY, SUSPENDED)
