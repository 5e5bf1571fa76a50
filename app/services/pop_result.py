"""What the window shows for one caller at one moment (the pop coordinator's output)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from app.api.errors import DeepCallApiError
from app.api.models import RecentCall
from app.core.contact import LookupResult
from app.core.contact_view import ContactView

# "withheld": the caller withheld their number; nothing is looked up (issue 11).
PopStatus = Literal["idle", "loading", "found", "unknown", "error", "withheld"]


@dataclass(frozen=True)
class PopResult:
    """Everything the window shows for one number at one moment."""

    number: str  # E.164, or a withheld caller's ``withheld_key`` (status "withheld")
    formatted: str
    status: PopStatus
    call_id: str | None = None
    source: str | None = None
    line: str | None = None  # the line or queue that rang ("Sales IN")
    from_agent: str | None = None  # the agent who transferred the call here
    result: LookupResult | None = None
    view: ContactView | None = None
    recent_calls: tuple[RecentCall, ...] = ()
    recent_calls_pending: bool = False  # recentCalls still running: recentCallsChanged follows
    recent_calls_error: DeepCallApiError | None = None
    error: DeepCallApiError | None = None
    from_cache: bool = False
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def caller_name(self) -> str:
        """The contact's name as the form shows it ("" if none)."""
        return self.view.caller_name if self.view is not None else ""

    @property
    def error_code(self) -> int | None:
        code = getattr(self.error, "code", None)
        return code if isinstance(code, int) else None
