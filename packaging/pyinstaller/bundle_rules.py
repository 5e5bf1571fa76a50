"""What goes into the Screen-Pop bundle: the rules build.spec applies, as plain functions.

Kept apart from build.spec so tests can check them without building: the pruning rules run
against fake Windows, macOS and Linux file lists, the command list is read from the code.
Nothing here imports PyInstaller (except ``windows_version_resource``, which the spec only
calls when building on Windows).
"""

from __future__ import annotations

import fnmatch
import importlib.metadata as metadata
import pkgutil
import posixpath
import re
import sys
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath
from typing import Any

TocEntry = tuple[str, str, str]

DISTRIBUTION = "deepcall-screenpop"
APP_NAME = "DeepCall Screen-Pop"
BUNDLE_ID = "com.deepcall.screenpop"
URL_SCHEMES = ("tel", "callto")
CONTENTS = "_internal"  # PyInstaller's onedir contents folder (EXE's contents_directory)
CONSOLE_NAME = "screenpop.com"  # Windows: the console twin of the windowed screenpop.exe
# Run-time hooks run on every start, `pop` and `state` included. PyInstaller's for PySide6
# imports QtCore (ours replaces it); those for inspect, pkgutil and multiprocessing import
# their module (~20 ms together) to patch what the app never uses: source lookup, listing
# modules, child interpreters.
DROPPED_RUNTIME_HOOKS = ("pyi_rth_pyside6", "pyi_rth_inspect", "pyi_rth_pkgutil",
                         "pyi_rth_multiprocessing")
MACOS_MINIMUM = "11.0"  # PySide6 6.8+ wheels need macOS 11 (arm64 runners start there too)

# Qt modules the app imports (app/ uses only these; a test checks the code against this list).
QT_MODULES = ("QtCore", "QtGui", "QtWidgets", "QtNetwork")

# Left out although something may import them: build and test tools, and what only they use.
# The dev and build groups of pyproject.toml are added to this by ``dev_only_modules``.
ALWAYS_EXCLUDED = (
    "tkinter", "_tkinter", "turtle", "turtledemo", "idlelib", "lib2to3", "pydoc_data",
    "setuptools", "pkg_resources", "distutils", "_distutils_hack", "pip", "ensurepip", "venv",
    "test", "PyInstaller", "_pyinstaller_hooks_contrib",
)

# Pruning: a file whose name in the bundle (forward slashes, lower case, so one rule matches
# Windows' PySide6/plugins/... and Linux/macOS' PySide6/Qt/plugins/...) matches a DROP
# pattern is left out unless it matches a KEEP pattern. Each rule says why.
DROP_PATTERNS = (
    # English-only app: Qt's own translations (qtbase_*.qm …), 20+ MB on every OS.
    "*/translations/*",
    # Windows' software OpenGL (20 MB) and the shader compiler: a widgets app draws in
    # software (raster) and never asks for OpenGL or Direct3D.
    "*opengl32sw.dll", "*d3dcompiler_*.dll",
    # PDF rendering (the pdf image-format plugin and the library behind it).
    "*qt6pdf*", "*qtpdf.framework/*", "*/plugins/imageformats/*pdf*",
    # Image formats: the app only shows SVG icons (PNG is built into QtGui); see KEEP.
    "*/plugins/imageformats/*",
    # TLS goes through httpx + truststore; QtNetwork only serves the local socket.
    "*/plugins/tls/*", "*/plugins/networkinformation/*",
    # Touch/tablet input devices for embedded Linux, GL integrations (no OpenGL here).
    "*/plugins/generic/*", "*/plugins/xcbglintegrations/*", "*/plugins/egldeviceintegrations/*",
    # Platforms the desktops never use. Wayland too: a screen-pop must raise its window, which
    # Wayland refuses to clients; Qt then runs through XWayland (xcb), which allows it.
    "*/plugins/platforms/*eglfs*", "*/plugins/platforms/*linuxfb*",
    "*/plugins/platforms/*vnc*", "*/plugins/platforms/*vkkhrdisplay*",
    "*/plugins/platforms/*minimalegl*", "*/plugins/platforms/*wayland*",
    "*/plugins/platforms/*direct2d*", "*/plugins/wayland-*/*", "*/plugins/wayland*",
    # Qt's GTK3 theme (~16 MB of GTK, cairo, pango, atk with it): the app paints itself with
    # Fusion (app/ui/theme.py), so GTK would only supply file dialogs, which the
    # xdg-desktop-portal theme (kept) hands to the desktop anyway. The libraries only it
    # needed go with it (``orphans``).
    "*/plugins/platformthemes/*gtk3*",
    # Qt Quick/QML and friends: nothing in the app uses them.
    "*qt6quick*", "*qt6qml*", "*qtquick*.framework/*", "*qtqml*.framework/*",
    "*/qml/*",
)
KEEP_PATTERNS = (
    "*/plugins/imageformats/*qsvg*",   # SVG icons through the image reader
)


