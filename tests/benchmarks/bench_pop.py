"""Benchmark (not a test): what a pop costs over the HTTP round trips it needs.

A pop needs contactInfo and recentCalls (sent concurrently). This measures, against the
in-process sandbox over loopback keep-alive HTTP, on the app's qasync loop:

- ``bare httpx``: the two POSTs with asyncio.gather on a bare httpx.AsyncClient, plus json();
- ``coordinator``: PopCoordinator.pop() until contactFound (the form can fill), with dedupe and
  cache off so every pop goes to the network; history is written to SQLite as in the app;
- ``with the window``: the whole app built by the composition root (``build_session``, the
  window shown), so the time includes showing the number, the "looking up" state and filling
  the form.

Run: ``uv run python tests/benchmarks/bench_pop.py [N] [LATENCY_MS]``.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import httpx
from PySide6.QtWidgets import QApplication

from app.api.auth import TokenAuth
from app.core.field_mapping import default_mapping
from app.core.pop_request import PopRequest
from app.sandbox.accounts import DEMO_TOKEN, DEMO_USER_ID
from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_PLAIN_NUMBER
from app.sandbox.server import SandboxServer
from app.services.account import Account
from app.services.credentials import CredentialOverrides
from app.services.lookup_cache import LookupCache
from app.services.pop_coordinator import PopCoordinator
from app.services.pop_history import PopHistory
from app.services.pop_result import PopResult
from app.services.secrets import MemorySecretStore
from app.services.settings import Settings
from app.services.store import LocalStore
from app.session import SessionOptions, build_session
from app.ui.event_loop import AppEventLoop

WARMUP = 20
NUMBERS = (DEMO_KNOWN_NUMBER, DEMO_PLAIN_NUMBER)  # alternate: no dedupe, no cache hit


async def bare_round_trips(base_url: str, n: int) -> list[float]:
    auth = TokenAuth(DEMO_USER_ID, DEMO_TOKEN)
    samples: list[float] = []
    async with httpx.AsyncClient(headers={"Content-Type": "application/json"}) as bare:
        for i in range(WARMUP + n):
            number = NUMBERS[i % 2]
            started = time.perf_counter()
            responses = await asyncio.gather(*(
                bare.post(f"{base_url}/api/v2/agentDashboard/{action}",
                          content=json.dumps({**auth.body_fields(), "callerNumber": number}))
                for action in ("contactInfo", "recentCalls")))
            for response in responses:
                response.json()
            if i >= WARMUP:
                samples.append((time.perf_counter() - started) * 1000)
    return samples


async def coordinator_pops(base_url: str, n: int, profile: Path,
                           with_window: bool = False) -> list[float]:
    overrides = CredentialOverrides(brand_url=base_url, user_id=DEMO_USER_ID, token=DEMO_TOKEN)
    if with_window:
        # The whole app on screen (offscreen platform), as the composition root builds it:
        # contactFound returns only after the form has been filled.
        stored = Settings(profile)
        stored.dedupe_seconds = 0
        stored.cache_seconds = 0
        session = build_session(SessionOptions(
            profile_dir=profile, log_file=profile / "logs" / "screenpop.log",
            overrides=overrides, secrets=MemorySecretStore()))
        session.window.show()
        account = session.account
        coordinator = session.coordinator
    else:
        store = LocalStore.in_profile(profile)
        account = Account(Settings(profile), MemorySecretStore(), overrides)
        coordinator = PopCoordinator(account, default_mapping(), PopHistory(store),
                                     LookupCache(0), dedupe_seconds=0)
    account.reload()
    await account.wait_loaded()
    samples: list[float] = []
    try:
        for i in range(WARMUP + n):
            loop = asyncio.get_running_loop()
            found: asyncio.Future[PopResult] = loop.create_future()
            calls: asyncio.Future[None] = loop.create_future()

            def on_found(result: PopResult, found: asyncio.Future[PopResult] = found,
                         calls: asyncio.Future[None] = calls) -> None:
                if not found.done():
                    found.set_result(result)
                if not result.recent_calls_pending and not calls.done():
                    calls.set_result(None)

            def on_calls(_number: str, _calls: object,
                         calls: asyncio.Future[None] = calls) -> None:
                if not calls.done():
                    calls.set_result(None)

            coordinator.contactFound.connect(on_found)
            coordinator.recentCallsChanged.connect(on_calls)
            started = time.perf_counter()
            coordinator.pop(PopRequest("+" + NUMBERS[i % 2]))
            await found
            elapsed = (time.perf_counter() - started) * 1000
            await calls  # both requests done, so pops don't overlap
            coordinator.contactFound.disconnect(on_found)
            coordinator.recentCallsChanged.disconnect(on_calls)
            if i >= WARMUP:
                samples.append(elapsed)
    finally:
        if with_window:
            await session.aclose()
        else:
            await coordinator.shutdown()
            await account.aclose()
            store.close()
    return samples


def pct(samples: list[float], p: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[p - 1]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    # Optional server latency (ms), to see the pop against a WAN-like round trip, where the
    # window paints "looking up" while the requests are in flight.
    latency_ms = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    app = QApplication.instance() or QApplication([])
    app.setQuitOnLastWindowClosed(False)  # as in the app: quitting is the session's to do
    with SandboxServer() as sandbox, tempfile.TemporaryDirectory() as profile:
        if latency_ms:
            sandbox.add_fault("latency", ms=latency_ms)
        loop = AppEventLoop(app)
        asyncio.set_event_loop(loop)
        with loop:
            bare = loop.run_until_complete(bare_round_trips(sandbox.base_url, n))
            pops = loop.run_until_complete(
                coordinator_pops(sandbox.base_url, n, Path(profile) / "coordinator"))
            shown = loop.run_until_complete(
                coordinator_pops(sandbox.base_url, n, Path(profile) / "app", with_window=True))
    print(f"{n} pops, contactInfo + recentCalls concurrently, in-process sandbox "
          f"(+{latency_ms} ms latency), qasync loop (ms)")
    print(f"{'path':40} {'p50':>7} {'p95':>7} {'mean':>7}")
    for name, samples in (("bare httpx (2 POSTs, gather)", bare),
                          ("PopCoordinator.pop -> contactFound", pops),
                          ("... with the window: form filled", shown)):
        print(f"{name:40} {pct(samples, 50):7.2f} {pct(samples, 95):7.2f} "
              f"{statistics.fmean(samples):7.2f}")
    print(f"{'overhead (p50)':40} {pct(pops, 50) - pct(bare, 50):7.2f}")


if __name__ == "__main__":
    main()
