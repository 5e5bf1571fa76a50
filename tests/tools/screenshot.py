"""Make the README screenshot: the real app in demo mode on an X server, one known caller.

    uv run python tests/tools/screenshot.py [--output docs/screenshot.png] [--number +91...]

Uses $SCREENPOP_TEST_DISPLAY or $DISPLAY, else starts its own Xvfb. Starts
``python -m app --demo`` with a throw-away profile, pops the number with ``python -m app pop``,
waits until ``python -m app state`` says the lookup finished, and copies the PNG the app grabbed
of its own window (SCREENPOP_SCREENSHOT_DIR hook, app/ui/screenshot_hook.py) to the output.
No fixed sleeps: every wait polls a condition with a deadline.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # run as a script: make the tests package importable
    sys.path.insert(0, str(REPO))
from tests.tools.other_process import poll_until, stop_app  # noqa: E402

DEFAULT_NUMBER = "+919876543210"  # the sandbox's Aarav Mehta: every field, two groups, calls
DEFAULT_OUTPUT = REPO / "docs" / "screenshot.png"


@contextlib.contextmanager
def x_display() -> Iterator[str]:
    existing = os.environ.get("SCREENPOP_TEST_DISPLAY") or os.environ.get("DISPLAY")
    if existing:
        yield existing
        return
    if shutil.which("Xvfb") is None:
        raise SystemExit("screenshot.py needs an X display or Xvfb (apt-get install xvfb)")
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1600x1000x24",
                             "-nolisten", "tcp"], pass_fds=(write_fd,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise SystemExit("Xvfb did not report a display number")
        yield f":{number}"
    finally:
        xvfb.terminate()
        xvfb.wait(10)


def app_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "app", *args]


def state(profile: Path, env: dict[str, str]) -> dict[str, Any] | None:
    result = subprocess.run(app_command("state", "--profile", str(profile), "--timeout", "2"),
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=20)
    if result.returncode != 0:
        return None
    state_obj = json.loads(result.stdout)
    return state_obj if isinstance(state_obj, dict) else None


def make_screenshot(output: Path, number: str, display: str, timeout: float = 30.0,
                    log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the demo, pop ``number``, save the window to ``output``; the final state."""
    with tempfile.TemporaryDirectory(prefix="screenpop-shot-") as tmp:
        profile, shots = Path(tmp) / "profile", Path(tmp) / "shots"
        env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb",
               "SCREENPOP_SCREENSHOT_DIR": str(shots), "QT_SCALE_FACTOR": "1"}
        env.pop("DEEPCALL_TOKEN", None)
        env.pop("DEEPCALL_SSID", None)
        app_log = (Path(tmp) / "app.stderr").open("w")
        app = subprocess.Popen(app_command("--demo", "--profile", str(profile)), cwd=REPO,
                               env=env, stdout=app_log, stderr=subprocess.STDOUT)
        try:
            poll_until(lambda: app.poll() is not None or state(profile, env), timeout, "the app")
            if app.poll() is not None:
                raise RuntimeError(f"the app exited with {app.returncode}: "
                                   f"{(Path(tmp) / 'app.stderr').read_text()[-2000:]}")
            log(f"app running on {display}; popping {number}")
            popped = subprocess.run(app_command("pop", number, "--profile", str(profile),
                                                "--no-start"),
                                    cwd=REPO, env=env, capture_output=True, text=True,
                                    timeout=30)
            if popped.returncode != 0:
                raise RuntimeError(f"screenpop pop failed: {popped.stderr.strip()}")
            final = poll_until(lambda: (s := state(profile, env)) and s.get("number") == number
                         and s.get("status") in ("found", "unknown", "error") and s,
                         timeout, "the lookup to finish")
            shot = shots / f"screenpop-{final['status']}.png"
            poll_until(shot.exists, timeout, f"the window grab {shot.name}")
            output.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot, output)
            log(f"state {final['status']}; screenshot written to {output}")
            return dict(final)
        finally:
            stop_app(app)
            app_log.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--number", default=DEFAULT_NUMBER)
    args = parser.parse_args(argv)
    with x_display() as display:
        final = make_screenshot(args.output, args.number, display)
    return 0 if final.get("status") == "found" else 1


if __name__ == "__main__":
    sys.exit(main())
