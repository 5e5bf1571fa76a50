"""The layers of app/ import downwards only (see ../shared/architecture.md)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"

# layer -> the app layers and third-party top-level packages it may import
ALLOWED: dict[str, tuple[set[str], set[str]]] = {
    "core": (set(), {"phonenumbers"}),
    "api": ({"core"}, {"httpx", "truststore", "certifi"}),
    "sandbox": ({"core"}, {"aiohttp", "multidict", "yarl"}),
    "services": ({"core", "api"}, {"PySide6.QtCore", "keyring"}),
    "sources": ({"core"}, {"PySide6.QtCore", "PySide6.QtGui", "PySide6.QtNetwork", "AppKit"}),
    # Sources reach the coordinator through the composition root (app/session.py), never
    # through the window: ui knows nothing of where numbers come from.
    # PyObjC on macOS: the pop's window level (objc), App Nap (Foundation), whether
    # notifications may show (objc, Foundation).
    "ui": ({"core", "api", "services"}, {"PySide6", "qasync", "objc", "Foundation"}),
}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            raise AssertionError(f"{path}: use absolute imports (app.<layer>...)")
    return names


def _allowed(layer: str, name: str) -> bool:
    layers, packages = ALLOWED[layer]
    top = name.split(".")[0]
    if top == "app":
        parts = name.split(".")
        return len(parts) > 1 and parts[1] in layers | {layer}
    if top in sys.stdlib_module_names or top == "__future__":
        return True
    # "PySide6" allows any Qt module; "PySide6.QtCore" allows only that one.
    return any(name == p or name.startswith(p + ".") for p in packages)


def test_each_layer_imports_only_downwards() -> None:
    offences = []
    for layer in ALLOWED:
        for path in sorted((APP / layer).rglob("*.py")):
            offences += [f"{path.relative_to(APP.parent)}: {name}" for name in _imports(path)
                         if not _allowed(layer, name)]
    assert offences == []


def test_headless_layers_load_no_qt() -> None:
    code = (
        "import sys, app.core, app.api, app.sandbox\n"
        "import pkgutil, importlib\n"
        "for pkg in (app.core, app.api, app.sandbox):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.strip() == ""


def test_layer_rules_catch_an_upward_import() -> None:
    assert not _allowed("core", "app.api.client")
    assert not _allowed("api", "PySide6.QtCore")
    assert not _allowed("sources", "app.services.settings")
    assert not _allowed("ui", "app.sources.clipboard")
    assert _allowed("services", "app.api.client")
