"""``screenpop pop`` in a bundle starts the bundle's app as a new top-level process with the
user's environment (real processes: the bundle faked by ``sys.frozen``/``sys._MEIPASS`` and an
executable that records how it was started); which executable on Windows (a fake platform)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from app.commands.pop import EXIT_START_FAILED, frozen_app_executable
from app.core.child_env import RESET_VARIABLE
from tests.platforms import posix_only

REPO = Path(__file__).resolve().parents[2]
FROZEN = """
import sys
sys.frozen = True
sys._MEIPASS = sys.argv.pop(1)
sys.executable = sys.argv.pop(1)
from app.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def _recording_app(folder: Path) -> Path:
    """Stands in for the bundle's executable: writes its environment and argv, exits 3."""
    app = folder / "screenpop"
    app.write_text('#!/bin/sh\nenv > "$(dirname "$0")/started.env"\n'
                   'echo "$@" > "$(dirname "$0")/started.argv"\nexit 3\n', encoding="utf-8")
    app.chmod(app.stat().st_mode | stat.S_IXUSR)
    return app


@posix_only("the stand-in app is a #!/bin/sh script")
def test_pop_starts_the_bundles_app_as_an_independent_process_with_the_users_environment(
        tmp_path: Path) -> None:
    bundle = tmp_path / "screenpop" / "_internal"
    bundle.mkdir(parents=True)
    app = _recording_app(bundle.parent)
    profile = tmp_path / "profile"
    env = {**os.environ, "LD_LIBRARY_PATH": str(bundle), "LD_LIBRARY_PATH_ORIG": "/opt/crm/lib",
           "QT_PLUGIN_PATH": f"{bundle}/PySide6/Qt/plugins",
           "_PYI_APPLICATION_HOME_DIR": str(bundle), "_PYI_PARENT_PROCESS_LEVEL": "1",
           "_MEIPASS2": str(bundle)}
    result = subprocess.run([sys.executable, "-c", FROZEN, str(bundle), str(app), "pop",
                             "+919876543210", "--profile", str(profile), "--wait", "20"],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == EXIT_START_FAILED, result.stderr  # the stand-in exits 3
    assert (bundle.parent / "started.argv").read_text().split() == ["--profile", str(profile)]
    started = dict(line.split("=", 1) for line in
                   (bundle.parent / "started.env").read_text().splitlines() if "=" in line)
    assert started[RESET_VARIABLE] == "1"
    assert started["LD_LIBRARY_PATH"] == "/opt/crm/lib"
    assert not {"LD_LIBRARY_PATH_ORIG", "QT_PLUGIN_PATH", "_MEIPASS2"} & started.keys()
    assert not [name for name in started if name.startswith("_PYI_")]


def test_on_windows_the_app_is_always_the_windowed_exe_beside_the_console_one() -> None:
    folder = r"C:\Users\agent\AppData\Local\Programs\DeepCall Screen-Pop"
    for running_as in ("screenpop.com", "screenpop.exe"):
        assert frozen_app_executable(rf"{folder}\{running_as}", "win32") == \
            rf"{folder}\screenpop.exe"
    assert frozen_app_executable("/opt/screenpop/screenpop", "linux") == \
        "/opt/screenpop/screenpop"
    mac = "/Applications/DeepCall Screen-Pop.app/Contents/MacOS/screenpop"
    assert frozen_app_executable(mac, "darwin") == mac
