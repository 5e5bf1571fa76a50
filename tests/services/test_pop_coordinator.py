"""The pop coordinator against the real sandbox over loopback HTTP (real DeepCallClient).

Every wait is on a signal or a condition; latency is injected in the sandbox, never slept.
"""

from __future__ import annotations

import asyncio
import gc
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.api.auth import Auth, TokenAuth
from app.api.client import Timeouts
from app.api.errors import (
    BadResponse,
    ConnectionDropped,
    ConnectionRefused,
    DeepCallApiError,
    DeepCallError,
    RequestTimedOut,
    ResponseTooLarge,
    ServerError,
)
from app.api.models import RecentCall
from app.core.contact import Contact, ContactGroup, UnknownCaller
from app.core.field_mapping import default_mapping
from app.core.pop_request import PopRequest
from app.sandbox.accounts import (
    DEMO_TOKEN,
    DEMO_USER_ID,
    EXPIRED_TOKEN,
    SUSPENDED_TOKEN,
    SUSPENDED_USER_ID,
)
from app.sandbox.faults import Fault, FaultKind
from app.sandbox.server import SandboxServer
from app.services.errors import NotConfigured
from app.services.lookup_cache import LookupCache
from app.services.pop_coordinator import PopCoordinator
from app.services.pop_history import PopHistory
from app.services.pop_result import PopResult
from app.services.store import LocalStore
from tests.fixtures.doubles import FixedAccount
from tests.fixtures.qt_async import wait_signal, wait_until
from tests.services.pop_parts import FakeClock, pop_parts

KNOWN = "+919876543210"  # Aarav Mehta: every field, a Lead group, recent calls
PLAIN = "+919988776655"  # Rohan Gupta: Cu only, recent calls
UNKNOWN = "+918302390884"  # the seed document's number: unknown on the demo account
DEMO_AUTH = TokenAuth(DEMO_USER_ID, DEMO_TOKEN)


class Recorder:
    """Every emission of the coordinator's signals, in order."""

    NAMES = ("callerLeaving", "popReceived", "contactFound", "callerUnknown", "lookupFailed",
             "recentCallsChanged", "statusChanged")

    def __init__(self, coordinator: PopCoordinator) -> None:
        self.events: list[tuple[str, tuple[Any, ...]]] = []
        for name in self.NAMES:
            getattr(coordinator, name).connect(self._recorder(name))

    def _recorder(self, name: str) -> Callable[..., None]:
        return lambda *args: self.events.append((name, args))

    def named(self, *names: str) -> list[tuple[str, tuple[Any, ...]]]:
        return [e for e in self.events if e[0] in names]

    def results(self) -> list[PopResult]:
        return [args[0] for name, args in self.events
                if name in ("contactFound", "callerUnknown", "lookupFailed")]


def _actions(sandbox: SandboxServer, action: str) -> list[str]:
    return [str((r.body or {}).get("callerNumber")) for r in sandbox.requests()
            if r.action == action]


