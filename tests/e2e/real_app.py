"""The real app (``python -m app --profile DIR``) in its own process on Xvfb, driven as an agent
drives it: ``screenpop`` commands in other processes, and keys from xdotool as from a keyboard."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.tools.other_process import poll_until, stop_app

REPO = Path(__file__).resolve().parents[2]
TITLE = "DeepCall Screen-Pop"


@dataclass
class RealApp:
    process: subprocess.Popen[bytes]
    profile: Path
    env: dict[str, str]
    log: Path

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "app", *args, "--profile", str(self.profile)],
                              cwd=REPO, env=self.env, capture_output=True, text=True,
                              timeout=30, check=False)

    def state(self) -> dict[str, Any] | None:
        result = self.cli("state", "--timeout", "2")
        if result.returncode != 0:
            return None
        state = json.loads(result.stdout)
        return state if isinstance(state, dict) else None

    def shown(self, number: str) -> dict[str, Any]:
        def settled() -> dict[str, Any] | None:
            state = self.state()
            if state and state.get("number") == number and state.get("status") == "found":
                return state
            return None
        return poll_until(settled, 30, f"the app to show {number}")

    def state_where(self, holds: Callable[[dict[str, Any]], bool], what: str,
                    timeout: float = 30) -> dict[str, Any]:
        """The first ``state`` for which ``holds`` is true; on time-out the last state and
        the app's output are in the error."""
        last: dict[str, Any] = {}

        def check() -> dict[str, Any] | None:
            last.clear()
            last.update(self.state() or {})
            return dict(last) if last and holds(last) else None
        try:
            return poll_until(check, timeout, what)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the app's state: {last}\n{self.output()}") from None

    def until_unsaved(self, wanted: dict[str, str], timeout: float = 10) -> None:
        """Until ``state`` shows exactly ``wanted`` as the shown caller's drafts."""
        self.state_where(lambda state: state.get("unsaved") == wanted,
                         f"the drafts {wanted}", timeout)

    def xdotool(self, *args: str) -> str:
        result = subprocess.run(["xdotool", *args], env=self.env, capture_output=True,
                                text=True, timeout=30, check=False)
        assert result.returncode == 0, f"xdotool {args}: {result.stderr}"
        return result.stdout

    def focus_window(self) -> None:
        def window() -> str | None:
            found = subprocess.run(
                ["xdotool", "search", "--onlyvisible", "--pid", str(self.process.pid),
                 "--name", TITLE], env=self.env, capture_output=True, text=True, timeout=10,
                check=False)
            ids = found.stdout.split()
            return ids[0] if found.returncode == 0 and ids else None
        window_id = poll_until(window, 30, "the app's window to be mapped")
        self.xdotool("windowfocus", "--sync", window_id)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]


@contextlib.contextmanager
def real_app(profile: Path, env: dict[str, str], log: Path,
             start: tuple[str, ...] = ("-m", "app")) -> Iterator[RealApp]:
    """``start``: what Python runs (another launcher of the same app, for instance)."""
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, *start, "--profile", str(profile)],
                                   cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT)
    app = RealApp(process, profile, env, log)
    try:
        poll_until(lambda: process.poll() is not None or app.state(), 30, "the app to answer")
        assert process.poll() is None, f"the app exited early:\n{app.output()}"
        yield app
    finally:
        stop_app(process)
