"""Benchmark (not a test): a pop through the real app, from the softphone's side.

Starts ``python -m app --demo`` (offscreen Qt, embedded sandbox) in a child process, then:

- ``socket pop -> state found``: sends a pop line over the local socket and polls the app's
  state over the same socket until it shows that caller as found: the whole path, socket +
  coordinator + two HTTP calls + form, as a script driving the app sees it;
- ``screenpop pop (process)``: wall time of ``python -m app pop NUMBER`` against the running
  app, interpreter start included (what a softphone's "run a program" hook costs).

Run: ``uv run python tests/benchmarks/bench_forward.py [N]``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from app.core.pop_request import STATE_LINE
from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_PLAIN_NUMBER
from app.sources.forward import exchange, forward_until_answered

NUMBERS = ("+" + DEMO_KNOWN_NUMBER, "+" + DEMO_PLAIN_NUMBER)  # alternate: no dedupe
WARMUP = 5
PACE_S = 0.06


def pop_until_found(profile: Path, number: str) -> float:
    started = time.perf_counter()
    reply = exchange(profile, json.dumps({"number": number, "source": "bench"}))
    assert reply.get("ok"), reply
    while True:
        state = exchange(profile, STATE_LINE).get("state", {})
        if state.get("number") == number and state.get("status") == "found":
            return (time.perf_counter() - started) * 1000
        if time.perf_counter() - started > 10:
            raise RuntimeError(f"no found state for {number}: {state}")


def pct(samples: list[float], p: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[p - 1]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    with tempfile.TemporaryDirectory() as tmp:
        profile = Path(tmp)
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        app = subprocess.Popen([sys.executable, "-m", "app", "--demo", "--profile", str(profile)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            forward_until_answered(profile, STATE_LINE, wait=30)
            socket_ms = []
            for i in range(WARMUP + n):
                # The app takes at most 20 pops a second (a runaway hook must not hammer
                # DeepCall): pace the pops, outside the timed part.
                time.sleep(PACE_S)
                socket_ms.append(pop_until_found(profile, NUMBERS[i % 2]))
            socket_ms = socket_ms[WARMUP:]
            process_ms = []
            for i in range(20):
                time.sleep(PACE_S)
                started = time.perf_counter()
                subprocess.run([sys.executable, "-m", "app", "pop", NUMBERS[i % 2],
                                "--profile", str(profile)], check=True, capture_output=True)
                process_ms.append((time.perf_counter() - started) * 1000)
        finally:
            app.terminate()
            app.wait(timeout=20)
    print(f"pops through the running demo app (ms); socket path N={n}, process path N=20")
    print(f"{'path':32} {'p50':>7} {'p95':>7} {'mean':>7}")
    for name, samples in (("socket pop -> state found", socket_ms),
                          ("screenpop pop (process)", process_ms)):
        print(f"{name:32} {pct(samples, 50):7.2f} {pct(samples, 95):7.2f} "
              f"{statistics.fmean(samples):7.2f}")


if __name__ == "__main__":
    main()
