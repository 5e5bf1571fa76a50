"""Windows: the pop's window to the top of the others without taking the keys (issue 13).

A background process may not take the foreground (``SetForegroundWindow`` only flashes the
taskbar button), but it may re-order its own window: made topmost and at once not topmost
again, it lands above every ordinary window, inactive. A minimized window is restored the
same way (``SW_SHOWNOACTIVATE``), where Qt's restore would ask for activation.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

HWND_TOPMOST = -1
HWND_NOTOPMOST = -2
SW_SHOWNOACTIVATE = 4
SWP_NOSIZE, SWP_NOMOVE, SWP_NOACTIVATE, SWP_SHOWWINDOW = 0x0001, 0x0002, 0x0010, 0x0040
QUIET_FLAGS = SWP_NOSIZE | SWP_NOMOVE | SWP_NOACTIVATE | SWP_SHOWWINDOW


def _user32() -> Any:
    if sys.platform == "win32":
        try:
            return ctypes.WinDLL("user32", use_last_error=True)
        except (OSError, AttributeError):
            return None
    return None


def top_without_activating(hwnd: int, restore: bool, stay_on_top: bool) -> bool:
    """Restore (if ``restore``) and lift window ``hwnd`` above the others, inactive; it stays
    topmost only when ``stay_on_top`` ("raise and stay on top"). False off Windows or when
    Windows refused."""
    user32 = _user32()
    if user32 is None:
        return False
    window = ctypes.c_void_p(hwnd)
    if restore:
        user32.ShowWindow(window, SW_SHOWNOACTIVATE)
    lifted = user32.SetWindowPos(window, ctypes.c_void_p(HWND_TOPMOST), 0, 0, 0, 0,
                                 ctypes.c_uint(QUIET_FLAGS))
    if lifted and not stay_on_top:
        lifted = user32.SetWindowPos(window, ctypes.c_void_p(HWND_NOTOPMOST), 0, 0, 0, 0,
                                     ctypes.c_uint(QUIET_FLAGS))
    return bool(lifted)
