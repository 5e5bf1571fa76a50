"""The calls around the pops (issue 11): the call tracker on the pop services, with a real
DeepCall client talking to the sandbox over loopback HTTP. What DeepCall was asked (lookups,
notes) is read on the sandbox; the clock of dedupe and durations is a fake one."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.caller_id import WITHHELD_LABEL, is_withheld_key
from app.core.pop_request import CallEvent, PopRequest
from app.sandbox.seed import DEMO_WITHHELD_CALL_IDS, WITHHELD_CALLER
from app.sandbox.server import SandboxServer
from app.services.call_tracker import MAX_KNOWN_CALLS, CallTracker, ShownCall
from app.services.pop_history import NOT_SHOWN, REOPENED
from app.services.state_snapshot import caller_state
from tests.fixtures.qt_async import wait_signal, wait_until
from tests.services.pop_parts import FakeClock, PopParts, pop_parts

KNOWN = "+919876543210"  # Aarav Mehta, with recent calls
PLAIN = "+919988776655"  # Rohan Gupta, with recent calls
UNKNOWN = "+918302390884"
DIGITS = {KNOWN: "919876543210", PLAIN: "919988776655", UNKNOWN: "918302390884"}


@dataclass
class Calls:
    parts: PopParts
    tracker: CallTracker
    clock: FakeClock
    shown: list[ShownCall]
    ended: list[ShownCall]
    handled: list[tuple[str, Any, bool]]
    pops: list[str]  # the numbers the window was told to show

    async def ring(self, number: str | None, call_id: str | None = None, **extra: Any) -> bool:
        """A call rings; waits for its lookup (if it popped one) to end."""
        popped = self.tracker.pop(PopRequest(number, call_id, source="softphone", **extra))
        await wait_until(lambda: not self.parts.coordinator.busy)
        return popped

    async def event(self, kind: str, call_id: str, number: str | None = None,
                    **extra: Any) -> None:
        self.tracker.handle_event(CallEvent(kind, call_id, number, **extra))  # type: ignore[arg-type]
        await wait_until(lambda: not self.parts.coordinator.busy)

    def state(self) -> dict[str, object]:
        return {**caller_state(self.parts.coordinator.current), **self.tracker.state()}

    def history(self) -> list[tuple[object, ...]]:
        return [(r["number"], r["call_id"], r["status"], r["call_state"], r["line"])
                for r in self.parts.history.recent()]


@contextlib.asynccontextmanager
async def call_parts(sandbox: SandboxServer, profile: Path) -> AsyncIterator[Calls]:
    clock = FakeClock()
    async with pop_parts(sandbox.base_url, profile, clock=clock, dedupe_seconds=10,
                         cache_seconds=0) as parts:
        tracker = CallTracker(parts.coordinator, parts.history, clock=clock)
        calls = Calls(parts, tracker, clock, [], [], [], [])
        tracker.callChanged.connect(calls.shown.append)
        tracker.callEnded.connect(calls.ended.append)
        tracker.eventHandled.connect(lambda *args: calls.handled.append(args))
        parts.coordinator.popReceived.connect(lambda number, *_: calls.pops.append(number))
        yield calls


def _asked(sandbox: SandboxServer, action: str = "contactInfo") -> list[str]:
    return [str((r.body or {}).get("callerNumber")) for r in sandbox.requests()
            if r.action == action]


def test_a_second_ringing_of_a_known_call_never_pops_again_whatever_the_time(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with call_parts(sandbox, tmp_path) as calls:
            assert await calls.ring(KNOWN, "c1", line="Sales IN")
            calls.clock.now += 30  # far beyond dedupe_seconds
            assert not await calls.ring(KNOWN, "c1")  # the shown call, its ringing repeated
            assert calls.pops == [KNOWN]
            # Not the shown call any more: a repeat of its ringing still never pops it.
            assert await calls.ring(PLAIN, "c2")
            calls.clock.now += 30
            assert not await calls.ring(KNOWN, "c1")
            assert calls.pops == [KNOWN, PLAIN]
            assert calls.state()["call_id"] == "c2"
            assert _asked(sandbox) == [DIGITS[KNOWN], DIGITS[PLAIN]]
            # The coordinator alone keeps the same rule for the caller on screen.
            calls.clock.now += 30
            assert not calls.parts.coordinator.pop(PopRequest(PLAIN, "c2"))
            assert calls.pops == [KNOWN, PLAIN]
            assert [kind for kind, _, _ in calls.handled] == ["ringing", "ringing"]

    run_async(scenario())


def test_two_calls_from_the_same_number_are_two_pops_and_one_call_keeps_its_id(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with call_parts(sandbox, tmp_path) as calls:
            assert await calls.ring(KNOWN, "c1")
            calls.clock.now += 2  # well within dedupe_seconds: still another call
            assert await calls.ring(KNOWN, "c2")
            assert calls.pops == [KNOWN, KNOWN]
            assert calls.state()["call_id"] == "c2"
            # The same number with no call id moments later (the clipboard) is this call.
            calls.clock.now += 2
            assert not await calls.ring(KNOWN)
            assert calls.state()["call_id"] == "c2"
            assert calls.state()["call_state"] == "ringing"
            # ... and a pop with no call id that a ringing names moments later adopts it.
            calls.clock.now += 60
            assert await calls.ring(PLAIN)
            assert calls.state()["call_state"] is None
            calls.clock.now += 2
            assert not await calls.ring(PLAIN, "c3", line="Support IN")
            assert (calls.state()["call_id"], calls.state()["call_state"],
                    calls.state()["line"]) == ("c3", "ringing", "Support IN")
            assert calls.history()[0] == (PLAIN, "c3", "found", "ringing", "Support IN")
            assert calls.pops == [KNOWN, KNOWN, PLAIN]

    run_async(scenario())


def test_stale_events_never_touch_the_window_and_never_revive_an_ended_call(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with call_parts(sandbox, tmp_path) as calls:
            await calls.ring(KNOWN, "c1", line="Sales IN")
            calls.clock.now += 5
            await calls.event("answered", "c1")
            assert calls.state()["call_state"] == "answered"
            calls.clock.now += 135
            await calls.event("ended", "c1")
            assert calls.state()["call_state"] == "ended"
            [ended] = calls.ended
            assert (ended.call_id, ended.duration_seconds, ended.line) == ("c1", 135, "Sales IN")
            shown_before = list(calls.shown)
            await calls.event("answered", "c1")  # late: ended stays ended
            await calls.event("transferred", "c1", KNOWN, from_agent="Priya")
            await calls.event("ended", "c1")
            assert calls.state()["call_state"] == "ended"
            assert calls.state()["from_agent"] is None
            assert calls.shown == shown_before
            assert len(calls.ended) == 1
            assert calls.history()[0] == (KNOWN, "c1", "found", "ended", "Sales IN")

            # Events of a call that is not on screen go to its history row only.
            await calls.ring(PLAIN, "c2")
            shown_before = list(calls.shown)
            await calls.event("answered", "c1")
            await calls.ring(UNKNOWN, "c3")
            await calls.event("answered", "c2")
            await calls.event("ended", "c2")
            assert calls.state()["number"] == UNKNOWN
            assert (calls.state()["call_id"], calls.state()["call_state"]) == ("c3", "ringing")
            assert calls.ended == [ended]
            assert [(h[1], h[3]) for h in calls.history()] == [
                ("c3", "ringing"), ("c2", "ended"), ("c1", "ended")]
            assert [(kind, shown) for kind, _, shown in calls.handled] == [
                ("ringing", True), ("answered", True), ("ended", True), ("ringing", True),
                ("ringing", True), ("answered", False), ("ended", False)]
            assert len(calls.shown) == len(shown_before) + 1  # c3 only

    run_async(scenario())


def test_answered_for_an_unknown_call_pops_it_unless_a_live_call_is_on_screen(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with call_parts(sandbox, tmp_path) as calls:
            # A softphone that never sent ringing: answered pops the caller, in call at once.
            await calls.event("answered", "c1", KNOWN, line="Sales IN")
            assert (calls.state()["number"], calls.state()["call_id"],
                    calls.state()["call_state"], calls.state()["line"]) == (
                KNOWN, "c1", "answered", "Sales IN")
            # Another call answered (elsewhere, a second line) while c1 is live: history only.
            sandbox.clear_requests()
            await calls.event("answered", "c2", PLAIN)
            assert (calls.state()["number"], calls.state()["call_id"]) == (KNOWN, "c1")
            assert _asked(sandbox) == []  # not looked up: nobody is shown it
            assert calls.history()[0] == (PLAIN, "c2", NOT_SHOWN, "answered", None)
            await calls.event("ended", "c2")
            assert calls.history()[0][3] == "ended"
            assert calls.ended == []
            # An ended call never heard of: nothing at all.
            await calls.event("ended", "c9", UNKNOWN)
            assert len(calls.history()) == 2
            assert calls.state()["call_id"] == "c1"
            # Once c1 ended, the next answered of an unknown call pops it.
            await calls.event("ended", "c1")
            await calls.event("answered", "c4", UNKNOWN)
            assert (calls.state()["number"], calls.state()["call_state"]) == (
                UNKNOWN, "answered")
            assert [kind for kind, _, _ in calls.handled] == [
                "answered", "answered", "ended", "ended", "answered"]

    run_async(scenario())


def test_a_transfer_shows_the_caller_never_the_agent_who_passed_it(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with call_parts(sandbox, tmp_path) as calls:
            await calls.event("transferred", "c1", KNOWN, from_agent="Priya", line="Sales IN")
            state = calls.state()
            assert (state["number"], state["call_id"], state["call_state"],
                    state["from_agent"], state["line"]) == (
                KNOWN, "c1", "ringing", "Priya", "Sales IN")
            assert _asked(sandbox) == [DIGITS[KNOWN]]  # the caller looked up, nobody else
            assert calls.parts.coordinator.current.from_agent == "Priya"  # type: ignore[union-attr]
            await calls.event("answered", "c1")
            # Passed on again while shown: the same caller, now from another agent.
            await calls.event("transferred", "c1", KNOWN, from_agent="Ravi")
            assert (calls.state()["number"], calls.state()["call_state"],
                    calls.state()["from_agent"]) == (KNOWN, "answered", "Ravi")
            assert calls.pops == [KNOWN]
            # A call this app saw ring and go elsewhere comes back: the caller pops again.
            await calls.ring(PLAIN, "c2")
            await calls.event("transferred", "c1", KNOWN, from_agent="Neha")
            assert (calls.state()["number"], calls.state()["call_id"],
                    calls.state()["call_state"], calls.state()["from_agent"]) == (
                KNOWN, "c1", "ringing", "Neha")
            assert calls.pops == [KNOWN, PLAIN, KNOWN]

    run_async(scenario())


def test_a_withheld_caller_is_never_looked_up_cached_or_matched_and_keyed_per_call(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with call_parts(sandbox, tmp_path) as calls:
            await calls.ring(KNOWN, "c1")  # someone known on screen first
            sandbox.clear_requests()
            results: list[Any] = []
            calls.parts.coordinator.callerWithheld.connect(results.append)
            assert await calls.ring(None, "w1", line="Sales IN")
            state = calls.state()
            assert (state["number"], state["formatted"], state["status"], state["name"],
                    state["fields"], state["call_id"], state["call_state"]) == (
                None, WITHHELD_LABEL, "withheld", None, {}, "w1", "ringing")
            [result] = results
            assert result.result is None
            assert result.view is None
            assert is_withheld_key(result.number)
            # Another withheld caller with no call id is someone else: another key.
            calls.clock.now += 1
            assert await calls.ring(None)
            second = calls.parts.coordinator.current
            assert second is not None
            assert second.number != result.number
            assert is_withheld_key(second.number)
            assert calls.parts.coordinator.retry() is False  # nothing to look up again
            await calls.event("answered", "w1")  # no longer shown: its history only
            # Opened again from the history (by its key): shown again, still not looked up.
            calls.clock.now += 1
            assert calls.parts.coordinator.reopen(PopRequest(result.number, "w1",
                                                             source=REOPENED))
            await wait_until(lambda: not calls.parts.coordinator.busy)
            assert calls.state()["status"] == "withheld"
            assert calls.parts.coordinator.current.number == result.number  # type: ignore[union-attr]
            assert calls.state()["call_state"] == "answered"  # the call it is, as it went
            assert sandbox.requests() == []  # not one request to DeepCall for them
            assert [(h[0], h[1], h[2], h[3]) for h in calls.history()[:3]] == [
                (None, "w1", "withheld", "answered"), (None, None, "withheld", None),
                (None, "w1", "withheld", "answered")]
            # The digits of a call id ("w1") never find a withheld caller.
            assert [r.number for r in calls.parts.store.search_pops("1")] == [KNOWN]

    run_async(scenario())


def test_notes_go_under_the_call_id_the_events_named(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with call_parts(sandbox, tmp_path) as calls:
            parts = calls.parts
            # A pop with no call id (the clipboard) that the phone's answered names.
            await calls.ring(KNOWN)
            await wait_until(lambda: not parts.coordinator.current.recent_calls_pending)  # type: ignore[union-attr]
            recent = parts.coordinator.current.recent_calls  # type: ignore[union-attr]
            named = recent[1].call_id  # not the latest call: the one the phone names
            calls.clock.now += 60  # answered a minute later: long past dedupe_seconds
            await calls.event("answered", named, KNOWN)
            assert (calls.state()["call_id"], calls.state()["call_state"]) == (
                named, "answered")
            assert calls.pops == [KNOWN]  # the caller on screen is that call: no second pop
            assert [h[1:4] for h in calls.history()] == [(named, "found", "answered")]
            note = "Wants the invoice again"
            await wait_signal(parts.outbox.noteSent, timeout=10,
                              trigger=lambda: parts.add_note(note))
            assert [n.call_id for n in sandbox.notes(DIGITS[KNOWN]) if n.content == note] == [
                named]

            # A withheld caller's call: notesAdd names them "anonymous", under the call id.
            call_id = DEMO_WITHHELD_CALL_IDS[0]
            await calls.ring(None, call_id)
            sandbox.clear_requests()
            await wait_signal(parts.outbox.noteSent, timeout=10,
                              trigger=lambda: parts.add_note("Asked for billing"))
            assert [(n.call_id, n.content) for n in sandbox.notes(WITHHELD_CALLER)] == [
                (call_id, "Asked for billing")]
            assert [(r.action, (r.body or {}).get("callerNumber"), (r.body or {}).get("callId"))
                    for r in sandbox.requests()] == [("notesAdd", WITHHELD_CALLER, call_id)]
            # Withheld with no call id: no call to note on; the coordinator says so plainly.
            await calls.ring(None)
            assert parts.coordinator.note_target() is None
            assert "withheld" in parts.coordinator.why_no_note_target()

    run_async(scenario())


def test_the_calls_known_are_bounded_but_the_shown_call_is_never_forgotten(
        run_async: Callable[..., Any], tmp_path: Path) -> None:
    async def scenario() -> None:
        clock = FakeClock()
        async with pop_parts(None, tmp_path, clock=clock) as parts:  # no account: no HTTP
            tracker = CallTracker(parts.coordinator, parts.history, clock=clock)
            tracker.pop(PopRequest(KNOWN, "c0"))
            # A busy queue answered elsewhere while c0 is live: each only in the history.
            for i in range(1, MAX_KNOWN_CALLS + 2):
                tracker.handle_event(CallEvent("answered", f"c{i}", PLAIN))
            tracker.handle_event(CallEvent("ended", "c1"))  # forgotten: nothing changes
            tracker.handle_event(CallEvent("ended", "c0"))  # the oldest, but shown
            assert tracker.state()["call_state"] == "ended"
            rows = {r.call_id: r.call_state for r in parts.store.recent_pops(500)}
            assert (rows["c0"], rows["c1"], rows["c2"]) == ("ended", "answered", "answered")

    run_async(scenario())
