"""The files the spec and the Linux tarball carry: the run-time hook (in a real process), the
generated icons, the desktop entry and install.sh (run for real in a throw-away home)."""

from __future__ import annotations

import configparser
import os
import stat
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


@pytest.fixture
def unpacked(tmp_path: Path) -> Path:
    """An unpacked tarball with a stand-in bundle, as make-tarball.sh lays it out."""
    folder = tmp_path / "unpacked"
    bundle = folder / "screenpop"
    (bundle / "_internal" / "resources" / "icons").mkdir(parents=True)
    (bundle / "screenpop").write_text("#!/bin/sh\necho frozen \"$@\"\n")
    (bundle / "screenpop").chmod(0o755)
    (bundle / "_internal" / "resources" / "icons" / "app.svg").write_bytes(
        (ICONS / "app.svg").read_bytes())
    for name in ("screenpop.desktop", "install.sh"):
        (folder / name).write_bytes((LINUX / name).read_bytes())
    (folder / "install.sh").chmod(0o755)
    return folder


def _install(unpacked: Path, home: Path, *args: str, with_xdg_mime: bool = True
             ) -> subprocess.CompletedProcess[str]:
    tools = home.parent / "tools"
    tools.mkdir(exist_ok=True)
    recorder = tools / "xdg-mime"
    if with_xdg_mime:  # records how it was called, as xdg-utils' would be
        recorder.write_text(f'#!/bin/sh\necho "$@" >> "{home.parent}/xdg-mime.calls"\n')
        recorder.chmod(recorder.stat().st_mode | stat.S_IEXEC)
    elif recorder.exists():
        recorder.unlink()
    env = {"HOME": str(home), "PATH": f"{tools}:/usr/bin:/bin"}
    return subprocess.run([str(unpacked / "install.sh"), *args], capture_output=True,
                          text=True, env=env, check=False)


@SCRIPT_AS_PROGRAM
def test_install_sh_installs_for_the_user_and_registers_tel_and_callto(
        unpacked: Path, tmp_path: Path) -> None:
    home = tmp_path / "home of agent"  # a space: Exec must quote the path
    home.mkdir()
    result = _install(unpacked, home)
    assert result.returncode == 0, result.stderr
    target = home / ".local" / "share" / "deepcall-screenpop"
    exe = target / "screenpop"
    entry = _desktop_entry(home / ".local" / "share" / "applications" / "screenpop.desktop")
    assert entry["Exec"] == f'"{exe}" %u'
    assert entry["MimeType"] == "x-scheme-handler/tel;x-scheme-handler/callto;"
    assert (tmp_path / "xdg-mime.calls").read_text().split() == [
        "default", "screenpop.desktop", "x-scheme-handler/tel", "x-scheme-handler/callto"]
    link = home / ".local" / "bin" / "screenpop"
    assert subprocess.run([str(link), "tel:+1"], capture_output=True, text=True,
                          check=True).stdout == "frozen tel:+1\n"
    assert (home / ".local/share/icons/hicolor/scalable/apps/deepcall-screenpop.svg").exists()

    again = _install(unpacked, home)  # an update replaces the bundle in place
    assert again.returncode == 0, again.stderr
    assert not (target.parent / "deepcall-screenpop.new").exists()

    removed = _install(unpacked, home, "--uninstall")
    assert removed.returncode == 0, removed.stderr
    assert not target.exists()
    assert not link.exists()
    assert not (home / ".local" / "share" / "applications" / "screenpop.desktop").exists()


@SCRIPT_AS_PROGRAM
def test_install_sh_without_xdg_mime_says_how_to_choose_the_handler(
        unpacked: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    result = _install(unpacked, home, with_xdg_mime=False)
    assert result.returncode == 0
    assert "xdg-mime not found" in result.stderr
    assert "default-apps settings" in result.stderr


def test_install_sh_refuses_to_run_without_a_bundle_beside_it(tmp_path: Path) -> None:
    (tmp_path / "install.sh").write_bytes((LINUX / "install.sh").read_bytes())
    result = subprocess.run(["bash", str(tmp_path / "install.sh")], capture_output=True,
                            text=True, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
                            check=False)
    assert result.returncode == 1
    assert "no bundle at" in result.stderr
    assert "Traceback" not in result.stderr


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
