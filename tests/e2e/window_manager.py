"""A display of a test's own with a real window manager (openbox) on it: what focus and
stacking mean on an agent's desktop. The with-desktop wrapper's Xvfb has no window manager
(nothing there decides who gets the focus), and it is shared with other tests."""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.tools.other_process import poll_until, stop_app

TOOLS = ("Xvfb", "openbox", "xdotool", "xprop")
# A loaded two-core machine running several Xvfbs: openbox has been seen to need more than
# 20 s. Polled, so a quick start costs nothing.
WM_START_SECONDS = 90
CRM_TITLE = "Agent CRM"
# The agent's other program: one text field, its text written to a file at each change.
CRM_SCRIPT = f"""
import sys
from pathlib import Path
from PySide6.QtWidgets import QApplication, QLineEdit
app = QApplication(sys.argv)
out = Path(sys.argv[1])
field = QLineEdit()
field.setWindowTitle({CRM_TITLE!r})
field.resize(500, 120)
field.textChanged.connect(lambda text: out.write_text(text, encoding="utf-8"))
field.show()
app.exec()
"""


def needs_window_manager() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)}: apt-get install xvfb openbox xdotool "
                    "x11-utils (.ci/run installs them)")


@dataclass
class Desktop:
    display: str
    env: dict[str, str] = field(repr=False)  # an assertion's message shows no environment

    def run(self, *args: str) -> str:
        result = subprocess.run(args, env=self.env, capture_output=True, text=True,
                                timeout=30, check=False)
        assert result.returncode == 0, f"{args}: {result.stderr}"
        return result.stdout

    def focused(self) -> int:
        return int(self.run("xdotool", "getwindowfocus").strip())

    def stacking(self) -> list[int]:
        """The managed windows, bottom to top, as the window manager stacks them."""
        out = self.run("xprop", "-root", "_NET_CLIENT_LIST_STACKING")
        ids = out.partition("#")[2]
        return [int(part.strip(), 16) for part in ids.split(",") if part.strip()]

    def windows(self, title: str, pid: int) -> list[int]:
        found = subprocess.run(["xdotool", "search", "--onlyvisible", "--pid", str(pid),
                                "--name", title], env=self.env, capture_output=True,
                               text=True, timeout=10, check=False)
        return [int(line) for line in found.stdout.split()] if found.returncode == 0 else []

    def window(self, title: str, pid: int) -> int:
        return poll_until(lambda: next(iter(self.windows(title, pid)), None), 30,
                          f"the window {title!r} to be mapped")


def _own_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-screen", "0",
                             "1280x800x24", "-nolisten", "tcp"], pass_fds=(write_end,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    reported = b""
    try:
        # The number is whole, and the server ready, at the newline.
        while not reported.endswith(b"\n"):
            ready, _, _ = select.select([read_end], [], [], 20)
            chunk = os.read(read_end, 64) if ready else b""
            if not chunk:
                stop_app(xvfb)
                raise AssertionError("Xvfb did not report its display number")
            reported += chunk
    finally:
        os.close(read_end)
    return xvfb, f":{reported.decode().strip()}"


def _window_manager_running(wm: subprocess.Popen[bytes], env: dict[str, str]) -> bool:
    """The EWMH handshake is complete: the root's _NET_SUPPORTING_WM_CHECK names a window
    whose own _NET_SUPPORTING_WM_CHECK names itself (set last by a starting manager)."""
    if wm.poll() is not None:
        raise AssertionError(f"openbox exited at start (status {wm.returncode})")
    root = subprocess.run(["xprop", "-root", "_NET_SUPPORTING_WM_CHECK"], env=env,
                          capture_output=True, text=True, timeout=10, check=False)
    child = root.stdout.rpartition("window id # ")[2].strip()
    if root.returncode != 0 or not child.startswith("0x"):
        return False
    own = subprocess.run(["xprop", "-id", child, "_NET_SUPPORTING_WM_CHECK"], env=env,
                         capture_output=True, text=True, timeout=10, check=False)
    return own.returncode == 0 and own.stdout.rpartition("window id # ")[2].strip() == child


@contextlib.contextmanager
def openbox_desktop(tmp_path: Path) -> Iterator[Desktop]:
    needs_window_manager()
    xvfb, display = _own_xvfb()
    config = tmp_path / "wm-config"
    config.mkdir()
    env = {**os.environ, "DISPLAY": display, "XDG_CONFIG_HOME": str(config)}
    openbox = subprocess.Popen(["openbox", "--sm-disable"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    desktop = Desktop(display, env)
    try:
        poll_until(lambda: _window_manager_running(openbox, env), WM_START_SECONDS,
                   "openbox to manage the display (_NET_SUPPORTING_WM_CHECK)")
        yield desktop
    finally:
        stop_app(openbox)
        stop_app(xvfb)


@contextlib.contextmanager
def crm_window(desktop: Desktop, typed: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """The agent's CRM in its own process, mapped and holding the keyboard focus."""
    process = subprocess.Popen([sys.executable, "-c", CRM_SCRIPT, str(typed)],
                               env={**desktop.env, "QT_QPA_PLATFORM": "xcb"},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        window = desktop.window(CRM_TITLE, process.pid)
        desktop.run("xdotool", "windowactivate", "--sync", str(window))
        poll_until(lambda: desktop.focused() == window, 20, "the CRM to have the focus")
        yield process, window
    finally:
        stop_app(process)
