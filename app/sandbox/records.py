"""The sandbox's data: one account's directory, its call log and notes on calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class ContactRecord:
    """One Directory entry: Directory keys (name, email, custom_field_N, ...) -> text."""

    values: dict[str, str]
    other: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class CallRecord:
    call_id: str
    number: str  # contact key: digits with country code
    call_type: str  # "inbound" | "outbound"
    status: str  # "answered" | "missed" | "busy"
    duration: int  # seconds
    start: datetime
    agent_name: str
    campaign: str

    def to_json(self) -> dict[str, object]:
        return {
            "callId": self.call_id,
            "cType": self.call_type,
            "callStatus": self.status,
            "duration": self.duration,
            "startTime": self.start.strftime("%Y-%m-%d %H:%M:%S"),
            "agentName": self.agent_name,
        }


@dataclass(frozen=True)
class Note:
    call_id: str
    number: str
    content: str


@dataclass
class AccountData:
    """Everything one account holds; mutated by Directory create/update and notesAdd."""

    contacts: dict[str, ContactRecord] = field(default_factory=dict)
    calls: list[CallRecord] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    # contactInfo answers set as is by a test (key -> groups): shapes the seed cannot make,
    # such as markup, huge values or thousands of groups.
    crafted: dict[str, dict[str, dict[str, object]]] = field(default_factory=dict)
    crafted_agent_status: str | None = None  # the counters' agentStatus, set as is by a test
    # Contact keys on the Do-Not-Call list: Directory create/update of them answer 1510.
    dnc: set[str] = field(default_factory=set)
    # key -> a colleague's contactinfo, created just before the next Directory create of that
    # number is handled: that create loses the race (1504), as if the colleague's create had
    # landed between the client's getInfo and its create.
    racing_creates: dict[str, dict[str, str]] = field(default_factory=dict)
