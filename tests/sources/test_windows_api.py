"""The thin Windows calls (app/sources/windows_api.py), driven with fake DLLs, and what the
pipe's name is made of on Windows: the account itself, never the environment."""

from __future__ import annotations

import ctypes
import hashlib
import os
import sys
from ctypes import wintypes
from pathlib import Path
from typing import Any

import pytest

from app.sources import socket_address, windows_api
from app.sources.socket_address import profile_salt, server_name


class FakeFunction:
    """One DLL function: records its calls; keeps the argtypes/restype it is given."""

    def __init__(self, dll: FakeDll, name: str) -> None:
        self.dll, self.name = dll, name
        self.argtypes: list[Any] | None = None
        self.restype: Any = None

    def __call__(self, *args: Any) -> Any:
        self.dll.calls.append((self.name, args))
        result = self.dll.results[self.name]
        return result(*args) if callable(result) else result


class FakeDll:
    """Records each call; ``results`` gives each function's return value."""

    def __init__(self, **results: Any) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.results = results
        self.functions: dict[str, FakeFunction] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name not in self.results:
            raise AttributeError(name)
        return self.functions.setdefault(name, FakeFunction(self, name))


def use(monkeypatch: pytest.MonkeyPatch, dlls: dict[str, FakeDll], last_error: int = 0) -> None:
    monkeypatch.setattr(windows_api, "_dll", lambda name: dlls.get(name))
    monkeypatch.setattr(windows_api, "_last_error", lambda: last_error)


def test_the_foreground_is_granted_to_the_pid_given(monkeypatch: pytest.MonkeyPatch) -> None:
    user32 = FakeDll(AllowSetForegroundWindow=1)
    use(monkeypatch, {"user32": user32})
    assert windows_api.allow_foreground(4321)
    [(name, (pid,))] = user32.calls
    assert name == "AllowSetForegroundWindow"
    assert isinstance(pid, ctypes.c_ulong)  # a DWORD
    assert pid.value == 4321
    user32 = FakeDll(AllowSetForegroundWindow=0)  # not ours to give: said, not raised
    use(monkeypatch, {"user32": user32})
    assert not windows_api.allow_foreground(4321)


def test_nothing_is_called_off_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")  # so it runs on a Windows runner too
    assert not windows_api.allow_foreground(1)
    assert not windows_api.pipe_exists("screenpop-x")
    assert windows_api.wait_for_pipe("screenpop-x", 100) is None
    assert windows_api.pipe_server_pid(5) is None
    assert windows_api.account_sid() is None
    assert not windows_api.protect_owner_only("x")


@pytest.mark.parametrize(("answer", "error", "exists"), [
    (1, 0, True),  # an instance is free
    (0, windows_api.ERROR_SEM_TIMEOUT, True),  # every instance busy, the pipe is there
    (0, windows_api.ERROR_FILE_NOT_FOUND, False),
])
def test_a_pipe_exists_unless_windows_says_there_is_none(
        monkeypatch: pytest.MonkeyPatch, answer: int, error: int, exists: bool) -> None:
    kernel32 = FakeDll(WaitNamedPipeW=answer)
    use(monkeypatch, {"kernel32": kernel32}, last_error=error)
    assert windows_api.pipe_exists("screenpop-abc") is exists
    [(name, (path, timeout))] = kernel32.calls
    assert name == "WaitNamedPipeW"
    assert path.value == "\\\\.\\pipe\\screenpop-abc"
    assert timeout.value == 1  # 0 would be "the pipe's default wait"


@pytest.mark.parametrize(("answer", "error", "said"), [
    (1, 0, "free"), (0, windows_api.ERROR_SEM_TIMEOUT, "busy"),
    (0, windows_api.ERROR_FILE_NOT_FOUND, "gone"), (0, 5, None),
])
def test_waiting_for_a_pipe_says_free_busy_or_gone_within_the_time_given(
        monkeypatch: pytest.MonkeyPatch, answer: int, error: int, said: str | None) -> None:
    kernel32 = FakeDll(WaitNamedPipeW=answer)
    use(monkeypatch, {"kernel32": kernel32}, last_error=error)
    assert windows_api.wait_for_pipe("screenpop-abc", 750) == said
    [(_, (_path, timeout))] = kernel32.calls
    assert timeout.value == 750
    wait = kernel32.functions["WaitNamedPipeW"]
    assert wait.argtypes == [wintypes.LPCWSTR, wintypes.DWORD]
    assert wait.restype is wintypes.BOOL
    windows_api.wait_for_pipe("screenpop-abc", 0)
    assert kernel32.calls[-1][1][1].value == 1  # never 0: the pipe's default wait (5 s)


def test_the_pipe_server_pid_is_read_from_the_handle(monkeypatch: pytest.MonkeyPatch) -> None:
    def answer(handle: Any, pid: Any) -> int:
        pid._obj.value = 4321
        return 1

    kernel32 = FakeDll(GetNamedPipeServerProcessId=answer)
    use(monkeypatch, {"kernel32": kernel32})
    assert windows_api.pipe_server_pid(0x88) == 4321
    [(_, (handle, _pid))] = kernel32.calls
    assert handle.value == 0x88
    server = kernel32.functions["GetNamedPipeServerProcessId"]
    assert server.argtypes == [wintypes.HANDLE, ctypes.POINTER(wintypes.ULONG)]
    assert server.restype is wintypes.BOOL
    use(monkeypatch, {"kernel32": FakeDll(GetNamedPipeServerProcessId=0)})
    assert windows_api.pipe_server_pid(0x88) is None  # refused: the proof alone decides


