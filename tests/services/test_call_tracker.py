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
from app.services.outbox import NoteTarget
from app.services.pop_history import NOT_SHOWN, REOPENED, WAITING
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

            # Events of a call that is not on screen go to its history row only (an answered
            # would show it: the agent took it).
            await calls.ring(PLAIN, "c2")
            shown_before = list(calls.shown)
            await calls.event("answered", "c1")
            await calls.ring(UNKNOWN, "c3")
            await calls.event("ended", "c2")
            assert calls.state()["number"] == UNKNOWN
            assert (calls.state()["call_id"], calls.state()["call_state"]) == ("c3", "ringing")
            assert calls.ended == [ended]
            assert [(h[1], h[3]) for h in calls.history()] == [
                ("c3", "ringing"), ("c2", "ended"), ("c1", "ended")]
            assert [(kind, shown) for kind, _, shown in calls.handled] == [
                ("ringing", True), ("answered", True), ("ended", True), ("ringing", True),
                ("ringing", True), ("ended", False)]
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
            await calls.event("ended", "c1")
            await calls.ring(PLAIN, "c2")
            await calls.ring(UNKNOWN, "c3")  # c2 rings on elsewhere; c3 on screen
            await calls.event("transferred", "c2", PLAIN, from_agent="Neha")
            assert (calls.state()["number"], calls.state()["call_id"],
                    calls.state()["call_state"], calls.state()["from_agent"]) == (
                PLAIN, "c2", "ringing", "Neha")
            assert calls.pops == [KNOWN, PLAIN, UNKNOWN, PLAIN]
            # In a call, a transfer to this agent waits as any call ringing does.
            await calls.event("answered", "c2")
            await calls.event("transferred", "c3", UNKNOWN, from_agent="Ravi")
            assert (calls.state()["call_id"], calls.state()["call_state"]) == ("c2", "answered")
            assert calls.history()[0] == (UNKNOWN, "c3", WAITING, "ringing", None)
            assert calls.pops == [KNOWN, PLAIN, UNKNOWN, PLAIN]

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
            # The agent answers w1: shown again under its own key, still not looked up.
            await calls.event("answered", "w1")
            assert calls.parts.coordinator.current.number == result.number  # type: ignore[union-attr]
            assert (calls.state()["status"], calls.state()["call_state"]) == (
                "withheld", "answered")
            # Opened again from the history (by its key): shown again, still not looked up.
            calls.clock.now += 1
            assert calls.parts.coordinator.reopen(PopRequest(second.number, source=REOPENED))
            await wait_until(lambda: not calls.parts.coordinator.busy)
            assert calls.state()["status"] == "withheld"
            assert calls.parts.coordinator.current.number == second.number  # type: ignore[union-attr]
            assert sandbox.requests() == []  # not one request to DeepCall for them
            assert [(h[0], h[1], h[2], h[3]) for h in calls.history()[:3]] == [
                (None, None, "withheld", None), (None, None, "withheld", None),
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
            await calls.event("ended", named)  # (a call ringing during it would wait)
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
            tracker.handle_event(CallEvent("answered", "c0"))
            # A busy queue answered elsewhere while c0 is live: each only in the history.
            for i in range(1, MAX_KNOWN_CALLS + 2):
                tracker.handle_event(CallEvent("answered", f"c{i}", PLAIN))
            tracker.handle_event(CallEvent("ended", "c1"))  # forgotten: nothing changes
            tracker.handle_event(CallEvent("ended", "c0"))  # the oldest, but shown
            assert tracker.state()["call_state"] == "ended"
            rows = {r.call_id: r.call_state for r in parts.store.recent_pops(500)}
            assert (rows["c0"], rows["c1"], rows["c2"]) == ("ended", "answered", "answered")

    run_async(scenario())


# --- review 11 (calls): the window follows the call the agent is on ----------------------------

def test_answering_one_of_two_ringing_calls_shows_the_call_the_agent_took(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    """Two calls ring (a queue, call waiting); the second pops over the first; the agent
    answers the FIRST. The window follows the call the agent is on (its history row goes on,
    no second one), its notes go under it, and the other call ending (a colleague took it)
    starts no wrap-up of the call in progress."""
    async def scenario() -> None:
        async with call_parts(sandbox, tmp_path) as calls:
            await calls.ring(KNOWN, "c1")
            calls.clock.now += 1
            await calls.ring(PLAIN, "c2")
            calls.clock.now += 1
            await calls.event("answered", "c1")  # the agent took c1
            state = calls.state()
            assert (state["number"], state["status"], state["call_id"],
                    state["call_state"]) == (KNOWN, "found", "c1", "answered")
            assert calls.parts.coordinator.note_target() == NoteTarget(KNOWN, "c1")
            assert calls.shown[-1] == ShownCall("c1", "answered", answered_at=1002.0)
            assert calls.pops == [KNOWN, PLAIN, KNOWN]  # shown again, as the call going on
            assert [(h[0], h[1], h[3]) for h in calls.history()] == [
                (PLAIN, "c2", "ringing"), (KNOWN, "c1", "answered")]  # no second row of c1
            calls.clock.now += 1
            await calls.event("ended", "c2")  # the other call: a colleague took it
            assert calls.ended == []
            assert (calls.state()["call_id"], calls.state()["call_state"]) == ("c1", "answered")
            calls.clock.now += 60
            await calls.event("ended", "c1")
            assert [(s.call_id, s.duration_seconds) for s in calls.ended] == [("c1", 61.0)]

    run_async(scenario())


def test_a_call_ringing_during_a_live_call_waits_and_never_takes_the_window(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    """Call waiting: the agent is IN c1; c2 rings. It is written in the history as waiting
    and announced (``callWaiting``), never shown over c1, and its end (a colleague took it)
    starts no wrap-up. Once c1 ended, answering c2 shows it. A pop with no call id (the
    clipboard) is the agent's own act: it always pops."""
    async def scenario() -> None:
        async with call_parts(sandbox, tmp_path) as calls:
            waiting: list[PopRequest] = []
            calls.tracker.callWaiting.connect(waiting.append)
            await calls.ring(KNOWN, "c1")
            await calls.event("answered", "c1")
            calls.clock.now += 30
            sandbox.clear_requests()
            assert not await calls.ring(PLAIN, "c2", line="Sales IN")
            assert (calls.state()["call_id"], calls.state()["call_state"]) == ("c1", "answered")
            assert waiting == [PopRequest(PLAIN, "c2", source="softphone", line="Sales IN")]
            assert calls.history()[0] == (PLAIN, "c2", WAITING, "ringing", "Sales IN")
            assert _asked(sandbox) == []  # nobody is shown it: nothing looked up yet
            calls.clock.now += 5
            await calls.event("ended", "c2")
            assert calls.ended == []
            assert calls.state()["call_id"] == "c1"
            assert calls.history()[0][3] == "ended"
            # A withheld caller waits too; their row is a withheld caller's (never a lookup).
            assert not await calls.ring(None, "w2")
            assert calls.history()[0] == (None, "w2", "withheld", "ringing", None)
            # Another waits; c1 ends (its wrap-up starts); the agent answers the waiting call.
            assert not await calls.ring(UNKNOWN, "c3")
            await calls.event("ended", "c1")
            assert [s.call_id for s in calls.ended] == ["c1"]
            await calls.event("answered", "c3")
            assert (calls.state()["number"], calls.state()["call_id"],
                    calls.state()["call_state"]) == (UNKNOWN, "c3", "answered")
            assert [h[1] for h in calls.history()].count("c3") == 1
            # During c3, the agent pops a number themselves: it pops.
            assert await calls.ring(PLAIN)
            assert calls.state()["number"] == PLAIN
            assert len(waiting) == 3
            assert [(kind, shown) for kind, _, shown in calls.handled] == [
                ("ringing", True), ("answered", True), ("ringing", False), ("ended", False),
                ("ringing", False), ("ringing", False), ("ended", True), ("answered", True),
                ("ringing", True)]

    run_async(scenario())


def test_the_end_of_a_call_the_agent_is_not_on_goes_back_to_the_call_they_are_on(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    """The agent is in c1, pops someone else from the clipboard, and a call rings over that
    pop and ends unanswered: no wrap-up (the agent is still on c1), the window shows c1."""
    async def scenario() -> None:
        async with call_parts(sandbox, tmp_path) as calls:
            await calls.ring(KNOWN, "c1")
            await calls.event("answered", "c1")
            calls.clock.now += 20
            assert await calls.ring(UNKNOWN)  # the agent's own pop
            assert await calls.ring(PLAIN, "c2")  # no call is on screen: c2 pops
            await calls.event("ended", "c2")
            assert calls.ended == []
            assert (calls.state()["number"], calls.state()["call_id"],
                    calls.state()["call_state"]) == (KNOWN, "c1", "answered")

    run_async(scenario())


def test_a_ringing_that_arrives_after_its_ended_never_pops(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    """Each hook is its own process: a missed call's `ended` can reach the socket before its
    `ringing`. The call is over: its late ringing never pops (it is in the history as a call
    that ended), and a repeat of it neither."""
    async def scenario() -> None:
        async with call_parts(sandbox, tmp_path) as calls:
            await calls.ring(KNOWN, "c1")
            await calls.event("answered", "c1")
            calls.clock.now += 60
            await calls.event("ended", "c1")
            calls.clock.now += 60
            await calls.event("ended", "c2")  # c2 rang 1 s and was abandoned...
            assert not await calls.ring(PLAIN, "c2")  # ...its ringing arrives late
            assert not await calls.ring(PLAIN, "c2")
            assert (calls.state()["call_id"], calls.state()["call_state"]) == ("c1", "ended")
            assert calls.pops == [KNOWN]
            assert calls.history()[0] == (PLAIN, "c2", NOT_SHOWN, "ended", None)
            assert len(calls.history()) == 2
            assert [kind for kind, _, _ in calls.handled] == ["ringing", "answered", "ended"]

    run_async(scenario())


def test_answered_before_its_ringing_pops_the_call_in_progress(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    """Auto-answer: `answered` (only the call id, as the README allows) overtakes `ringing`.
    Once the ringing arrives the call pops in progress, not "Ringing" until it ends."""
    async def scenario() -> None:
        async with call_parts(sandbox, tmp_path) as calls:
            await calls.event("answered", "c1")
            assert calls.pops == []
            assert await calls.ring(KNOWN, "c1", line="Sales IN")
            state = calls.state()
            assert (state["number"], state["call_id"], state["call_state"], state["line"]) == (
                KNOWN, "c1", "answered", "Sales IN")
            assert calls.history()[0] == (KNOWN, "c1", "found", "answered", "Sales IN")
            calls.clock.now += 90
            await calls.event("ended", "c1")
            assert [s.duration_seconds for s in calls.ended] == [90.0]

    run_async(scenario())


def test_a_withheld_pop_without_a_call_id_adopts_the_id_its_answered_names(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    """`screenpop pop anonymous` (no call id): the note waits for the call's id. The phone's
    answered then names the call (withheld, with its id): that is this caller. No second
    pop; the typed note keeps its draft key and goes to notesAdd under that call id."""
    async def scenario() -> None:
        async with call_parts(sandbox, tmp_path) as calls:
            parts = calls.parts
            call_id = DEMO_WITHHELD_CALL_IDS[0]
            await calls.ring(None)  # no call id
            first = parts.coordinator.current
            assert first is not None
            assert parts.coordinator.note_target() is None
            parts.store.save_draft(first.number, "Call back after 5")
            calls.clock.now += 2
            await calls.event("answered", call_id, None, withheld=True)
            now = parts.coordinator.current
            assert now is not None
            assert calls.pops == [first.number]
            assert (now.number, now.call_id) == (first.number, call_id)
            assert (calls.state()["call_id"], calls.state()["call_state"]) == (
                call_id, "answered")
            assert parts.store.load_draft(first.number) == "Call back after 5"
            assert calls.history()[0][1:4] == (call_id, "withheld", "answered")
            sandbox.clear_requests()
            await wait_signal(parts.outbox.noteSent, timeout=10,
                              trigger=lambda: parts.add_note("Call back after 5"))
            assert [(n.call_id, n.content) for n in sandbox.notes(WITHHELD_CALLER)] == [
                (call_id, "Call back after 5")]

    run_async(scenario())


def test_events_update_every_history_row_of_their_call(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    """A call opened again from the history has two rows; the call's state is the call's:
    neither row stays "ringing" once it ended."""
    async def scenario() -> None:
        async with call_parts(sandbox, tmp_path) as calls:
            await calls.ring(KNOWN, "c1")
            calls.clock.now += 1
            await calls.ring(PLAIN, "c2")  # c1 stays ringing, c2 on screen
            calls.clock.now += 1
            calls.parts.coordinator.reopen(PopRequest(KNOWN, "c1", source=REOPENED))
            await wait_until(lambda: not calls.parts.coordinator.busy)
            await calls.event("answered", "c1")
            await calls.event("ended", "c1")
            assert [(h[1], h[3]) for h in calls.history()] == [
                ("c1", "ended"), ("c2", "ringing"), ("c1", "ended")]

    run_async(scenario())


def test_a_repeated_transfer_is_not_reported_again(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    """A hook that retried after a timeout sends the same transfer twice: it changes nothing
    and is not reported (a configured program runs once per reported event)."""
    async def scenario() -> None:
        async with call_parts(sandbox, tmp_path) as calls:
            await calls.event("transferred", "c1", KNOWN, from_agent="Priya")
            shown_before = list(calls.shown)
            await calls.event("transferred", "c1", KNOWN, from_agent="Priya")
            assert calls.shown == shown_before
            await calls.event("transferred", "c1", KNOWN, from_agent="Ravi")  # a new hop
            assert [(kind, e.from_agent) for kind, e, _ in calls.handled] == [
                ("transferred", "Priya"), ("transferred", "Ravi")]

    run_async(scenario())
