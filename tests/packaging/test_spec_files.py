"""The files the spec and the Linux tarball carry: the run-time hook (in a real process), the
generated icons, the desktop entry, the shell scripts (install.sh: test_spec_install.py)."""

from __future__ import annotations

import configparser
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tests.packaging.spec_loading import REPO
from tests.platforms import posix_only

SCRIPT_AS_PROGRAM = posix_only("a shell script run as a program (#!/bin/sh)")

ICONS = REPO / "resources" / "icons"
LINUX = REPO / "packaging" / "linux"


def _run_the_hook(meipass: Path, env: dict[str, str]) -> list[str]:
    hook = REPO / "packaging" / "pyinstaller" / "rth_qt_plugin_path.py"
    probe = (f"import sys; sys._MEIPASS = {str(meipass)!r}; "
             f"exec(open({str(hook)!r}).read()); import os; "
             "print(os.environ['QT_PLUGIN_PATH']); "
             "print(os.environ.get('QT_PLUGIN_PATH_ORIG')); "
             "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))))")
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=env, check=True).stdout.splitlines()


def _without_qt_plugin_path() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("QT_PLUGIN_PATH")}


def test_the_run_time_hook_sets_the_plugin_path_without_loading_qt(tmp_path: Path) -> None:
    out = _run_the_hook(tmp_path, {**_without_qt_plugin_path(),
                                   "QT_PLUGIN_PATH_ORIG": "/stale/from/another/bundle"})
    assert out == [str(tmp_path / "PySide6" / "Qt" / "plugins"), "None", "[]"]


def test_the_run_time_hook_keeps_the_users_plugin_path_for_what_the_app_starts(
        tmp_path: Path) -> None:
    from app.core.child_env import child_environment

    user = {**_without_qt_plugin_path(), "QT_PLUGIN_PATH": "/opt/user/qt6/plugins"}
    bundle_value, kept, _modules = _run_the_hook(tmp_path, user)
    assert kept == "/opt/user/qt6/plugins"
    frozen_env = {**user, "QT_PLUGIN_PATH": bundle_value, "QT_PLUGIN_PATH_ORIG": kept}
    child = child_environment(frozen_env, str(tmp_path), "linux")
    assert child["QT_PLUGIN_PATH"] == "/opt/user/qt6/plugins"
    assert "QT_PLUGIN_PATH_ORIG" not in child


def _png_size(png: bytes) -> int:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width == height
    return int(width)


def test_app_ico_holds_every_windows_size_as_png() -> None:
    data = (ICONS / "app.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)
    sizes = []
    for index in range(count):
        side, _, _, _, _, bits, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * index:22 + 16 * index])
        png = data[offset:offset + length]
        assert _png_size(png) == (side or 256)
        assert bits == 32
        sizes.append(side or 256)
    assert sizes == [16, 20, 24, 32, 40, 48, 64, 256]


def test_app_icns_holds_the_retina_sizes_as_png() -> None:
    data = (ICONS / "app.icns").read_bytes()
    assert data[:4] == b"icns"
    assert struct.unpack(">I", data[4:8])[0] == len(data)
    entries, position = {}, 8
    while position < len(data):
        kind, length = data[position:position + 4], struct.unpack(">I", data[position + 4:
                                                                         position + 8])[0]
        entries[kind.decode()] = _png_size(data[position + 8:position + length])
        position += length
    assert entries == {"ic11": 32, "ic12": 64, "ic07": 128, "ic13": 256, "ic08": 256,
                       "ic14": 512, "ic09": 512, "ic10": 1024}


def test_the_icons_are_those_make_icons_draws_from_app_svg(tmp_path: Path) -> None:
    """Regenerated in a copy: a changed app.svg without rerunning the script fails here."""
    copy = tmp_path / "repo"
    (copy / "packaging").mkdir(parents=True)
    (copy / "resources" / "icons").mkdir(parents=True)
    (copy / "packaging" / "make_icons.py").write_bytes(
        (REPO / "packaging" / "make_icons.py").read_bytes())
    (copy / "resources" / "icons" / "app.svg").write_bytes((ICONS / "app.svg").read_bytes())
    subprocess.run([sys.executable, str(copy / "packaging" / "make_icons.py")], check=True,
                   capture_output=True, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    for name in ("app.ico", "app.icns"):
        assert (copy / "resources" / "icons" / name).read_bytes() == (ICONS / name).read_bytes()


def _desktop_entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_the_desktop_entry_handles_tel_and_callto_links() -> None:
    entry = _desktop_entry(LINUX / "screenpop.desktop")
    assert entry["Type"] == "Application"
    assert entry["MimeType"] == "x-scheme-handler/tel;x-scheme-handler/callto;"
    assert entry["Exec"].endswith(" %u")
    assert entry["Terminal"] == "false"


@pytest.mark.parametrize("script", [
    "packaging/build-bundle.sh", "packaging/check-frozen.sh", "packaging/linux/install.sh",
    "packaging/linux/make-tarball.sh", ".ci/run"])
def test_shell_scripts_parse_and_stop_on_errors(script: str) -> None:
    path = REPO / script
    assert os.access(path, os.X_OK)
    subprocess.run(["bash", "-n", str(path)], check=True)
    assert "set -euo pipefail" in path.read_text(encoding="utf-8")


@SCRIPT_AS_PROGRAM
def test_check_frozen_refuses_a_missing_executable(tmp_path: Path) -> None:
    result = subprocess.run([str(REPO / "packaging" / "check-frozen.sh"),
                             str(tmp_path / "screenpop")], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 2
    assert "is not an executable" in result.stderr