SID = "S-1-5-21-1004336348-1177238915-682003330-1001"


def fake_token(sid: str | None, opens: bool = True) -> dict[str, FakeDll]:
    """OpenProcessToken, GetTokenInformation (asked the size, then filled), and
    ConvertSidToStringSidW as Windows does them."""

    def open_token(_process: Any, _access: int, token: Any) -> int:
        token._obj.value = 0x44
        return int(opens)

    def token_information(_token: Any, _class: int, buffer: Any, _size: Any,
                          needed: Any) -> int:
        if buffer is None:
            needed._obj.value = ctypes.sizeof(windows_api._SidAndAttributes)
            return 0
        windows_api._SidAndAttributes.from_buffer(buffer).sid = 0x5150
        return 1

    def convert(sid_pointer: int, text: Any) -> int:
        if sid is None or sid_pointer != 0x5150:
            return 0
        text._obj.value = sid
        return 1

    return {"advapi32": FakeDll(OpenProcessToken=open_token,
                                GetTokenInformation=token_information,
                                ConvertSidToStringSidW=convert,
                                # the salt's DACL: refused here, tested on its own below
                                ConvertStringSecurityDescriptorToSecurityDescriptorW=0,
                                SetFileSecurityW=0),
            "kernel32": FakeDll(GetCurrentProcess=-1, CloseHandle=1, LocalFree=0)}


def test_the_account_is_the_sid_of_the_process_token(monkeypatch: pytest.MonkeyPatch) -> None:
    dlls = fake_token(SID)
    use(monkeypatch, dlls)
    assert windows_api.account_sid() == SID
    advapi32, kernel32 = dlls["advapi32"], dlls["kernel32"]
    assert [name for name, _ in advapi32.calls] == [
        "OpenProcessToken", "GetTokenInformation", "GetTokenInformation",
        "ConvertSidToStringSidW"]
    assert advapi32.calls[0][1][1] == windows_api.TOKEN_QUERY
    assert advapi32.calls[1][1][1] == windows_api.TOKEN_USER
    assert [name for name, _ in kernel32.calls] == ["GetCurrentProcess", "LocalFree",
                                                    "CloseHandle"]  # nothing leaks
    functions = {**advapi32.functions, **kernel32.functions}
    assert all(function.restype is not None and function.argtypes is not None
               for function in functions.values())
    assert functions["OpenProcessToken"].argtypes == [
        wintypes.HANDLE, wintypes.DWORD, ctypes.POINTER(wintypes.HANDLE)]
    assert functions["GetCurrentProcess"].restype is wintypes.HANDLE  # not a truncated int
    assert functions["ConvertSidToStringSidW"].restype is wintypes.BOOL


def test_without_a_token_there_is_no_account(monkeypatch: pytest.MonkeyPatch) -> None:
    use(monkeypatch, fake_token(SID, opens=False))
    assert windows_api.account_sid() is None
    dlls = fake_token(None)
    use(monkeypatch, dlls)
    assert windows_api.account_sid() is None
    assert [name for name, _ in dlls["kernel32"].calls][-1] == "CloseHandle"


def test_the_pipe_name_is_keyed_by_the_account_not_user_or_username(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    use(monkeypatch, fake_token(SID))
    monkeypatch.setenv("USER", "someone")  # Git Bash sets it; getpass reads it first
    monkeypatch.setenv("USERNAME", "someone-else")
    name = server_name(tmp_path)
    resolved = os.path.normcase(str(tmp_path.resolve()))
    key = f"{SID}\0{resolved}\0{profile_salt(tmp_path)}"
    assert name == "screenpop-" + hashlib.sha256(key.encode()).hexdigest()[:20]
    monkeypatch.setenv("USER", "priya-in-git-bash")
    assert server_name(tmp_path) == name  # the environment changes nothing
    use(monkeypatch, fake_token(SID.replace("1001", "1002")))
    assert server_name(tmp_path) != name  # another account, another name


def test_without_an_account_the_salt_and_path_alone_key_the_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    use(monkeypatch, fake_token(None))
    monkeypatch.setenv("USER", "someone")
    monkeypatch.setenv("USERNAME", "someone")
    assert socket_address._user_key() == ""  # fixed: nothing the environment can change
    assert server_name(tmp_path) != server_name(tmp_path / "other")


def test_the_salt_gets_an_owner_only_protected_dacl(monkeypatch: pytest.MonkeyPatch) -> None:
    descriptors: list[str] = []

    def convert(sddl: str, revision: int, descriptor: Any, _size: Any) -> int:
        descriptors.append(sddl)
        descriptor._obj.value = 0x7000
        return 1

    advapi32 = FakeDll(ConvertStringSecurityDescriptorToSecurityDescriptorW=convert,
                       SetFileSecurityW=1)
    kernel32 = FakeDll(LocalFree=0)
    use(monkeypatch, {"advapi32": advapi32, "kernel32": kernel32})
    assert windows_api.protect_owner_only("C:\\p\\.socket.salt.1")
    assert descriptors == ["D:P(A;;FA;;;OW)"]
    [(_, (path, what, descriptor))] = [call for call in advapi32.calls
                                       if call[0] == "SetFileSecurityW"]
    assert path == "C:\\p\\.socket.salt.1"
    assert what == (windows_api.DACL_SECURITY_INFORMATION
                    | windows_api.PROTECTED_DACL_SECURITY_INFORMATION)
    assert descriptor.value == 0x7000
    [(_, (freed,))] = kernel32.calls
    assert freed.value == 0x7000
    assert advapi32.functions["SetFileSecurityW"].restype is wintypes.BOOL
