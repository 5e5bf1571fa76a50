"""Typed results of recentCalls and counters (their exact shapes are not published).

Every field DeepCall may omit is optional; keys this client does not know are kept in
``extra`` rather than dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class RecentCall:
    """One earlier call with the number, as DeepCall listed it."""

    call_id: str
    call_type: str  # "inbound" / "outbound" as sent; "" when absent
    status: str  # "answered" / "missed" / "busy" as sent; "" when absent
    duration_seconds: int | None
    start_time: datetime | None  # parsed, naive (DeepCall sends account-local time)
    start_time_text: str  # exactly as sent, for display when it did not parse
    agent_name: str
    extra: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class CampaignCount:
    name: str
    calls: int | None


@dataclass(frozen=True)
class Counters:
    """The agent's activity today: login type, status, call counts, per-campaign calls."""

    login_type: str | None = None
    agent_status: str | None = None
    total_calls: int | None = None
    answered_calls: int | None = None
    missed_calls: int | None = None
    talk_time_seconds: int | None = None
    campaigns: tuple[CampaignCount, ...] = ()
    extra: dict[str, object] = field(default_factory=dict)
