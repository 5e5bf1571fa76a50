"""The few Windows calls the forwarding side needs, each one thin, behind ``_dll`` (issue 13).

Nothing here runs off Windows: ``_dll`` gives None there, and tests hand in fakes. Each call
says True/False (or a value/None) instead of raising: a refused call changes how the app
behaves, it must never cost a pop.
"""

from __future__ import annotations

import ctypes
import sys
from ctypes import wintypes
from typing import Any, Literal

ERROR_FILE_NOT_FOUND = 2
ERROR_SEM_TIMEOUT = 121
TOKEN_QUERY = 0x0008
TOKEN_USER = 1  # TOKEN_INFORMATION_CLASS.TokenUser
OWNER_ONLY_SDDL = "D:P(A;;FA;;;OW)"  # protected DACL: full access for the owner, no one else
SDDL_REVISION_1 = 1
DACL_SECURITY_INFORMATION = 0x00000004
PROTECTED_DACL_SECURITY_INFORMATION = 0x80000000
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


PipeWait = Literal["free", "busy", "gone"]


def wait_for_pipe(name: str, timeout_ms: int) -> PipeWait | None:
    """Wait at most ``timeout_ms`` for an instance of the named pipe ``name`` (bare, as Qt
    takes it) to be free (``WaitNamedPipeW``): "free", "busy" (ERROR_SEM_TIMEOUT: every
    instance in use all that time), "gone" (no such pipe); None off Windows or when Windows
    says something else."""
    kernel32 = _dll("kernel32")
    if kernel32 is None:
        return None
    wait = kernel32.WaitNamedPipeW
    wait.argtypes = [wintypes.LPCWSTR, wintypes.DWORD]
    wait.restype = wintypes.BOOL
    # Never 0: that is NMPWAIT_USE_DEFAULT_WAIT, the pipe's own default (Qt's: 5 s).
    if wait(ctypes.c_wchar_p(PIPE_PREFIX + name), ctypes.c_ulong(max(1, timeout_ms))):
        return "free"
    error = _last_error()
    if error == ERROR_SEM_TIMEOUT:
        return "busy"
    if error == ERROR_FILE_NOT_FOUND:
        return "gone"
    return None


def pipe_exists(name: str) -> bool:
    """Whether a named pipe ``name`` (bare, as Qt takes it) exists now, without connecting.

    ``WaitNamedPipeW`` fails with ERROR_FILE_NOT_FOUND only when no instance exists; any
    other answer (an instance free, or all busy) means someone created it.
    """
    if _dll("kernel32") is None:
        return False
    return wait_for_pipe(name, 1) != "gone"


def pipe_server_pid(handle: int) -> int | None:
    """The PID of the process serving the client end ``handle`` of a named pipe
    (``GetNamedPipeServerProcessId``); None off Windows or when Windows will not say."""
    kernel32 = _dll("kernel32")
    if kernel32 is None or handle in (-1, 0):
        return None
    server = kernel32.GetNamedPipeServerProcessId
    server.argtypes = [wintypes.HANDLE, ctypes.POINTER(wintypes.ULONG)]
    server.restype = wintypes.BOOL
    pid = wintypes.ULONG(0)
    if not server(wintypes.HANDLE(handle), ctypes.byref(pid)):
        return None
    return int(pid.value) or None


class _SidAndAttributes(ctypes.Structure):
    _fields_ = [("sid", ctypes.c_void_p), ("attributes", ctypes.c_ulong)]  # TOKEN_USER


def account_sid() -> str | None:
    """This process's own account as its SID string (``S-1-5-21-…``), from its token: local,
    never renamed, never the environment (``USER``/``USERNAME`` are whatever a shell set);
    None when Windows will not say."""
    advapi32, kernel32 = _dll("advapi32"), _dll("kernel32")
    if advapi32 is None or kernel32 is None:
        return None
    _declare_token_calls(advapi32, kernel32)
    token = wintypes.HANDLE()
    if not advapi32.OpenProcessToken(kernel32.GetCurrentProcess(), TOKEN_QUERY,
                                     ctypes.byref(token)):
        return None
    try:
        size = wintypes.DWORD(0)
        advapi32.GetTokenInformation(token, TOKEN_USER, None, 0, ctypes.byref(size))  # size
        if size.value < ctypes.sizeof(_SidAndAttributes):
            return None
        buffer = ctypes.create_string_buffer(size.value)
        if not advapi32.GetTokenInformation(token, TOKEN_USER, buffer, size,
                                            ctypes.byref(size)):
            return None
        sid = _SidAndAttributes.from_buffer(buffer).sid
        text = wintypes.LPWSTR()
        if not advapi32.ConvertSidToStringSidW(sid, ctypes.byref(text)):
            return None
        try:
            return text.value or None
        finally:
            kernel32.LocalFree(text)
    finally:
        kernel32.CloseHandle(token)


def _declare_token_calls(advapi32: Any, kernel32: Any) -> None:
    kernel32.GetCurrentProcess.argtypes = []
    kernel32.GetCurrentProcess.restype = wintypes.HANDLE
    kernel32.CloseHandle.argtypes = [wintypes.HANDLE]
    kernel32.CloseHandle.restype = wintypes.BOOL
    kernel32.LocalFree.argtypes = [ctypes.c_void_p]
    kernel32.LocalFree.restype = ctypes.c_void_p
    advapi32.OpenProcessToken.argtypes = [wintypes.HANDLE, wintypes.DWORD,
                                          ctypes.POINTER(wintypes.HANDLE)]
    advapi32.OpenProcessToken.restype = wintypes.BOOL
    advapi32.GetTokenInformation.argtypes = [wintypes.HANDLE, ctypes.c_int, ctypes.c_void_p,
                                             wintypes.DWORD, ctypes.POINTER(wintypes.DWORD)]
    advapi32.GetTokenInformation.restype = wintypes.BOOL
    advapi32.ConvertSidToStringSidW.argtypes = [ctypes.c_void_p,
                                                ctypes.POINTER(wintypes.LPWSTR)]
    advapi32.ConvertSidToStringSidW.restype = wintypes.BOOL


def protect_owner_only(path: str) -> bool:
    """Give the file ``path`` a protected DACL that lets only its owner in (``D:P(A;;FA;;;OW)``:
    nothing inherited from the folder, which on a shared profile folder may let others read).
    False off Windows or when Windows refused."""
    advapi32, kernel32 = _dll("advapi32"), _dll("kernel32")
    if advapi32 is None or kernel32 is None:
        return False
    convert = advapi32.ConvertStringSecurityDescriptorToSecurityDescriptorW
    convert.argtypes = [wintypes.LPCWSTR, wintypes.DWORD, ctypes.POINTER(ctypes.c_void_p),
                        ctypes.POINTER(wintypes.ULONG)]
    convert.restype = wintypes.BOOL
    set_security = advapi32.SetFileSecurityW
    set_security.argtypes = [wintypes.LPCWSTR, wintypes.DWORD, ctypes.c_void_p]
    set_security.restype = wintypes.BOOL
    kernel32.LocalFree.argtypes = [ctypes.c_void_p]
    kernel32.LocalFree.restype = ctypes.c_void_p
    descriptor = ctypes.c_void_p()
    if not convert(OWNER_ONLY_SDDL, SDDL_REVISION_1, ctypes.byref(descriptor), None):
        return False
    try:
        return bool(set_security(path, DACL_SECURITY_INFORMATION
                                 | PROTECTED_DACL_SECURITY_INFORMATION, descriptor))
    finally:
        kernel32.LocalFree(descriptor)
