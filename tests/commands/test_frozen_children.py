"""What the app in a bundle starts gets the user's environment: the browser for a caller page
(Qt runs xdg-open) and the program on call events. The real app in its own process, the bundle
faked by ``sys.frozen``/``sys._MEIPASS`` and its environment as the bootloader leaves it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from app.services.settings import Settings
from tests.commands.test_frozen_streams import KNOWN
from tests.tools.other_process import poll_until, stop_app

pytestmark = pytest.mark.xvfb
REPO = Path(__file__).resolve().parents[2]
FROZEN = """
import sys
sys.frozen = True
sys._MEIPASS = sys.argv.pop(1)
from app.cli import main
raise SystemExit(main(sys.argv[1:]))
"""
RECORDER = '#!/bin/sh\nenv > "{out}/$(basename "$0").part" && ' \
           'mv "{out}/$(basename "$0").part" "{out}/$(basename "$0").env"\n'


def _recorder(folder: Path, name: str, out: Path) -> Path:
    script = folder / name
    script.write_text(RECORDER.format(out=out), encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def _env_of(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def test_the_browser_and_the_call_program_get_the_users_environment(
        x_display: str, tmp_path: Path) -> None:
    bundle, programs, out = tmp_path / "bundle", tmp_path / "bin", tmp_path / "out"
    for folder in (bundle, programs, out):
        folder.mkdir()
    _recorder(programs, "xdg-open", out)
    program = _recorder(programs, "crm-hook", out)
    profile = tmp_path / "profile"
    saved = Settings(profile)
    for name, value in {"open_url_template": "https://crm.example.com/find?q={e164}",
                        "open_url_when": "ringing", "run_program": str(program),
                        "run_program_args": "{e164}", "run_program_on": "ringing"}.items():
        saved.set_value(name, value)
    user_path = f"{programs}:{os.environ['PATH']}"
    env = {**os.environ, "DISPLAY": x_display, "QT_QPA_PLATFORM": "xcb",
           "PATH": f"{bundle}:{user_path}",
           "LD_LIBRARY_PATH": str(bundle), "LD_LIBRARY_PATH_ORIG": "/opt/crm/lib",
           "QT_PLUGIN_PATH": f"{bundle}/PySide6/Qt/plugins",
           "QML2_IMPORT_PATH": f"{bundle}/PySide6/Qt/qml",
           "_PYI_APPLICATION_HOME_DIR": str(bundle), "_PYI_PARENT_PROCESS_LEVEL": "1"}
    for name in ("BROWSER", "DEFAULT_BROWSER", "XDG_CURRENT_DESKTOP", "DEEPCALL_TOKEN"):
        env.pop(name, None)
    app = subprocess.Popen([sys.executable, "-c", FROZEN, str(bundle), "--demo", "--profile",
                            str(profile)], cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def popped() -> bool:
            assert app.poll() is None, "the app exited"
            return subprocess.run(
                [sys.executable, "-m", "app", "pop", KNOWN, "--call-id", "c-1", "--profile",
                 str(profile), "--no-start"], cwd=REPO, env=dict(os.environ),
                capture_output=True, timeout=30, check=False).returncode == 0
        poll_until(popped, 30, "the app to take the pop")
        poll_until(lambda: {"xdg-open.env", "crm-hook.env"} <= {p.name for p in out.iterdir()},
                   30, "the browser and the program to start")
    finally:
        stop_app(app)
    for started in ("xdg-open.env", "crm-hook.env"):
        child = _env_of(out / started)
        assert child["LD_LIBRARY_PATH"] == "/opt/crm/lib", started
        assert child["PATH"] == user_path, started
        assert not {"LD_LIBRARY_PATH_ORIG", "QT_PLUGIN_PATH", "QML2_IMPORT_PATH"} & child.keys()
        assert not [name for name in child if name.startswith("_PYI_")], started
