"""A windowed Windows build (``screenpop.exe``) runs with ``sys.stdout`` and ``sys.stderr`` set
to None: every command must still do its work and give its exit code, never crash.

Real processes: ``python -c`` sets both streams to None, as the windowed bootloader leaves
them, then calls ``app.cli.main``; a traceback would go to a copy of the real stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.sandbox.accounts import DEMO_TOKEN, DEMO_USER_ID
from app.sandbox.seed import DEMO_KNOWN_NUMBER
from app.sandbox.server import SandboxServer
from tests.tools.other_process import poll_until, stop_app

REPO = Path(__file__).resolve().parents[2]
KNOWN = "+" + DEMO_KNOWN_NUMBER
WINDOWED = """
import os, sys, traceback
report = os.fdopen(os.dup(2), "w")
sys.stdout = sys.stderr = None
try:
    from app.cli import main
    code = main(sys.argv[1:])
except SystemExit as exit_:  # argparse's help and usage errors end so, as from a console
    code = exit_.code
except BaseException:
    traceback.print_exc(file=report)
    report.flush()
    os._exit(99)
raise SystemExit(code)
"""


def _windowed(*args: str, env: dict[str, str] | None = None,
              **popen: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", WINDOWED, *args], cwd=REPO,  # type: ignore[call-overload, no-any-return]
                          env=env or dict(os.environ), capture_output=True, text=True,
                          timeout=120, check=False, **popen)


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    return tmp_path / "profile"


def _cases(profile: Path) -> Iterator[tuple[list[str], int]]:
    yield ["--help"], 0
    yield ["--version"], 0
    yield ["--profile", str(profile), "--brand", "ftp://nowhere"], 2  # argparse's error
    yield ["pop", "--help"], 0
    yield ["pop", "12", "--profile", str(profile), "--no-start"], 2
    yield ["pop", KNOWN, "--profile", str(profile), "--no-start"], 5
    yield ["event", "ringing"], 2
    yield ["state", "--profile", str(profile)], 3
    yield ["state", "--address", "--profile", str(profile)], 0
    yield ["lookup", "not a number"], 2
    yield ["sandbox", "--port", "99999"], 2
    yield ["self-test", "--help"], 0


def test_every_command_gives_its_exit_code_without_streams(profile: Path) -> None:
    for args, code in _cases(profile):
        result = _windowed(*args)
        assert (result.returncode, result.stdout, result.stderr) == (code, "", ""), args


def test_lookup_prints_into_nothing_and_still_says_found(sandbox: SandboxServer) -> None:
    # Exit 0 says "known caller" to a script even with nowhere to print the contact.
    for output in ([], ["--json"], ["--verbose"]):
        result = _windowed("lookup", KNOWN, "--brand", sandbox.base_url, "--user-id",
                           DEMO_USER_ID, *output,
                           env={**os.environ, "DEEPCALL_TOKEN": DEMO_TOKEN})
        assert (result.returncode, result.stdout, result.stderr) == (0, "", ""), output


def test_the_app_runs_and_pops_without_streams(x_display: str, profile: Path) -> None:
    env = {**os.environ, "DISPLAY": x_display, "QT_QPA_PLATFORM": "xcb"}
    app = subprocess.Popen([sys.executable, "-c", WINDOWED, "--demo", "--profile",
                            str(profile)], cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def popped() -> bool:
            assert app.poll() is None, app.stderr.read() if app.stderr else ""
            result = subprocess.run([sys.executable, "-m", "app", "pop", KNOWN, "--profile",
                                     str(profile), "--no-start"], cwd=REPO, env=env,
                                    capture_output=True, timeout=30, check=False)
            return result.returncode == 0
        poll_until(popped, 30, "the windowed app to take a pop")
    finally:
        stop_app(app)
    assert app.returncode == 0
    assert app.stderr is not None
    assert app.stderr.read() == b""