def bundle_name(dest_name: str) -> str:
    return str(PurePosixPath(*re.split(r"[\\/]+", dest_name))).lower()


def _matches(name: str, patterns: Iterable[str]) -> bool:
    base = name.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(name, p) or ("/" not in p and fnmatch.fnmatchcase(base, p))
               for p in patterns)


def is_pruned(dest_name: str) -> bool:
    """True for a file of the analysis that the bundle leaves out (rules above)."""
    name = bundle_name(dest_name)
    return _matches(name, DROP_PATTERNS) and not _matches(name, KEEP_PATTERNS)


def pruned(toc: Iterable[TocEntry]) -> list[TocEntry]:
    return [entry for entry in toc if not is_pruned(entry[0])]


def orphans(kept: Iterable[TocEntry], dropped: Iterable[TocEntry],
            imports_of: Callable[[str], Iterable[str]]) -> set[str]:
    """Source paths of kept libraries that only dropped files needed.

    PyInstaller collects a plugin's libraries (the GTK stack behind the GTK3 theme) as
    separate files; pruning the plugin must take them too, and nothing else. A library is
    an orphan when a dropped file needs it (directly or through others) and no kept file
    that is not itself such a candidate does. ``imports_of(path)``: the paths it links.
    """
    def closure(starts: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        todo = list(starts)
        while todo:
            path = todo.pop()
            if path not in seen:
                seen.add(path)
                todo += imports_of(path)
        return seen

    kept_paths = {src for _, src, _ in kept}
    candidates = (closure(src for _, src, _ in dropped) & kept_paths) - {
        src for _, src, _ in dropped}
    needed = closure(kept_paths - candidates)
    return candidates - needed


def link_target(dest_name: str, link: str) -> str:
    """The bundle name a SYMLINK entry points at: PyInstaller stores the link's text (relative
    to the link's folder) as the entry's source."""
    folder = posixpath.dirname(dest_name.replace("\\", "/"))
    return posixpath.normpath(posixpath.join(folder, link.replace("\\", "/")))


def without_dangling_links(toc: list[TocEntry], collected: list[TocEntry]) -> list[TocEntry]:
    """``toc`` without the SYMLINK entries whose target (through other links) is not among
    ``collected`` (all the bundle's entries): PyInstaller would still make those links,
    pointing at nothing. Analysis puts SYMLINK entries in ``datas`` even when they point
    at ``binaries``, hence the two lists."""
    files = {dest.replace("\\", "/") for dest, _, kind in collected if kind != "SYMLINK"}
    links = {dest.replace("\\", "/"): link_target(dest, src)
             for dest, src, kind in collected if kind == "SYMLINK"}

    def resolves(name: str) -> bool:
        seen = set()
        while name in links and name not in seen:
            seen.add(name)
            name = links[name]
        return name in files

    return [entry for entry in toc
            if entry[2] != "SYMLINK" or resolves(entry[0].replace("\\", "/"))]


def pruned_analysis(binaries: list[TocEntry], datas: list[TocEntry],
                    imports_of: Callable[[str], Iterable[str]]
                    ) -> tuple[list[TocEntry], list[TocEntry]]:
    """(binaries, datas) pruned by the rules, without the libraries only pruned files needed
    (``orphans``) and without the links left pointing at any of them. Sources of binaries
    are the paths ``imports_of`` speaks in; a SYMLINK's source is its link text."""
    files = [entry for entry in binaries if entry[2] != "SYMLINK"]
    kept = [entry for entry in files if not is_pruned(entry[0])]
    dropped = [entry for entry in files if is_pruned(entry[0])]
    gone = orphans(kept, dropped, imports_of)
    binaries = [entry for entry in binaries if not is_pruned(entry[0])
                and (entry[2] == "SYMLINK" or entry[1] not in gone)]
    datas = pruned(datas)
    return (without_dangling_links(binaries, binaries + datas),
            without_dangling_links(datas, binaries + datas))


def prune_analysis(binaries: list[TocEntry], datas: list[TocEntry]
                   ) -> tuple[list[TocEntry], list[TocEntry]]:
    """``pruned_analysis`` at build time: reads the binaries' import tables through
    PyInstaller."""
    from PyInstaller.depend.bindepend import get_imports

    cache: dict[str, list[str]] = {}

    def imports_of(path: str) -> list[str]:
        if path not in cache:
            try:
                cache[path] = [str(Path(full).resolve()) for _, full in get_imports(path) if full]
            except Exception:  # a file it cannot read links nothing we could prune
                cache[path] = []
        return cache[path]

    resolved = [(dest, src if kind == "SYMLINK" else str(Path(src).resolve()), kind)
                for dest, src, kind in binaries]
    return pruned_analysis(resolved, datas, imports_of)


def target_platform() -> str:
    return sys.platform


def resource_datas(repo: Path) -> list[tuple[str, str]]:
    """resources/ as ``(source file, folder in the bundle)``: what the app reads at run
    time. The icon files for the OS (app.ico, app.icns) and READMEs stay out."""
    folder = repo / "resources"
    return sorted((str(path), str(path.parent.relative_to(repo)))
                  for path in folder.rglob("*")
                  if path.is_file() and path.suffix in (".json", ".svg"))


def unused_qt_modules() -> list[str]:
    """Every PySide6 module but ``QT_MODULES``, so no import of one (qasync probing,
    PyInstaller's hooks) brings it and its Qt libraries in."""
    import importlib.util

    spec = importlib.util.find_spec("PySide6")
    names = {path.name.split(".")[0]
             for folder in (spec.submodule_search_locations or []) if spec
             for path in Path(folder).glob("Qt*.*") if path.suffix in (".so", ".pyd", ".pyi")}
    return sorted(f"PySide6.{name}" for name in names - set(QT_MODULES))


def listing(bundle: Path) -> tuple[list[str], list[str]]:
    """(every file and link in the bundle, the links among them that lead nowhere), as
    names relative to it. Links are listed as themselves: ``is_file`` follows them, so a
    dangling one would go unseen."""
    names, dangling = [], []
    for path in sorted(bundle.rglob("*")):
        if path.is_symlink() or path.is_file():
            names.append(path.relative_to(bundle).as_posix())
            if not path.exists():  # follows the link, through any chain
                dangling.append(names[-1])
    return names, dangling


def problems(files: list[str], scripts: set[str], modules: set[str],
             forbidden: list[str], commands: list[str], dangling: Iterable[str] = ()
             ) -> list[str]:
    """What is wrong with a bundle, from its listing (pure: tests feed fake listings)."""
    found = [f"link to nothing: {name}" for name in dangling]
    tops = {module.split(".")[0] for module in modules}
    # Files sit in the contents folder (_internal/), beside it only the executables.
    tops |= {name.removeprefix(f"{CONTENTS}/").split("/")[0].split(".")[0] for name in files}
    found += [f"dev package in the bundle: {name}" for name in sorted(set(forbidden) & tops)]
    found += [f"command not collected: {name}" for name in commands if name not in modules]
    found += [f"run-time hook still runs: {name}" for name in DROPPED_RUNTIME_HOOKS
              if name in scripts]
    found += [f"pruned file present: {name}" for name in files if is_pruned(name)]
    return found


def part_of(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    if "icu" in base:
        return "ICU"
    if "/plugins/" in name:
        return "Qt plugins"
    if "qt6" in base or ".framework/" in name:
        return "Qt libraries"
    if "pyside6/" in name or "shiboken6" in name:
        return "PySide6 bindings"
    if "libpython" in base or "python3" in base or base == "base_library.zip" \
            or "/python3." in name:
        return "Python"
    if name.startswith("_internal/cryptography"):
        return "cryptography"
    if "/" not in name or base.startswith("screenpop"):
        return "executables (+ app code, PYZ)"
    if base.endswith((".so", ".dll", ".dylib")) or ".so." in base:
        return "other libraries"
    return "other files"


def project(repo: Path) -> dict[str, Any]:
    with (repo / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


def project_version(repo: Path) -> str:
    return str(project(repo)["project"]["version"])


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """Windows' four 16-bit numbers from ``1.2.3``, ``1.2.3rc1`` or ``1.2``."""
    numbers = [int(part) for part in re.findall(r"\d+", version.split("+")[0])[:4]]
    numbers += [0] * (4 - len(numbers))
    return (numbers[0], numbers[1], numbers[2], numbers[3])


def command_modules(repo: Path) -> list[str]:
    """Every module under app/commands, so whatever ``app/cli.py`` picks with
    ``importlib.import_module`` is in the bundle (PyInstaller cannot see through it).
    A new command module (self_test.py) is collected without editing the spec."""
    return sorted(f"app.commands.{info.name}"
                  for info in pkgutil.iter_modules([str(repo / "app" / "commands")]))


def _requirement_names(requirements: Iterable[str]) -> set[str]:
    from packaging.requirements import Requirement  # the PyPI package (PyInstaller needs it)

    names = set()
    for text in requirements:
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            names.add(_canonical(requirement.name))
    return names


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _closure(names: Iterable[str]) -> set[str]:
    """The distributions installed for ``names`` and everything they require."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        try:
            requires = metadata.distribution(name).requires or []
        except metadata.PackageNotFoundError:
            continue
        seen.add(name)
        todo += _requirement_names(requires) - seen
    return seen


def dev_only_distributions(repo: Path) -> set[str]:
    """Installed distributions that only the dev/build groups need, never the app."""
    groups = project(repo).get("dependency-groups", {})
    tools = _requirement_names(req for group in groups.values() for req in group
                               if isinstance(req, str))
    return _closure(tools) - _closure([DISTRIBUTION])


def dev_only_modules(repo: Path) -> list[str]:
    """Top-level import names to exclude: those of ``dev_only_distributions`` plus
    ``ALWAYS_EXCLUDED``."""
    dev = dev_only_distributions(repo)
    # A namespace (jaraco, backports) shared with a runtime distribution stays.
    modules = {module for module, dists in metadata.packages_distributions().items()
               if dists and all(_canonical(dist) in dev for dist in dists)}
    return sorted(modules | set(ALWAYS_EXCLUDED))


def info_plist(version: str) -> dict[str, Any]:
    """macOS Info.plist keys (BUNDLE adds the executable, name and identifier itself)."""
    return {
        "CFBundleName": APP_NAME,
        "CFBundleDisplayName": APP_NAME,
        "CFBundleIdentifier": BUNDLE_ID,
        "CFBundleShortVersionString": version,
        "CFBundleVersion": version,
        "LSMinimumSystemVersion": MACOS_MINIMUM,
        "NSHighResolutionCapable": True,
        "LSApplicationCategoryType": "public.app-category.business",
        "NSHumanReadableCopyright": "DeepCall Screen-Pop",
        # A tel:/callto: link opens the app; it arrives as an open-URL event (no argv
        # emulation: the app handles QFileOpenEvent itself, at start and while it runs).
        "CFBundleURLTypes": [
            {"CFBundleURLName": f"{BUNDLE_ID}.{scheme}", "CFBundleTypeRole": "Viewer",
             "CFBundleURLSchemes": [scheme]}
            for scheme in URL_SCHEMES
        ],
    }


def windows_version_text(version: str) -> str:
    """The exe's version resource (Explorer's Details tab), in the text form EXE(version=FILE)
    reads. Text rather than PyInstaller's objects: those need pefile, which only Windows has,
    and the text can be checked on any OS."""
    numbers = version_tuple(version)
    strings = "".join(f"\n            StringStruct({key!r}, {value!r})," for key, value in (
        ("CompanyName", "DeepCall"), ("FileDescription", APP_NAME), ("FileVersion", version),
        ("InternalName", "screenpop"), ("OriginalFilename", "screenpop.exe"),
        ("ProductName", APP_NAME), ("ProductVersion", version),
        ("LegalCopyright", "DeepCall")))
    return f"""VSVersionInfo(
    ffi=FixedFileInfo(filevers={numbers}, prodvers={numbers}, mask=0x3F, flags=0x0,
                      OS=0x40004, fileType=0x1, subtype=0x0, date=(0, 0)),
    kids=[
        StringFileInfo([StringTable('040904B0', [{strings}
        ])]),
        VarFileInfo([VarStruct('Translation', [0x0409, 1200])]),
    ],
)
"""
