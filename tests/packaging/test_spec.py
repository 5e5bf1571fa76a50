"""build.spec, run with recording stand-ins for PyInstaller's classes, for each target OS."""

from __future__ import annotations

import ast
import plistlib
from collections.abc import Callable
from pathlib import Path

import pytest

from app import cli
from tests.packaging.spec_loading import REPO, Recorded, rules_module, run_spec

SpecFor = Callable[[str], Recorded]


@pytest.fixture
def spec_for(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> SpecFor:
    def run(platform: str) -> Recorded:
        monkeypatch.setattr(rules_module(), "target_platform", lambda: platform)
        return run_spec(tmp_path)
    return run


def loadable_commands() -> set[str]:
    """What app/cli.py can import: its COMMANDS table and whatever route() picks for the
    words and options that do not go through the table (the app, --self-test, a number)."""
    probes = [[], ["--self-test"], ["self-test"], ["--version"], ["--demo"],
              ["tel:+918302390884"], ["08302390884"]]
    return set(cli.COMMANDS.values()) | {cli.route(args)[0] for args in probes}


def test_the_spec_collects_every_command_the_cli_can_load(spec_for: SpecFor) -> None:
    hidden = set(spec_for("linux").analysis["hiddenimports"])
    wanted = {f"app.commands.{name}" for name in loadable_commands()}
    assert "app.commands.gui" in wanted
    assert "app.commands.pop" in wanted
    assert wanted <= hidden, f"not collected: {sorted(wanted - hidden)}"


def test_a_new_command_module_is_collected_without_editing_the_spec(tmp_path: Path) -> None:
    commands = tmp_path / "app" / "commands"
    commands.mkdir(parents=True)
    for name in ("__init__", "gui", "self_test"):
        (commands / f"{name}.py").write_text("")
    assert rules_module().command_modules(tmp_path) == ["app.commands.gui",
                                                        "app.commands.self_test"]


def test_onedir_without_upx_with_our_qt_hook_instead_of_the_stock_one(spec_for: SpecFor) -> None:
    spec = spec_for("linux")
    assert [exe["name"] for exe in spec.exes] == ["screenpop"]
    assert all(exe["exclude_binaries"] and exe["upx"] is False for exe in spec.exes)
    assert spec.collect_options["upx"] is False
    assert spec.collect_options["name"] == "screenpop"
    assert spec.collect_options["strip"] is True
    assert spec.exes[0]["strip"] is True
    assert [Path(hook).name for hook in spec.analysis["runtime_hooks"]] == [
        "rth_qt_plugin_path.py"]
    # Every start (pop and state too) runs only what the bundle needs: the stock hooks that
    # import QtCore, inspect, pkgutil or multiprocessing are gone; the others stay.
    names = [name for name, _, _ in spec.scripts]
    assert names == ["pyi_rth_cryptography_openssl", "rth_qt_plugin_path", "__main__"]


def test_dev_and_build_packages_are_excluded_and_the_app_s_are_not(spec_for: SpecFor) -> None:
    excludes = set(spec_for("linux").analysis["excludes"])
    assert {"pytest", "_pytest", "pygments", "hypothesis", "respx", "mypy", "ruff", "yaml",
            "PyInstaller", "pytestqt", "pluggy", "tkinter"} <= excludes
    runtime = {"PySide6", "httpx", "httpcore", "keyring", "qasync", "phonenumbers",
               "truststore", "certifi", "aiohttp", "sniffio", "jaraco", "app",
               "PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "PySide6.QtNetwork"}
    assert not runtime & excludes
    assert {"PySide6.QtQml", "PySide6.QtWebEngineCore", "PySide6.QtPdf"} <= excludes


def test_resources_and_the_metadata_for_version_are_bundled(spec_for: SpecFor) -> None:
    datas = spec_for("linux").analysis["datas"]
    destinations = {(Path(src).name, dest) for src, dest in datas}
    assert ("field_mapping.default.json", "resources") in destinations
    assert ("app.svg", str(Path("resources/icons"))) in destinations
    assert any(Path(src).name.startswith("deepcall_screenpop-") and
               Path(src).name.endswith(".dist-info") for src, _ in datas)
    assert not any(Path(src).suffix in (".ico", ".icns", ".md") for src, _ in datas)


def test_windows_gets_a_windowed_exe_and_a_console_com_in_one_folder(spec_for: SpecFor,
                                                                  tmp_path: Path) -> None:
    spec = spec_for("win32")
    windowed, console = spec.exes
    assert (windowed["name"], windowed["console"]) == ("screenpop", False)
    assert (console["name"], console["console"]) == ("screenpop-console", True)
    entries = [part for part in spec.collect if isinstance(part, list) and part
               and part[0][2] == "EXECUTABLE"]
    assert entries == [[("screenpop.com", str(tmp_path / "screenpop-console"), "EXECUTABLE")]]
    assert spec.collect_options["strip"] is False
    assert all(Path(exe["icon"]).name == "app.ico" for exe in spec.exes)
    version_file = Path(windowed["version"])
    assert version_file.parent == tmp_path
    version = rules_module().project_version(REPO)
    text = version_file.read_text(encoding="utf-8")
    ast.parse(text)  # PyInstaller eval()s it
    assert f"filevers={rules_module().version_tuple(version)}" in text
    assert f"StringStruct('ProductVersion', '{version}')" in text
    assert spec.bundle is None


def test_macos_gets_an_app_bundle_with_url_types_and_no_argv_emulation(spec_for: SpecFor) -> None:
    spec = spec_for("darwin")
    assert spec.bundle is not None
    assert spec.bundle["name"] == "DeepCall Screen-Pop.app"
    assert spec.bundle["bundle_identifier"] == "com.deepcall.screenpop"
    assert Path(spec.bundle["icon"]).name == "app.icns"
    assert all(exe["argv_emulation"] is False for exe in spec.exes)
    assert [exe["name"] for exe in spec.exes] == ["screenpop"]  # Contents/MacOS/screenpop
    plist = plistlib.loads(plistlib.dumps(spec.bundle["info_plist"]))
    version = rules_module().project_version(REPO)
    assert spec.bundle["version"] == version == plist["CFBundleShortVersionString"]
    assert plist["CFBundleIdentifier"] == "com.deepcall.screenpop"
    assert plist["NSHighResolutionCapable"] is True
    assert plist["LSMinimumSystemVersion"]
    schemes = {s for url in plist["CFBundleURLTypes"] for s in url["CFBundleURLSchemes"]}
    assert schemes == {"tel", "callto"}
    assert spec.collect_options["strip"] is False
