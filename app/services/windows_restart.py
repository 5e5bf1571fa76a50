"""Windows: ask to be started again when Windows closes the app to update or restart.

``RegisterApplicationRestart`` (kernel32) puts the app on the list Windows restarts after a
Windows Update reboot ("restartable apps") and that the Restart Manager restarts after an
update it closed the app for. Only those: never after a crash or a hang (the app's own crash
reporter handles those), so the flags exclude both. Elsewhere this does nothing.

The kernel32 seam is a parameter, so the call is proved with a fake one on any system.
"""

from __future__ import annotations

import ctypes
import logging
import subprocess
import sys
from pathlib import Path
from typing import Protocol, cast

log = logging.getLogger(__name__)

RESTART_NO_CRASH, RESTART_NO_HANG = 1, 2
RESTART_MAX_CMD_LINE = 1024  # characters, Windows' limit for the restart command line
S_OK = 0


class Kernel32(Protocol):
    def RegisterApplicationRestart(self, command_line: str | None, flags: int) -> int: ...


def _kernel32() -> Kernel32 | None:
    if sys.platform != "win32":
        return None
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.RegisterApplicationRestart.argtypes = (ctypes.c_wchar_p, ctypes.c_uint32)
    kernel32.RegisterApplicationRestart.restype = ctypes.c_long  # HRESULT
    return cast(Kernel32, kernel32)


def register_restart(profile_dir: Path | None, kernel32: Kernel32 | None = None) -> bool:
    """Register this process for restart with the same profile (None: the agent's own; never
    the number or link it was started with, which would pop an old call again). True once
    Windows accepted it; a refusal is logged, never raised: the app runs on without it."""
    kernel32 = kernel32 if kernel32 is not None else _kernel32()
    if kernel32 is None:
        return False
    command_line = subprocess.list2cmdline(["--profile", str(profile_dir)]) if profile_dir else None
    if command_line is not None and len(command_line) >= RESTART_MAX_CMD_LINE:
        log.warning("not registered for restart: the profile path is too long for Windows")
        return False
    try:
        result = kernel32.RegisterApplicationRestart(command_line,
                                                     RESTART_NO_CRASH | RESTART_NO_HANG)
    except OSError as exc:
        log.warning("not registered for restart: %s", exc)
        return False
    if result != S_OK:
        log.warning("not registered for restart: Windows answered 0x%08X", result & 0xFFFFFFFF)
        return False
    return True
