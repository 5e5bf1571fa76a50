"""The few Windows calls the forwarding side needs, each one thin, behind ``_dll`` (issue 13).

Nothing here runs off Windows: ``_dll`` gives None there, and tests hand in fakes. Each call
says True/False (or a value/None) instead of raising: a refused call changes how the app
behaves, it must never cost a pop.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

ERROR_FILE_NOT_FOUND = 2
NAME_SAM_COMPATIBLE = 2  # EXTENDED_NAME_FORMAT: "DOMAIN\user", unique on the machine
PIPE_PREFIX = "\\\\.\\pipe\\"


def _dll(name: str) -> Any:
    """The loaded DLL ``name`` (``use_last_error``), or None off Windows (also where a test
    only pretends to be Windows and hands in no fake)."""
    if sys.platform == "win32":
        try:
            return ctypes.WinDLL(name, use_last_error=True)
        except (OSError, AttributeError):
            return None
    return None


def _last_error() -> int:
    if sys.platform == "win32":
        return int(ctypes.get_last_error())
    return 0


def allow_foreground(pid: int) -> bool:
    """Let process ``pid`` take the foreground (``AllowSetForegroundWindow``).

    Only a process that may take the foreground itself can pass that on: ``screenpop pop``
    started by the softphone in front may; run from a background script it may not, and
    Windows refuses (False): the app then shows the pop without the keys, as always.
    """
    user32 = _dll("user32")
    if user32 is None:
        return False
    return bool(user32.AllowSetForegroundWindow(ctypes.c_ulong(pid)))


def pipe_exists(name: str) -> bool:
    """Whether a named pipe ``name`` (bare, as Qt takes it) exists now, without connecting.

    ``WaitNamedPipeW`` fails with ERROR_FILE_NOT_FOUND only when no instance exists; any
    other answer (an instance free, or all busy) means someone created it.
    """
    kernel32 = _dll("kernel32")
    if kernel32 is None:
        return False
    if kernel32.WaitNamedPipeW(ctypes.c_wchar_p(PIPE_PREFIX + name), ctypes.c_ulong(1)):
        return True
    return _last_error() != ERROR_FILE_NOT_FOUND


def account_name() -> str | None:
    """This process's own account, ``DOMAIN\\user`` (from its token, not the environment:
    ``USER``/``USERNAME`` are whatever a shell set); None when Windows will not say."""
    secur32 = _dll("secur32")
    if secur32 is None:
        return None
    size = ctypes.c_ulong(0)
    secur32.GetUserNameExW(NAME_SAM_COMPATIBLE, None, ctypes.byref(size))  # asks the size
    if size.value == 0:
        return None
    buffer = ctypes.create_unicode_buffer(size.value + 1)
    if not secur32.GetUserNameExW(NAME_SAM_COMPATIBLE, buffer, ctypes.byref(size)):
        return None
    return buffer.value or None