def test_found_shows_the_number_first_then_the_contact(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with pop_parts(sandbox.base_url, tmp_path) as parts:
            coordinator = parts.coordinator
            recorder = Recorder(coordinator)
            args = await wait_signal(coordinator.contactFound, trigger=lambda: coordinator.pop(
                PopRequest(KNOWN, source="test")))
            result: PopResult = args[0]
            first_name, first_args = recorder.events[0]
            assert first_name == "popReceived"
            assert first_args[0] == KNOWN
            assert "98765" in first_args[1].replace(" ", "")
            assert result.status == "found"
            assert isinstance(result.result, Contact)
            assert result.caller_name
            assert result.view is not None
            assert {g.name for g in result.result.groups} <= {
                f.group for f in result.view.fields()}
            assert result.view.field(("Cu", "mobile")).read_only  # type: ignore[union-attr]
            await wait_until(lambda: coordinator.current is not None
                             and not coordinator.current.recent_calls_pending)
            current = coordinator.current
            assert current is not None
            assert len(current.recent_calls) > 0
            snapshot = parts.state()
            assert snapshot["status"] == "found"
            assert snapshot["number"] == KNOWN
            assert snapshot["name"] == result.caller_name
            fields = snapshot["fields"]
            assert isinstance(fields, dict)
            assert fields["Name"] == result.caller_name
            timings = snapshot["timings"]
            assert isinstance(timings, dict)
            assert timings["total_ms"] > 0
            assert "contact_info_ms" in timings
            history = parts.store.recent_pops()
            assert (history[0].number, history[0].status, history[0].name) == (
                KNOWN, "found", result.caller_name)

    run_async(scenario())


def test_contact_info_and_recent_calls_run_concurrently(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    """Both requests reach the server while the first is still being answered."""
    sandbox.set_faults(Fault(FaultKind.LATENCY, action="contactInfo", ms=1500),
                       Fault(FaultKind.LATENCY, action="recentCalls", ms=1500))

    async def scenario() -> None:
        async with pop_parts(sandbox.base_url, tmp_path) as parts:
            coordinator = parts.coordinator
            both_in_flight: list[bool] = []
            coordinator.contactFound.connect(lambda _: both_in_flight.append(
                bool(_actions(sandbox, "recentCalls"))))

            def both_arrived_while_loading() -> bool:
                arrived = bool(_actions(sandbox, "contactInfo") and
                               _actions(sandbox, "recentCalls"))
                return arrived and coordinator.status == "loading"

            coordinator.pop(PopRequest(KNOWN))
            await wait_until(both_arrived_while_loading, timeout=1.4)
            await wait_signal(coordinator.contactFound, timeout=5)
            assert both_in_flight == [True]
            current = coordinator.current
            assert current is not None
            await wait_until(lambda: not coordinator.busy, timeout=5)
            assert coordinator.current.recent_calls  # type: ignore[union-attr]

    run_async(scenario())


def test_unknown_caller(run_async: Callable[..., Any], sandbox: SandboxServer,
                        tmp_path: Path) -> None:
    async def scenario() -> None:
        async with pop_parts(sandbox.base_url, tmp_path) as parts:
            coordinator = parts.coordinator
            (result,) = await wait_signal(coordinator.callerUnknown,
                                          trigger=lambda: coordinator.pop(
                                              PopRequest(UNKNOWN)))
            assert result.status == "unknown"
            assert isinstance(result.result, UnknownCaller)
            assert result.view.is_new
            labels = {f.label for f in result.view.fields()}
            assert {"Name", "Email", "Lead Status"} <= labels  # every mapped field, empty
            assert parts.state()["status"] == "unknown"

    run_async(scenario())


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


ERROR_CASES: list[tuple[str, Auth, list[Fault], type[DeepCallApiError], int | None]] = [
    ("expired token", TokenAuth(DEMO_USER_ID, EXPIRED_TOKEN), [], DeepCallError, 1014),
    ("suspended", TokenAuth(SUSPENDED_USER_ID, SUSPENDED_TOKEN), [], DeepCallError, 1039),
    ("internal", DEMO_AUTH, [Fault(FaultKind.INTERNAL, action="contactInfo")],
     DeepCallError, 1032),
    ("502 html", DEMO_AUTH, [Fault(FaultKind.HTTP_502, action="contactInfo")], ServerError, None),
    ("malformed", DEMO_AUTH, [Fault(FaultKind.MALFORMED_JSON, action="contactInfo")],
     BadResponse, None),
    ("oversized", DEMO_AUTH, [Fault(FaultKind.OVERSIZED, action="contactInfo")],
     ResponseTooLarge, None),
    ("dropped", DEMO_AUTH, [Fault(FaultKind.DROP, action="contactInfo")], ConnectionDropped,
     None),
    ("timeout", DEMO_AUTH, [Fault(FaultKind.LATENCY, action="contactInfo", ms=1200)],
     RequestTimedOut, None),
]


@pytest.mark.parametrize(("case", "auth", "faults", "error_type", "code"), ERROR_CASES,
                         ids=[c[0] for c in ERROR_CASES])
def test_each_error_class_reaches_the_error_state_then_retry_recovers(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path, case: str,
        auth: Auth, faults: list[Fault], error_type: type[DeepCallApiError],
        code: int | None) -> None:
    sandbox.set_faults(*faults)

    async def scenario() -> None:
        async with pop_parts(sandbox.base_url, tmp_path, auth=auth,
                                   timeouts=Timeouts(connect=2, total=0.5)) as parts:
            coordinator = parts.coordinator
            (result,) = await wait_signal(coordinator.lookupFailed, timeout=10,
                                          trigger=lambda: coordinator.pop(
                                              PopRequest(KNOWN)))
            assert isinstance(result.error, error_type)
            assert type(result.error) is not DeepCallApiError
            assert result.error_code == code
            assert result.error.user_message
            snapshot = parts.state()
            assert snapshot["status"] == "error"
            assert snapshot["error_code"] == code
            assert snapshot["error_message"] == result.error.user_message
            for secret in (DEMO_TOKEN, EXPIRED_TOKEN, SUSPENDED_TOKEN):
                assert secret not in repr(snapshot)
            if auth is DEMO_AUTH:
                sandbox.clear_faults()
                (again,) = await wait_signal(coordinator.contactFound, timeout=10,
                                             trigger=coordinator.retry)
                assert again.status == "found"

    run_async(scenario())


def test_connection_refused_and_not_configured(
        run_async: Callable[..., Any], tmp_path: Path) -> None:
    async def scenario() -> None:
        url = f"http://127.0.0.1:{_closed_port()}"
        async with pop_parts(url, tmp_path) as parts:
            coordinator = parts.coordinator
            (result,) = await wait_signal(coordinator.lookupFailed, timeout=10,
                                          trigger=lambda: coordinator.pop(
                                              PopRequest(KNOWN)))
            assert isinstance(result.error, ConnectionRefused)
        async with pop_parts(None, tmp_path / "other") as parts:  # no account set up
            bare = parts.coordinator
            recorder = Recorder(bare)
            (result,) = await wait_signal(bare.lookupFailed,
                                          trigger=lambda: bare.pop(PopRequest(KNOWN)))
            assert isinstance(result.error, NotConfigured)
            assert "Settings" in result.error.user_message
            assert recorder.events[0][0] == "popReceived"

    run_async(scenario())


def test_a_failed_lookup_leaves_no_unhandled_task_error(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path,
        loop_errors: list[dict[str, Any]]) -> None:
    """recentCalls fails first, then contactInfo: both errors are handled, none left to GC."""
    sandbox.set_faults(Fault(FaultKind.LATENCY, action="contactInfo", ms=300),
                       Fault(FaultKind.INTERNAL))

    async def failing_lookup() -> None:
        async with pop_parts(sandbox.base_url, tmp_path) as parts:
            coordinator = parts.coordinator
            (result,) = await wait_signal(coordinator.lookupFailed, timeout=10,
                                          trigger=lambda: coordinator.pop(
                                              PopRequest(KNOWN)))
            assert result.error_code == 1032
            await wait_until(lambda: not coordinator.busy)

    async def scenario() -> None:
        # (The loop's handler is the test fixture's: it records, and is put back afterwards.)
        # Once failing_lookup returns, nothing references its tasks any more (the error's
        # traceback kept them alive until then): GC now shows any unhandled task error.
        await failing_lookup()
        gc.collect()
        assert loop_errors == []

    run_async(scenario())


def test_latest_wins_the_earlier_lookup_is_cancelled_and_never_shown(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    # Only the first contactInfo is slow: the second number's lookup overtakes it.
    sandbox.set_faults(Fault(FaultKind.LATENCY, action="contactInfo", times=1, ms=1500))

    async def scenario() -> None:
        async with pop_parts(sandbox.base_url, tmp_path) as parts:
            coordinator = parts.coordinator
            recorder = Recorder(coordinator)
            coordinator.pop(PopRequest(KNOWN))
            await wait_until(lambda: _actions(sandbox, "contactInfo") == ["919876543210"])
            (result,) = await wait_signal(coordinator.contactFound, trigger=lambda:
                                          coordinator.pop(PopRequest(PLAIN)))
            assert result.number == PLAIN
            await wait_until(lambda: not coordinator.busy, timeout=5)
            shown = [r.number for r in recorder.results()]
            assert shown == [PLAIN]
            assert [args[0] for _, args in recorder.named("popReceived")] == [KNOWN, PLAIN]
            assert [args[0] for _, args in recorder.named("recentCallsChanged")] in ([], [PLAIN])
            assert parts.state()["number"] == PLAIN
            assert parts.state()["status"] == "found"

    run_async(scenario())


def test_same_number_within_the_window_does_not_pop_twice(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    clock = FakeClock()

    async def scenario() -> None:
        async with pop_parts(sandbox.base_url, tmp_path, clock=clock,
                                   dedupe_seconds=10, cache_seconds=0) as parts:
            coordinator = parts.coordinator
            recorder = Recorder(coordinator)
            await wait_signal(coordinator.contactFound,
                              trigger=lambda: coordinator.pop(PopRequest(KNOWN)))
            await wait_until(lambda: not coordinator.busy)
            clock.now += 9.5
            assert coordinator.pop(PopRequest(KNOWN, call_id="late-id")) is False
            assert coordinator.current.call_id == "late-id"  # type: ignore[union-attr]
            assert len(recorder.named("popReceived")) == 1
            assert _actions(sandbox, "contactInfo") == ["919876543210"]

            clock.now += 1.0  # 10.5 s after the first pop: a new pop
            await wait_signal(coordinator.contactFound,
                              trigger=lambda: coordinator.pop(PopRequest(KNOWN)))
            assert len(recorder.named("popReceived")) == 2
            assert _actions(sandbox, "contactInfo") == ["919876543210"] * 2

    run_async(scenario())


def test_cache_hit_pops_at_once_then_refreshes_in_the_background(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    clock = FakeClock()

    async def scenario() -> None:
        async with pop_parts(sandbox.base_url, tmp_path, clock=clock,
                                   cache_seconds=120) as parts:
            coordinator = parts.coordinator
            (first,) = await wait_signal(coordinator.contactFound, trigger=lambda:
                                         coordinator.pop(PopRequest(KNOWN)))
            await wait_until(lambda: not coordinator.busy)
            await wait_signal(coordinator.contactFound,
                              trigger=lambda: coordinator.pop(PopRequest(PLAIN)))
            await wait_until(lambda: not coordinator.busy)
            # The contact changes at DeepCall meanwhile; the refresh must bring the change.
            await parts.client.directory_update(  # type: ignore[union-attr]
                KNOWN, {"custom_field_2": "Platinum Plus"})
            clock.now += 30
            recorder = Recorder(coordinator)
            sandbox.clear_requests()
            sandbox.set_faults(Fault(FaultKind.LATENCY, action="contactInfo", ms=300))

            assert coordinator.pop(PopRequest(KNOWN))
            # Shown from memory inside pop() itself: before any HTTP request was answered.
            cached = recorder.results()
            assert len(cached) == 1
            assert cached[0].from_cache
            assert cached[0].view.display_values()["Customer tier"] == \
                first.view.display_values()["Customer tier"]
            assert cached[0].recent_calls

            (fresh,) = await wait_signal(coordinator.contactFound, timeout=5)
            assert not fresh.from_cache
            assert fresh.view.display_values()["Customer tier"] == "Platinum Plus"
            assert _actions(sandbox, "contactInfo") == ["919876543210"]

    run_async(scenario())


def test_background_refresh_failure_keeps_the_cached_contact(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    clock = FakeClock()

    async def scenario() -> None:
        async with pop_parts(sandbox.base_url, tmp_path, clock=clock) as parts:
            coordinator = parts.coordinator
            await wait_signal(coordinator.contactFound,
                              trigger=lambda: coordinator.pop(PopRequest(KNOWN)))
            await wait_until(lambda: not coordinator.busy)
            clock.now += 11
            sandbox.set_faults(Fault(FaultKind.HTTP_502))
            recorder = Recorder(coordinator)
            coordinator.pop(PopRequest(KNOWN))
            await wait_until(lambda: not coordinator.busy, timeout=10)
            assert [r.from_cache for r in recorder.results()] == [True]
            assert coordinator.status == "found"

    run_async(scenario())


def test_a_newer_pop_abandons_the_older_lookups_requests_at_once(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    # Latest wins, part one (cancellation): the old number's requests stop when the new
    # number arrives, not when the server would have answered them 3 s later.
    sandbox.set_faults(Fault(FaultKind.LATENCY, action="contactInfo", times=1, ms=3000),
                       Fault(FaultKind.LATENCY, action="recentCalls", times=1, ms=3000))

    async def scenario() -> None:
        async with pop_parts(sandbox.base_url, tmp_path) as parts:
            coordinator = parts.coordinator
            coordinator.pop(PopRequest(KNOWN))
            await wait_until(lambda: len(sandbox.requests()) == 2)  # both old ones waiting
            await wait_signal(coordinator.contactFound,
                              trigger=lambda: coordinator.pop(PopRequest(PLAIN)))
            await wait_until(lambda: not coordinator.busy, timeout=2.0)  # not the 3 s wait

    run_async(scenario())


class StubbornClient:
    """A DeepCall client whose contactInfo for one number ignores cancellation (as a badly
    behaved library might) and answers when released; every other answer is immediate."""

    def __init__(self, slow_number: str, *, name: str = "Caller", fail_late: bool = False,
                 slow_calls: bool = False) -> None:
        self.slow_number = slow_number
        self.name = name
        self.fail_late = fail_late  # the late contactInfo answer is an error
        self.slow_calls = slow_calls  # recentCalls (not contactInfo) is the late one
        self.release = asyncio.Event()
        self.asked: list[str] = []

    def set_answer_listener(self, listener: object) -> None:
        """The account listens to every client it uses; these answers are the test's own."""

    async def _stubborn_wait(self) -> None:
        ignored = 0
        while not self.release.is_set():
            try:
                await self.release.wait()
            except asyncio.CancelledError:
                ignored += 1
                if ignored > 2:  # stubborn, not immortal: a test's teardown still ends it
                    raise

    async def contact_info(self, number: str, field: str = "All") -> Contact:
        self.asked.append(number)
        if number == self.slow_number and not self.slow_calls:
            await self._stubborn_wait()
            if self.fail_late:
                raise ServerError("DeepCall answered with a server error (HTTP 502).")
        return Contact(number, (ContactGroup("Cu", (("Name", f"{self.name} {number}"),)),))

    async def recent_calls(self, number: str) -> list[Any]:
        if number == self.slow_number and self.slow_calls:
            await self._stubborn_wait()
            return [RecentCall("late-call", "inbound", "answered", 10, None, "", "Old agent")]
        return []

    async def aclose(self) -> None:
        pass

    async def aclose_when_idle(self) -> None:
        pass


def test_an_answer_for_an_older_pop_is_never_shown_even_if_it_arrives(
        run_async: Callable[..., Any], tmp_path: Path) -> None:
    # Latest wins, part two (the pop generation): cancelling cannot stop an answer that
    # arrives anyway; the coordinator must still drop it, not show the old caller.
    client = StubbornClient(KNOWN)
    account = FixedAccount(client)  # type: ignore[arg-type]
    store = LocalStore.in_profile(tmp_path)
    coordinator = PopCoordinator(account, default_mapping(), PopHistory(store), LookupCache())
    recorder = Recorder(coordinator)

    async def scenario() -> None:
        coordinator.pop(PopRequest(KNOWN))
        await wait_until(lambda: client.asked == [KNOWN])  # the old lookup is under way
        await wait_signal(coordinator.contactFound,
                          trigger=lambda: coordinator.pop(PopRequest(PLAIN)))
        client.release.set()  # the old answer arrives after all
        await wait_until(lambda: not coordinator.busy)
        await coordinator.shutdown()

    run_async(scenario())
    store.close()
    assert [r.number for r in recorder.results()] == [PLAIN]
    current = coordinator.current
    assert current is not None
    assert (current.number, current.caller_name) == (PLAIN, f"Caller {PLAIN}")



@pytest.mark.parametrize("late", ["error", "recent calls"])
def test_a_late_error_or_late_recent_calls_of_an_older_pop_never_reach_the_new_caller(
        run_async: Callable[..., Any], tmp_path: Path, late: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The pop generation guards every way an old lookup can report, not only its contact.
    client = StubbornClient(KNOWN, fail_late=late == "error", slow_calls=late != "error")
    account = FixedAccount(client)  # type: ignore[arg-type]
    store = LocalStore.in_profile(tmp_path)
    coordinator = PopCoordinator(account, default_mapping(), PopHistory(store), LookupCache())
    recorder = Recorder(coordinator)
    if late != "error":
        # The old lookup awaits its recent calls in our own code, which a cancel always
        # stops: take the cancel away, so the generation check behind it is proven alone.
        monkeypatch.setattr(coordinator, "_cancel_lookup", lambda reason: None)

    async def scenario() -> None:
        try:
            coordinator.pop(PopRequest(KNOWN))
            await wait_until(lambda: client.asked == [KNOWN])
            if late != "error":  # KNOWN is shown, its recent calls still due
                await wait_until(lambda: bool(recorder.named("contactFound")))
            await wait_signal(coordinator.contactFound,
                              trigger=lambda: coordinator.pop(PopRequest(PLAIN)))
        finally:
            client.release.set()  # the old lookup's late part arrives after all
        await wait_until(lambda: not coordinator.busy)
        await coordinator.shutdown()

    run_async(scenario())
    store.close()
    current = coordinator.current
    assert current is not None
    assert (current.number, current.status, current.recent_calls) == (PLAIN, "found", ())
    assert recorder.named("lookupFailed") == []
    assert recorder.named("recentCallsChanged") == []
    assert [r.number for r in recorder.results()] == (
        [PLAIN] if late == "error" else [KNOWN, PLAIN])


def test_a_late_answer_of_the_old_account_never_enters_the_cache(
        run_async: Callable[..., Any], tmp_path: Path) -> None:
    old = StubbornClient(KNOWN, name="Old account's")
    new = StubbornClient("", name="New account's")
    account = FixedAccount(old)  # type: ignore[arg-type]
    store = LocalStore.in_profile(tmp_path)
    cache = LookupCache()
    coordinator = PopCoordinator(account, default_mapping(), PopHistory(store), cache)

    async def scenario() -> None:
        coordinator.pop(PopRequest(KNOWN))
        await wait_until(lambda: old.asked == [KNOWN])
        await wait_signal(coordinator.contactFound,
                          trigger=lambda: account.switch_to(new))  # type: ignore[arg-type]
        old.release.set()  # the old account's answer arrives after all
        await wait_until(lambda: not coordinator.busy)
        await coordinator.shutdown()

    run_async(scenario())
    store.close()
    entry = cache.fresh(KNOWN, account.key)
    assert entry is not None
    assert isinstance(entry.result, Contact)
    assert entry.result.groups[0].get("Name") == f"New account's {KNOWN}"
    assert coordinator.current is not None
    assert coordinator.current.caller_name == f"New account's {KNOWN}"
