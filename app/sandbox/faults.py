"""Fault injection: what can go wrong between the app and DeepCall, on demand.

A :class:`Fault` applies to every API request (or only to one ``action``, e.g. ``contactInfo``
or ``Directory/update``), for ever or for the next ``times`` matching requests. Several may
be active: every matching ``latency`` adds its delay, then the first matching other fault
decides the answer.

Spec strings (CLI ``--fault`` and the admin endpoint) read ``kind[=ms][@action][*times]``,
e.g. ``latency=250``, ``http502@contactInfo*1``, ``trickle=3000``.
"""

from __future__ import annotations

import re
import threading
from dataclasses import asdict, dataclass, replace
from enum import Enum


class FaultKind(Enum):
    LATENCY = "latency"  # sleep ``ms`` before answering normally
    HTTP_502 = "http502"  # 502 Bad Gateway with an nginx-style HTML page
    MALFORMED_JSON = "malformed_json"  # 200, application/json, a truncated JSON document
    TRICKLE = "trickle"  # the normal answer, sent a few bytes at a time over ``ms``
    DROP = "drop"  # close the connection without any response
    # Handle the request (a note is stored, a contact written), then close the connection
    # without answering: the client cannot know whether its write arrived.
    DROP_AFTER = "drop_after"
    HTTP_503 = "http503"  # 503 Service Unavailable with an HTML maintenance page
    OVERSIZED = "oversized"  # 200 with a valid 2 MiB JSON document
    # 200 whose Content-Length promises 64 MiB, then nothing for ``ms``, then a hang-up
    HUGE_PROMISE = "huge_promise"
    INTERNAL = "internal"  # DeepCall error 1032 Internal server error
    # The normal JSON answer under a wrong label (gateways and PHP back-ends often send these)
    JSON_AS_HTML = "json_as_html"  # Content-Type: text/html
    JSON_AS_TEXT = "json_as_text"  # Content-Type: text/plain
    JSON_UNLABELLED = "json_unlabelled"  # no Content-Type header at all


DEFAULT_MS = {FaultKind.LATENCY: 200, FaultKind.TRICKLE: 2000, FaultKind.HUGE_PROMISE: 5000}
_SPEC = re.compile(r"(?P<kind>[a-z_0-9]+)(?:=(?P<ms>\d+))?(?:@(?P<action>[A-Za-z/]+))?"
                   r"(?:\*(?P<times>\d+))?")


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    action: str | None = None  # "contactInfo", or "<Group>/<action>"; None = every action
    times: int | None = None  # how many matching requests it still applies to; None = all
    ms: int = 0  # latency delay, or the trickle's total duration

    def __post_init__(self) -> None:
        if self.ms == 0 and self.kind in DEFAULT_MS:
            object.__setattr__(self, "ms", DEFAULT_MS[self.kind])
        if self.ms < 0 or (self.times is not None and self.times < 1):
            raise ValueError("ms must be >= 0 and times >= 1")

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """A Fault from ``kind[=ms][@action][*times]``; ValueError with a plain message."""
        match = _SPEC.fullmatch(spec.strip())
        kinds = ", ".join(k.value for k in FaultKind)
        if match is None:
            raise ValueError(f"bad fault {spec!r}: write kind[=ms][@action][*times]")
        try:
            kind = FaultKind(match["kind"])
        except ValueError:
            raise ValueError(f"unknown fault {match['kind']!r}; known: {kinds}") from None
        return cls(kind, action=match["action"],
                   times=int(match["times"]) if match["times"] else None,
                   ms=int(match["ms"]) if match["ms"] else 0)

    @classmethod
    def from_json(cls, raw: object) -> Fault:
        if isinstance(raw, str):
            return cls.parse(raw)
        if not isinstance(raw, dict):
            raise ValueError("a fault is a spec string or an object with 'kind'")
        try:
            kind = FaultKind(raw.get("kind"))
        except ValueError:
            raise ValueError(f"unknown fault kind {raw.get('kind')!r}") from None
        action, times, ms = raw.get("action"), raw.get("times"), raw.get("ms", 0)
        if action is not None and not isinstance(action, str):
            raise ValueError("action must be a string")
        if times is not None and (not isinstance(times, int) or isinstance(times, bool)):
            raise ValueError("times must be an integer")
        if not isinstance(ms, int) or isinstance(ms, bool):
            raise ValueError("ms must be an integer")
        return cls(kind, action=action, times=times, ms=ms)

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["kind"] = self.kind.value
        return data

    def matches(self, group: str, action: str) -> bool:
        return self.action is None or self.action in (action, f"{group}/{action}")


@dataclass(frozen=True)
class FaultPlan:
    """What to do to one request: total added latency, then at most one other fault."""

    latency_ms: int = 0
    fault: Fault | None = None


class FaultBoard:
    """The active faults; thread-safe (tests change them from outside the server's loop)."""

    def __init__(self, faults: list[Fault] | None = None) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = list(faults or [])

    def set(self, faults: list[Fault]) -> None:
        with self._lock:
            self._faults = list(faults)

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        self.set([])

    def active(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def plan(self, group: str, action: str) -> FaultPlan:
        """Pick the faults for one request and use up one of each one's ``times``."""
        latency, chosen = 0, None
        with self._lock:
            kept: list[Fault] = []
            for fault in self._faults:
                applies = fault.matches(group, action) and (
                    fault.kind is FaultKind.LATENCY or chosen is None)
                if applies:
                    if fault.kind is FaultKind.LATENCY:
                        latency += fault.ms
                    else:
                        chosen = fault
                    if fault.times is not None:
                        if fault.times > 1:
                            kept.append(replace(fault, times=fault.times - 1))
                        continue
                kept.append(fault)
            self._faults = kept
        return FaultPlan(latency, chosen)
