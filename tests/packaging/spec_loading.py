"""Runs build.spec without building: PyInstaller's build classes replaced by recorders.

What the spec hands to Analysis, EXE, COLLECT and BUNDLE is then checked for any target OS
(the rules module's ``target_platform`` is what the spec asks).
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[2]
RULES_DIR = REPO / "packaging" / "pyinstaller"


def rules_module() -> ModuleType:
    """packaging/pyinstaller/bundle_rules.py under the name build.spec imports it by, so the
    spec (run by ``run_spec``) sees what a test patched in it; sys.path is left alone."""
    return load_module("bundle_rules")


def load_module(name: str) -> ModuleType:
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, RULES_DIR / f"{name}.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@dataclass
class Recorded:
    analysis: dict[str, Any] = field(default_factory=dict)
    exes: list[dict[str, Any]] = field(default_factory=list)
    collect: list[Any] = field(default_factory=list)
    collect_options: dict[str, Any] = field(default_factory=dict)
    bundle: dict[str, Any] | None = None
    scripts: list[tuple[str, str, str]] = field(default_factory=list)


# What PyInstaller's Analysis would list as scripts: its own run-time hooks, then ours.
STOCK_SCRIPTS = [("pyi_rth_inspect", "x.py", "PYSOURCE"), ("pyi_rth_pyside6", "y.py", "PYSOURCE"),
                 ("pyi_rth_pkgutil", "p.py", "PYSOURCE"),
                 ("pyi_rth_multiprocessing", "q.py", "PYSOURCE"),
                 ("pyi_rth_cryptography_openssl", "c.py", "PYSOURCE"),
                 ("rth_qt_plugin_path", "z.py", "PYSOURCE"), ("__main__", "m.py", "PYSOURCE")]


def run_spec(workpath: Path) -> Recorded:
    recorded = Recorded()

    class Analysis:
        def __init__(self, scripts: list[str], **options: Any) -> None:
            recorded.analysis = {"scripts": scripts, **options}
            self.scripts = list(STOCK_SCRIPTS)
            self.binaries: list[tuple[str, str, str]] = []
            self.datas = [(dest, src, "DATA") for src, dest in options["datas"]]
            self.pure: list[Any] = []

    class EXE:
        def __init__(self, pyz: Any, scripts: list[Any], *_: Any, **options: Any) -> None:
            recorded.scripts = scripts
            recorded.exes.append(options)
            self.name = str(workpath / options["name"])
            self.console = options["console"]

    def collect(*parts: Any, **options: Any) -> None:
        recorded.collect = list(parts)
        recorded.collect_options = options

    def bundle(coll: Any, **options: Any) -> None:
        recorded.bundle = options

    namespace = {"SPECPATH": str(REPO), "workpath": str(workpath), "Analysis": Analysis,
                 "PYZ": lambda pure: ("PYZ", pure), "EXE": EXE, "COLLECT": collect,
                 "BUNDLE": bundle, "__name__": "__main__"}
    path = REPO / "build.spec"
    saved_path = list(sys.path)
    try:
        exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)  # noqa: S102
    finally:
        sys.path[:] = saved_path
    return recorded
