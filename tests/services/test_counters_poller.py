"""Counters refresh on a timer against the real sandbox; failures are reported, not raised."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.api.auth import TokenAuth
from app.api.client import DeepCallClient, Timeouts
from app.api.errors import DeepCallError, ServerError
from app.api.models import Counters
from app.sandbox.accounts import DEMO_TOKEN, DEMO_USER_ID, SUSPENDED_TOKEN, SUSPENDED_USER_ID
from app.sandbox.faults import Fault, FaultKind
from app.sandbox.server import SandboxServer
from app.services.counters_poller import MIN_INTERVAL_SECONDS, CountersPoller
from tests.fixtures.qt_async import wait_signal, wait_until


def test_refreshes_now_and_on_the_timer(run_async: Callable[..., Any],
                                        sandbox: SandboxServer) -> None:
    async def scenario() -> None:
        async with DeepCallClient(sandbox.base_url, TokenAuth(DEMO_USER_ID, DEMO_TOKEN)) as client:
            poller = CountersPoller(client, interval_seconds=30)
            (counters,) = await wait_signal(poller.countersChanged, trigger=poller.start)
            assert isinstance(counters, Counters)
            assert counters.total_calls is not None
            assert poller.active
            assert poller.interval_seconds == 30
            # The timer drives further refreshes: shorten it and wait for the next tick.
            poller._timer.setInterval(50)
            await wait_until(lambda: sum(r.action == "counters" for r in sandbox.requests()) >= 3)
            await poller.shutdown()
            assert not poller.active

    run_async(scenario())


def test_failures_are_signalled_plainly(run_async: Callable[..., Any],
                                        sandbox: SandboxServer) -> None:
    async def scenario() -> None:
        auth = TokenAuth(SUSPENDED_USER_ID, SUSPENDED_TOKEN)
        async with DeepCallClient(sandbox.base_url, auth) as client:
            poller = CountersPoller(client)
            (error,) = await wait_signal(poller.countersFailed, trigger=poller.refresh_now)
            assert isinstance(error, DeepCallError)
            assert error.code == 1039
            assert "suspended" in error.user_message
        sandbox.set_faults(Fault(FaultKind.HTTP_502, action="counters"))
        async with DeepCallClient(sandbox.base_url, TokenAuth(DEMO_USER_ID, DEMO_TOKEN),
                                  timeouts=Timeouts(connect=2, total=3)) as client:
            poller.set_client(client)
            (error,) = await wait_signal(poller.countersFailed, timeout=10,
                                         trigger=poller.refresh_now)
            assert isinstance(error, ServerError)
            await poller.shutdown()

    run_async(scenario())


def test_no_overlapping_refreshes_and_no_client(run_async: Callable[..., Any],
                                                sandbox: SandboxServer) -> None:
    sandbox.set_faults(Fault(FaultKind.LATENCY, action="counters", ms=300))

    async def scenario() -> None:
        assert CountersPoller(None).refresh_now() is False
        async with DeepCallClient(sandbox.base_url, TokenAuth(DEMO_USER_ID, DEMO_TOKEN)) as client:
            poller = CountersPoller(client, interval_seconds=1)
            assert poller.interval_seconds == MIN_INTERVAL_SECONDS
            assert poller.refresh_now() is True
            assert poller.refresh_now() is False  # one in flight: the tick is skipped
            await wait_signal(poller.countersChanged, timeout=5)
            assert sum(r.action == "counters" for r in sandbox.requests()) == 1
            await poller.shutdown()

    run_async(scenario())
