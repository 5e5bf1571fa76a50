"""Where the shipped data files (resources/) are, however the app was installed.

Three layouts: a source checkout (``<repo>/resources``), an installed wheel (pyproject
force-includes ``resources`` as ``app/_resources``) and a PyInstaller bundle (files unpacked
under ``sys._MEIPASS``).
"""

from __future__ import annotations

import sys
from pathlib import Path

_APP_DIR = Path(__file__).resolve().parent.parent


class ResourceNotFound(FileNotFoundError):
    pass


def resource_dirs() -> list[Path]:
    """Candidate folders, most specific first (only those that exist)."""
    candidates: list[Path] = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates += [Path(bundle) / "resources", Path(bundle) / "app" / "_resources"]
    candidates += [_APP_DIR / "_resources", _APP_DIR.parent / "resources"]
    return [path for path in candidates if path.is_dir()]


def resource_path(name: str) -> Path:
    """The path of one shipped file, e.g. ``resource_path("field_mapping.default.json")``."""
    for folder in resource_dirs():
        path = folder / name
        if path.exists():
            return path
    searched = ", ".join(str(p) for p in resource_dirs()) or "no resources folder found"
    raise ResourceNotFound(f"the app's data file {name!r} is missing (searched: {searched}); "
                           "reinstall the app")
