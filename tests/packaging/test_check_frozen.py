"""packaging/check-frozen.sh run for real against a stand-in app, as on macOS and on Windows.

The stand-in answers what the frozen app answers (--version, --self-test, --help, pop, state)
and runs as a real background process; `uname`, and on Windows `tasklist`/`taskkill`, are
stand-ins too. Two promises of the script are checked where they cannot be run for real:
- macOS (and Windows) cannot prove pop/state Qt-free, nor check the Linux loader variables
  of what the app starts: the script says SKIP with its reason, never PASS, and that SKIP
  does not fail the run (the release job's signed-app check).
- On Windows the app's PID is a Windows PID, which Git Bash's `kill -0` cannot see: the quit
  waits on `tasklist` until the app is gone, then `state` says it is not running.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sources.processes import REPO

CHECK = REPO / "packaging" / "check-frozen.sh"
VERSION = next(line.split('"')[1] for line in
               (REPO / "pyproject.toml").read_text(encoding="utf-8").splitlines()
               if line.startswith("version"))

# PIDS_OFFSET: what the app writes in its lock, a "Windows PID" the POSIX kill cannot address.
FAKE_APP = r"""#!/usr/bin/env bash
set -euo pipefail
offset=${PIDS_OFFSET:-0}
profile=""; args=("$@")
for i in "${!args[@]}"; do [ "${args[$i]}" = --profile ] && profile=${args[$((i + 1))]}; done
alive() {
    [ -f "$profile/screenpop.lock" ] || return 1
    kill -0 $(( $(head -n 1 "$profile/screenpop.lock") - offset )) 2>/dev/null
}
case " $* " in *" --help "*) exit 0 ;; esac  # every command answers --help
case "${1:-}" in
    --version) echo "screenpop VERSION" ;;
    --self-test)
        for name in qt-platform keyring tls deepcall-sandbox local-socket field-mapping icons; do
            echo "PASS $name: fine"
        done ;;
    pop)
        if [ "${2:-}" = --demo ]; then
            sleep 600 </dev/null >/dev/null 2>&1 &
            echo $(( $! + offset )) >"$profile/screenpop.lock"
        fi
        echo "popped" ;;
    state)
        alive || exit 3
        printf '{\n  "status": "found",\n  "name": "Aarav Mehta"\n}\n' ;;
esac
""".replace("VERSION", VERSION)

TASKLIST = r"""#!/usr/bin/env bash
for arg in "$@"; do case "$arg" in "PID eq "*) windows_pid=${arg#PID eq } ;; esac; done
if kill -0 $(( windows_pid - PIDS_OFFSET )) 2>/dev/null; then
    echo "screenpop.exe  $windows_pid Console 1 80,000 K"
else
    echo "INFO: No tasks are running which match the specified criteria."
fi
"""
# Ends the app a moment later, as a real Windows process takes its time to go.
TASKKILL = r"""#!/usr/bin/env bash
pid=$(( ${!#} - PIDS_OFFSET ))
( sleep 0.5; kill -9 "$pid" ) </dev/null >/dev/null 2>&1 &
"""


def tool(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text)
    (folder / name).chmod(0o755)


def run_check(tmp_path: Path, system: str) -> subprocess.CompletedProcess[str]:
    tools = tmp_path / "bin"
    tools.mkdir()
    tool(tools, "uname", f"#!/bin/sh\necho {system}\n")
    tool(tools, "tasklist", TASKLIST)
    tool(tools, "taskkill", TASKKILL)
    app = tmp_path / "screenpop"
    tool(tmp_path, "screenpop", FAKE_APP)
    env = {**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}",
           "PIDS_OFFSET": "100000" if system.startswith("MINGW") else "0"}
    env.pop("SCREENPOP_TEST_DISPLAY", None)
    return subprocess.run(["bash", str(CHECK), str(app)], env=env, capture_output=True,
                          text=True, timeout=120)


pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="stand-ins are POSIX shell scripts"),
    pytest.mark.skipif(shutil.which("perl") is None and sys.platform == "darwin",
                       reason="check-frozen's clock on BSD date needs perl"),
]


@pytest.mark.parametrize("system", ["Darwin", "MINGW64_NT-10.0-26100"])
def test_qt_free_is_a_skip_with_its_reason_where_it_cannot_be_proved(
        tmp_path: Path, system: str) -> None:
    result = run_check(tmp_path, system)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS qt-free" not in result.stdout
    assert "SKIP qt-free: no loader trace to prove it with on" in result.stdout
    assert "PASS child-env" not in result.stdout  # what the app starts: proved on Linux
    assert "SKIP child-env: the loader variables checked are Linux's" in result.stdout
    for step in ("version", "self-test", "commands", "pop", "state", "quit"):
        assert f"PASS {step}:" in result.stdout, result.stdout
    assert result.stdout.rstrip().endswith("check-frozen: all passed")


def test_on_windows_the_quit_waits_on_tasklist_for_the_windows_pid(tmp_path: Path) -> None:
    result = run_check(tmp_path, "MINGW64_NT-10.0-26100")
    # taskkill ends the app half a second later: state must not be asked before it is gone.
    assert "PASS quit: the app ended; state says not running" in result.stdout, result.stdout
