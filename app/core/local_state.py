"""What must stay on this computer even when the profile roams: the single-instance lock.

On Windows the profile lives in the roaming ``%APPDATA%``, which a domain may roam to other
computers or redirect to a file server. A lock file there can be one a killed app left on
another computer: its PID means nothing here, so it never expires and the app would not start.
The lock therefore lives in ``%LOCALAPPDATA%`` (never roamed, never redirected), one file per
profile. Elsewhere it stays in the profile, as before (a lock carried over from another
computer is named there, see ``SingleInstance.holder_on_another_host``).

No Qt here: ``screenpop pop`` finds the running app's lock (and the PID in it) without Qt.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from app.core.profile import APP_DIR_NAME, profile_key

LOCK_FILE_NAME = "screenpop.lock"
LOCKS_DIR_NAME = "locks"


def local_app_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Windows' per-computer app data folder for Screen-Pop (``%LOCALAPPDATA%\\DeepCall
    Screen-Pop``); ``AppData\\Local`` under the home folder when the variable is missing."""
    env = os.environ if environ is None else environ
    base = env.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
    return Path(base) / APP_DIR_NAME


def lock_file_path(profile_dir: Path, *, platform: str | None = None,
                   environ: Mapping[str, str] | None = None) -> Path:
    """Where the lock of ``profile_dir`` lives: in the profile, or on Windows in local app
    data under a name made from the profile's path (``profile_key``), so two profiles never
    share a lock and ``C:\\Agent``, ``c:\\agent`` and a link to it (one folder) share one."""
    if (platform or sys.platform) != "win32":
        return Path(profile_dir) / LOCK_FILE_NAME
    name = f"{_windows_profile_hash(profile_dir)}.lock"
    return local_app_data_dir(environ) / LOCKS_DIR_NAME / name


def _windows_profile_hash(profile_dir: Path) -> str:
    # The key the local socket's name is made from: the default profile (as %APPDATA% spells
    # it) and the same folder given with --profile (resolved) must share one lock.
    key = profile_key(profile_dir)
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:20]
