"""Where a profile lives: settings, local database and logs of one agent setup.

``--profile DIR`` overrides it (tests and side-by-side runs); otherwise the platform's usual
per-user data folder. No Qt here, so headless commands can find the profile too.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_DIR_NAME = "DeepCall Screen-Pop"


def default_profile_dir() -> Path:
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / APP_DIR_NAME


def resolve_profile_dir(override: str | os.PathLike[str] | None) -> Path:
    """The profile folder, created with owner-only permissions (it holds call history)."""
    path = Path(override).expanduser().resolve() if override else default_profile_dir()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
