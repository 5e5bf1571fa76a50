"""The thin Windows calls (app/sources/windows_api.py), driven with fake DLLs, and what the
pipe's name is made of on Windows: the account itself, never the environment."""

from __future__ import annotations

import ctypes
import hashlib
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from app.sources import socket_address, windows_api
from app.sources.socket_address import profile_salt, server_name


class FakeDll:
    """Records each call; ``results`` gives each function's return value."""

    def __init__(self, **results: Any) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self._results = results

    def __getattr__(self, name: str) -> Any:
        def call(*args: Any) -> Any:
            self.calls.append((name, args))
            result = self._results[name]
            return result(*args) if callable(result) else result
        return call


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


def test_nothing_is_called_off_windows() -> None:
    assert sys.platform != "win32"
    assert not windows_api.allow_foreground(1)
    assert not windows_api.pipe_exists("screenpop-x")
    assert windows_api.account_name() is None


@pytest.mark.parametrize(("answer", "error", "exists"), [
    (1, 0, True),  # an instance is free
    (0, 121, True),  # ERROR_SEM_TIMEOUT: every instance busy, the pipe is there
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


def fake_account(name: str | None) -> FakeDll:
    """GetUserNameExW as Windows does it: the first call asks the size, the second fills."""

    def get_user_name(_format: int, buffer: Any, size: Any) -> int:
        if name is None:
            return 0
        if buffer is None:
            size._obj.value = len(name) + 1
            return 0
        buffer.value = name
        return 1

    return FakeDll(GetUserNameExW=get_user_name)


def test_the_account_name_comes_from_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    secur32 = fake_account("CORP\\priya")
    use(monkeypatch, {"secur32": secur32})
    assert windows_api.account_name() == "CORP\\priya"
    assert [args[0] for _, args in secur32.calls] == [windows_api.NAME_SAM_COMPATIBLE] * 2
    use(monkeypatch, {"secur32": fake_account(None)})
    assert windows_api.account_name() is None


def test_the_pipe_name_is_keyed_by_the_account_not_user_or_username(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    use(monkeypatch, {"secur32": fake_account("CORP\\priya")})
    monkeypatch.setenv("USER", "someone")  # Git Bash sets it; getpass reads it first
    monkeypatch.setenv("USERNAME", "someone-else")
    name = server_name(tmp_path)
    resolved = os.path.normcase(str(tmp_path.resolve()))
    key = f"CORP\\priya\0{resolved}\0{profile_salt(tmp_path)}"
    assert name == "screenpop-" + hashlib.sha256(key.encode()).hexdigest()[:20]
    monkeypatch.setenv("USER", "priya-in-git-bash")
    assert server_name(tmp_path) == name  # the environment changes nothing
    use(monkeypatch, {"secur32": fake_account("CORP\\arjun")})
    assert server_name(tmp_path) != name  # another account, another name


def test_without_an_account_name_the_salt_still_keeps_the_name_private(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    use(monkeypatch, {"secur32": fake_account(None)})
    monkeypatch.setenv("USER", "someone")
    assert socket_address._user_key() == "user"
    assert server_name(tmp_path) != server_name(tmp_path / "other")
