"""What ``screenpop state`` reports about the caller on screen (JSON-ready)."""

from __future__ import annotations

from collections.abc import Mapping

from app.services.pop_result import PopResult


def caller_state(current: PopResult | None) -> dict[str, object]:
    """The current caller as ``state`` prints it; the idle shape when there is none."""
    if current is None:
        return {"number": None, "formatted": None, "status": "idle", "name": None,
                "fields": {}, "error_code": None, "error_message": None,
                "call_id": None, "source": None, "recent_calls": 0,
                "from_cache": False, "timings": {}}
    return {
        # A withheld caller's key is the app's own: no number to report.
        "number": None if current.status == "withheld" else current.number,
        "formatted": current.formatted,
        "status": current.status,
        "name": current.caller_name or None,
        "fields": current.view.display_values() if current.view else {},
        "error_code": current.error_code,
        "error_message": current.error.user_message if current.error else None,
        "call_id": current.call_id,
        "source": current.source,
        "recent_calls": len(current.recent_calls),
        "from_cache": current.from_cache,
        "timings": dict(current.timings_ms),
    }


def edits_state(edits: Mapping[str, Mapping[str, str]] | None) -> dict[str, object]:
    """``unsaved`` and ``field_errors`` of ``state`` (keyed like ``fields``; ``{}`` when none,
    or when the edits could not be read)."""
    edits = edits or {}
    return {"unsaved": dict(edits.get("unsaved", {})),
            "field_errors": dict(edits.get("field_errors", {}))}
