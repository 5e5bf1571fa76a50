"""Benchmark (not a test): what DeepCallClient.contact_info costs over a bare HTTP round trip.

Starts the sandbox in-process (its own thread and loop), then times N sequential keep-alive
contactInfo calls through DeepCallClient and through a bare httpx.AsyncClient posting the
same body to the same server. Run: ``uv run python tests/benchmarks/bench_lookup.py [N]``.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

import httpx

from app.api.auth import TokenAuth
from app.api.client import DeepCallClient
from app.core.contact import Contact
from app.sandbox.accounts import DEMO_TOKEN, DEMO_USER_ID
from app.sandbox.seed import DEMO_KNOWN_NUMBER
from app.sandbox.server import SandboxServer

WARMUP = 20


async def _timed(n: int, call: Callable[[], Awaitable[object]]) -> list[float]:
    for _ in range(WARMUP):
        await call()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def measure(base_url: str, n: int) -> dict[str, list[float]]:
    auth = TokenAuth(DEMO_USER_ID, DEMO_TOKEN)
    async with DeepCallClient(base_url, auth) as client:
        async def via_client() -> object:
            result = await client.contact_info("+" + DEMO_KNOWN_NUMBER)
            assert isinstance(result, Contact)
            return result

        client_ms = await _timed(n, via_client)

    body = json.dumps({**auth.body_fields(), "callerNumber": DEMO_KNOWN_NUMBER, "field": "All"})
    url = f"{base_url}/api/v2/agentDashboard/contactInfo"
    async with httpx.AsyncClient(headers={"Content-Type": "application/json"}) as bare:
        async def via_httpx() -> object:
            response = await bare.post(url, content=body)
            return response.json()

        bare_ms = await _timed(n, via_httpx)
    return {"DeepCallClient.contact_info": client_ms, "bare httpx POST + json": bare_ms}


def percentile(samples: list[float], p: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[int(p) - 1]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with SandboxServer() as sandbox:
        results = asyncio.run(measure(sandbox.base_url, n))
    print(f"{n} sequential keep-alive contactInfo calls to the in-process sandbox (ms)")
    print(f"{'path':32} {'p50':>7} {'p95':>7} {'mean':>7}")
    for name, samples in results.items():
        print(f"{name:32} {percentile(samples, 50):7.2f} {percentile(samples, 95):7.2f} "
              f"{statistics.fmean(samples):7.2f}")
    client, bare = results.values()
    print(f"{'overhead (p50)':32} {percentile(client, 50) - percentile(bare, 50):7.2f}")


if __name__ == "__main__":
    main()
