"""The bundle's rules (packaging/pyinstaller/bundle_rules.py) against fake file lists of the
three OS layouts, fake link graphs and the app's own code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.packaging.spec_loading import REPO, rules_module

rules = rules_module()

WINDOWS_DROPPED = [
    "PySide6/opengl32sw.dll", "PySide6/d3dcompiler_47.dll", "PySide6/Qt6Pdf.dll",
    "PySide6/translations/qtbase_de.qm", "PySide6\\plugins\\tls\\qschannelbackend.dll",
    "PySide6/plugins/platforms/qdirect2d.dll", "PySide6/plugins/imageformats/qjpeg.dll",
    "PySide6/plugins/imageformats/qpdf.dll", "PySide6/plugins/generic/qtuiotouchplugin.dll",
    "PySide6/plugins/networkinformation/qnetworklistmanager.dll",
    "PySide6/Qt6Quick.dll", "PySide6/Qt6Qml.dll",
]
WINDOWS_KEPT = [
    "PySide6/Qt6Core.dll", "PySide6/Qt6Gui.dll", "PySide6/Qt6Widgets.dll",
    "PySide6/Qt6Network.dll", "PySide6/Qt6Svg.dll", "PySide6/plugins/platforms/qwindows.dll",
    "PySide6/plugins/platforms/qoffscreen.dll", "PySide6/plugins/imageformats/qsvg.dll",
    "PySide6/plugins/iconengines/qsvgicon.dll", "PySide6/plugins/styles/qmodernwindowsstyle.dll",
    "python311.dll", "PySide6/QtCore.pyd", "resources/icons/app.svg",
]
MACOS_DROPPED = [
    "PySide6/Qt/lib/QtPdf.framework/Versions/A/QtPdf", "PySide6/Qt/translations/qt_fr.qm",
    "PySide6/Qt/plugins/imageformats/libqmacheif.dylib",
    "PySide6/Qt/plugins/tls/libqsecuretransportbackend.dylib",
    "PySide6/Qt/lib/QtQuick.framework/Versions/A/QtQuick",
]
MACOS_KEPT = [
    "PySide6/Qt/lib/QtCore.framework/Versions/A/QtCore",
    "PySide6/Qt/lib/QtWidgets.framework/Versions/A/QtWidgets",
    "PySide6/Qt/plugins/platforms/libqcocoa.dylib",
    "PySide6/Qt/plugins/platforms/libqoffscreen.dylib",
    "PySide6/Qt/plugins/imageformats/libqsvg.dylib", "PySide6/Qt/plugins/styles/libqmacstyle.dylib",
    "Python", "lib-dynload/_ssl.cpython-311-darwin.so",
]
LINUX_DROPPED = [
    "PySide6/Qt/plugins/platforms/libqwayland-egl.so",
    "PySide6/Qt/plugins/platforms/libqwayland-generic.so",
    "PySide6/Qt/plugins/wayland-shell-integration/libxdg-shell.so",
    "PySide6/Qt/plugins/platforms/libqeglfs.so", "PySide6/Qt/plugins/platforms/libqvnc.so",
    "PySide6/Qt/plugins/platforms/libqlinuxfb.so",
    "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
    "PySide6/Qt/plugins/xcbglintegrations/libqxcb-glx-integration.so",
    "PySide6/Qt/plugins/egldeviceintegrations/libqeglfs-kms-integration.so",
    "PySide6/Qt/translations/qtbase_hi.qm", "PySide6/Qt/lib/libQt6Pdf.so.6",
]
LINUX_KEPT = [
    "PySide6/Qt/plugins/platforms/libqxcb.so", "PySide6/Qt/plugins/platforms/libqoffscreen.so",
    "PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so",
    "PySide6/Qt/plugins/platforminputcontexts/libibusplatforminputcontextplugin.so",
    "PySide6/Qt/plugins/platforminputcontexts/libcomposeplatforminputcontextplugin.so",
    "PySide6/Qt/plugins/imageformats/libqsvg.so", "PySide6/Qt/lib/libicudata.so.73",
    "PySide6/Qt/lib/libQt6DBus.so.6", "PySide6/Qt/lib/libQt6XcbQpa.so.6",
    "libpython3.11.so.1.0", "cryptography/hazmat/bindings/_rust.abi3.so",
]


@pytest.mark.parametrize("name", WINDOWS_DROPPED + MACOS_DROPPED + LINUX_DROPPED)
def test_pruned(name: str) -> None:
    assert rules.is_pruned(name)


@pytest.mark.parametrize("name", WINDOWS_KEPT + MACOS_KEPT + LINUX_KEPT)
def test_kept(name: str) -> None:
    assert not rules.is_pruned(name)


def test_pruning_keeps_the_rest_of_a_toc_in_order() -> None:
    toc = [(name, f"/src/{i}", "BINARY") for i, name in enumerate(WINDOWS_KEPT + WINDOWS_DROPPED)]
    assert [name for name, _, _ in rules.pruned(toc)] == WINDOWS_KEPT


def test_libraries_only_a_pruned_plugin_needed_go_with_it() -> None:
    links = {
        "gtk3-plugin": ["libgtk", "libQt6Gui"], "libgtk": ["libcairo", "libglib"],
        "libcairo": ["libpixman"], "xcb-plugin": ["libQt6Gui", "libglib"],
        "libQt6Gui": ["libQt6Core"], "portal-plugin": ["libQt6DBus"],
    }
    toc = [(f"x/{src}", src, "BINARY") for src in (
        "xcb-plugin", "portal-plugin", "libgtk", "libcairo", "libpixman", "libglib",
        "libQt6Gui", "libQt6Core", "libQt6DBus", "libsqlite3")]
    dropped = [("x/plugins/platformthemes/gtk3-plugin", "gtk3-plugin", "BINARY")]
    gone = rules.orphans(toc, dropped, lambda path: links.get(path, []))
    assert gone == {"libgtk", "libcairo", "libpixman"}


def test_a_library_a_kept_file_also_needs_stays_even_through_another_candidate() -> None:
    links = {"gtk": ["libA"], "libA": ["libB"], "keeper": ["libB"]}
    toc = [(src, src, "BINARY") for src in ("keeper", "libA", "libB")]
    assert rules.orphans(toc, [("gtk", "gtk", "BINARY")], lambda p: links.get(p, [])) == {"libA"}


def test_the_qt_modules_kept_are_those_the_app_imports() -> None:
    used = set()
    for path in (REPO / "app").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"PySide6\.(Qt\w+)", text))
        used |= {name.strip() for group in re.findall(r"from PySide6 import ([\w, ]+)", text)
                 for name in group.split(",")}
    assert used == set(rules.QT_MODULES)
    assert not {f"PySide6.{m}" for m in rules.QT_MODULES} & set(rules.unused_qt_modules())


@pytest.mark.parametrize(("version", "numbers"), [
    ("0.1.0", (0, 1, 0, 0)), ("1.2", (1, 2, 0, 0)), ("2.10.3rc1", (2, 10, 3, 1)),
    ("1.2.3+local.7", (1, 2, 3, 0)), ("1.2.3.4.5", (1, 2, 3, 4)),
])
def test_windows_version_numbers(version: str, numbers: tuple[int, ...]) -> None:
    assert rules.version_tuple(version) == numbers


def test_dev_only_distributions_come_from_the_groups_minus_what_the_app_needs() -> None:
    dev = rules.dev_only_distributions(REPO)
    assert {"pytest", "pygments", "hypothesis", "respx", "mypy", "ruff", "pyyaml",
            "pyinstaller"} <= dev
    assert not {"pyside6-essentials", "httpx", "keyring", "qasync", "aiohttp",
                "importlib-metadata", "deepcall-screenpop"} & dev


def test_a_bundle_listing_with_dev_packages_or_missing_commands_is_refused() -> None:
    files = ["screenpop", "_internal/libpython3.11.so.1.0", "_internal/pygments/x.py",
             "_internal/PySide6/Qt/plugins/platformthemes/libqgtk3.so"]
    modules = {"app", "app.commands.pop", "_pytest.main", "yaml"}
    found = rules.problems(files, {"pyi_rth_pyside6", "__main__"}, modules,
                           ["_pytest", "pygments", "yaml", "mypy"],
                           ["app.commands.pop", "app.commands.gui"])
    assert found == [
        "dev package in the bundle: _pytest", "dev package in the bundle: pygments",
        "dev package in the bundle: yaml", "command not collected: app.commands.gui",
        "run-time hook still runs: pyi_rth_pyside6",
        "pruned file present: _internal/PySide6/Qt/plugins/platformthemes/libqgtk3.so",
    ]
    assert rules.problems(files[:2], {"__main__"}, {"app.commands.pop"}, ["mypy"],
                          ["app.commands.pop"]) == []


def test_links_to_pruned_or_orphaned_libraries_go_and_the_others_stay_as_they_were() -> None:
    """PyInstaller makes a SYMLINK entry's link whatever its target became: a link to a
    pruned library would be left pointing at nothing (libQt6WaylandClient.so.6 did)."""
    lib = "PySide6/Qt/lib"
    binaries = [
        (f"{lib}/libQt6Core.so.6", "/src/core", "BINARY"),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "/src/xcb", "BINARY"),
        (f"{lib}/libQt6WaylandClient.so.6", "/src/wayland-client", "BINARY"),  # orphan
        ("PySide6/Qt/plugins/platforms/libqwayland-egl.so", "/src/wayland-egl", "BINARY"),
        (f"{lib}/libQt6Pdf.so.6", "/src/pdf", "BINARY"),  # pruned by name
    ]
    # Analysis puts the links in datas, whatever they point at.
    datas = [
        ("resources/icons/app.svg", "/src/app.svg", "DATA"),
        ("libQt6Core.so.6", f"{lib}/libQt6Core.so.6", "SYMLINK"),
        ("libQt6WaylandClient.so.6", f"{lib}/libQt6WaylandClient.so.6", "SYMLINK"),
        ("libQt6Pdf.so.6", f"{lib}/libQt6Pdf.so.6", "SYMLINK"),
        ("libQt6WaylandClient.so", "libQt6WaylandClient.so.6", "SYMLINK"),  # a chain
        (f"{lib}/libQt6Core.so", "libQt6Core.so.6", "SYMLINK"),  # relative to its folder
        ("PySide6\\Qt6Core.dll.link", "Qt6Core.dll", "SYMLINK"),  # Windows names, nothing
    ]
    links = {"/src/wayland-egl": ["/src/wayland-client", "/src/core"], "/src/xcb": ["/src/core"]}
    kept = rules.pruned_analysis(binaries, datas, lambda path: links.get(path, []))
    assert kept == (binaries[:2], [datas[0], datas[1], datas[5]])


def test_the_bundle_listing_shows_links_and_refuses_those_that_lead_nowhere(
        tmp_path: Path) -> None:
    (tmp_path / "_internal" / "lib").mkdir(parents=True)
    (tmp_path / "_internal" / "lib" / "libQt6Core.so.6").write_bytes(b"\x7fELF")
    (tmp_path / "_internal" / "libQt6Core.so.6").symlink_to("lib/libQt6Core.so.6")
    (tmp_path / "_internal" / "libQt6EglFsKmsSupport.so.6").symlink_to(
        "lib/libQt6EglFsKmsSupport.so.6")
    (tmp_path / "_internal" / "libQt6EglFsKmsSupport.so").symlink_to(
        "libQt6EglFsKmsSupport.so.6")
    files, dangling = rules.listing(tmp_path)
    assert files == ["_internal/lib/libQt6Core.so.6", "_internal/libQt6Core.so.6",
                     "_internal/libQt6EglFsKmsSupport.so", "_internal/libQt6EglFsKmsSupport.so.6"]
    assert dangling == ["_internal/libQt6EglFsKmsSupport.so",
                        "_internal/libQt6EglFsKmsSupport.so.6"]
    assert rules.problems(files, set(), set(), [], [], dangling) == [
        "link to nothing: _internal/libQt6EglFsKmsSupport.so",
        "link to nothing: _internal/libQt6EglFsKmsSupport.so.6"]
