"""The demo ignores any IT preset: a fake call in ``screenpop --demo`` must never run IT's real
call actions (a CRM program), nor take IT's settings. The real demo app on Xvfb, the call
event from another process, as a softphone sends it."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from app.services.preset import PRESET_ENV
from app.services.settings_file import SETTINGS_FILE_NAME
from tests.e2e.real_app import real_app
from tests.tools.other_process import poll_until

pytestmark = [pytest.mark.xvfb,
              pytest.mark.skipif(sys.platform == "win32", reason="a POSIX program")]


def test_the_demo_runs_the_agents_program_never_the_presets(x_display: str,
                                                            tmp_path: Path) -> None:
    marker = tmp_path / "program-runs"
    program = tmp_path / "crm-pop.sh"
    program.write_text(f"#!/bin/sh\necho \"$1\" >> '{marker}'\n", encoding="utf-8")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    preset = tmp_path / "preset.ini"
    preset.write_text(f"[General]\nrun_program={program}\nrun_program_args=it\n"
                      "run_program_on=ringing\n", encoding="utf-8")
    profile = tmp_path / "demo-profile"
    profile.mkdir()
    # The agent's own program, with its own argument: what the demo runs, as a control that
    # the program ran at all (so the check below needs no waiting for something not to happen).
    (profile / SETTINGS_FILE_NAME).write_text(
        f"[General]\nrun_program={program}\nrun_program_args=agent\nrun_program_on=ringing\n",
        encoding="utf-8")
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
           "DISPLAY": x_display, "QT_QPA_PLATFORM": "xcb",
           "SCREENPOP_NO_START_FAILURE_WINDOW": "1", PRESET_ENV: str(preset)}
    for name in ("DEEPCALL_TOKEN", "DEEPCALL_SSID"):
        env.pop(name, None)
    with real_app(profile, env, tmp_path / "app.log", start=("-m", "app", "--demo")) as app:
        sent = app.cli("event", "ringing", "--call-id", "c1", "--number", "9876543210",
                       "--no-start", "--demo")
        assert sent.returncode == 0, sent.stderr
        app.shown("+919876543210")
        poll_until(lambda: marker.exists() and marker.read_text().endswith("\n"), 15,
                   "the program of the call actions")
        assert marker.read_text() == "agent\n"
    log = (profile / "logs" / "screenpop.log").read_text(encoding="utf-8")
    assert log.count(f"the demo ignores the IT preset {preset}") == 1
