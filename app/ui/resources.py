"""Icons shipped in resources/icons, found through core's resource lookup."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon

from app.core.resources import ResourceNotFound, resource_path


@cache  # the tray changes icon twice a pop: find and parse each file once, not every time
def icon(name: str) -> QIcon:
    """``icon("app")`` -> resources/icons/app.svg; an empty icon if missing (never a crash)."""
    try:
        return QIcon(str(resource_path(f"icons/{name}.svg")))
    except ResourceNotFound:
        return QIcon()
