"""A wrong IT preset never stops the app nor locks the agent out (real files, the real
Settings, ActiveMapping and Account): a place that cannot be looked at is said, a FIFO is not
waited on, a refused call action is dropped when read (the program and its arguments checked
as a pair), one ``preset_problems`` says every mistake, a field mapping made to exhaust the
reader falls back, and a machine-wide preset set aside by SCREENPOP_PRESET is logged."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.services.account import Account, AccountProblem
from app.services.mapping_store import ActiveMapping
from app.services.preset import PRESET_ENV, load_preset, read_preset
from app.services.preset_check import check_preset, preset_problems
from app.services.secrets import MemorySecretStore
from app.services.settings import Settings
from app.services.settings_file import SETTINGS_FILE_NAME, SettingsFile, read_settings_file
from tests.platforms import MACHINE_PRESET_VIA_XDG
from tests.services.test_preset import AGENT, IT, profile, use_preset, write_preset

RunAsync = Callable[..., Any]
__all__ = ["profile"]  # the fixture, shared with the other preset tests


def agents(**values: str) -> SettingsFile:
    return SettingsFile(dict(values))


@MACHINE_PRESET_VIA_XDG
def test_a_machine_wide_place_that_cannot_be_looked_at_is_said_at_start(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, profile: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    too_long = tmp_path / ("x" * 300)  # the OS refuses to look: ENAMETOOLONG, even for root
    monkeypatch.delenv(PRESET_ENV)
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(too_long))
    (profile / SETTINGS_FILE_NAME).write_text(f"[General]\nbrand_url={AGENT}\n",
                                              encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        settings = Settings(profile)
        assert settings.brand_url == AGENT  # nothing preset; the app goes on
    assert f"the IT preset {too_long / 'DeepCall Screen-Pop' / 'preset.ini'} cannot be read " \
           "(File name too long); nothing is preset" in caplog.text


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs are POSIX")
def test_a_fifo_is_never_opened_for_reading_as_a_preset_or_settings_ini(
        tmp_path: Path, profile: Path) -> None:
    fifo = tmp_path / "preset.ini"
    os.mkfifo(fifo)
    os.mkfifo(profile / SETTINGS_FILE_NAME)
    # A blocking open would wait here for a writer that never comes (the test would hang).
    [warning] = load_preset(fifo).warnings
    assert f"the IT preset {fifo} cannot be read: it is not a regular file" in warning
    [warning] = read_settings_file(profile / SETTINGS_FILE_NAME).warnings
    assert "settings.ini cannot be read: it is not a regular file" in warning


@MACHINE_PRESET_VIA_XDG
def test_a_machine_wide_preset_set_aside_is_logged_with_its_path(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, profile: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    machine = write_preset(tmp_path / "xdg" / "DeepCall Screen-Pop", f"[General]\nbrand_url={IT}\n")
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "xdg"))
    monkeypatch.setenv(PRESET_ENV, "")
    with caplog.at_level(logging.WARNING):
        settings = Settings(profile)
        settings.brand_url = AGENT  # the agent set IT's address aside: allowed, but logged
    assert f"{PRESET_ENV} is set, so the machine-wide IT preset {machine} is ignored " \
           "(no preset is used)" in caplog.text
    other = use_preset(monkeypatch, tmp_path, "[General]\n")
    assert read_preset().warnings == (f"{PRESET_ENV} is set, so the machine-wide IT preset "
                                      f"{machine} is ignored ({other} is used instead).",)
    monkeypatch.setenv(PRESET_ENV, str(machine))  # naming the machine-wide one: nothing set aside
    assert read_preset().warnings == ()


# --- the call actions, checked when the preset is read --------------------------------------

@pytest.mark.parametrize(("preset_text", "agent", "kept", "dropped"), [
    # IT's arguments with a placeholder the rules refuse: dropped, the agent's count.
    ("run_program_args=--caller={phone}\n", {"run_program": "/usr/bin/true"}, set(),
     "run_program_args"),
    # IT's arguments, but no program anywhere: the arguments are the mistake.
    ("run_program_args=--caller={e164}\n", {}, set(), "run_program_args"),
    # IT's arguments with the agent's program: a good pair.
    ("run_program_args=--caller={e164}\n", {"run_program": "/usr/bin/true"},
     {"run_program_args"}, None),
    # IT's program; the agent's own bad arguments are the agent's to fix, not IT's.
    ("run_program=/opt/crm\n", {"run_program_args": "{nope}"}, {"run_program"}, None),
    ("run_program=/opt/crm\nrun_program_args=--caller={e164}\n", {},
     {"run_program", "run_program_args"}, None),
    ("open_url_template=ftp://crm.example/{e164}\n", {}, set(), "open_url_template"),
    ("run_program_on=ringing,hung up\n", {}, set(), "run_program_on"),
])
def test_call_actions_are_checked_as_a_pair_when_the_preset_is_read(
        tmp_path: Path, preset_text: str, agent: dict[str, str], kept: set[str],
        dropped: str | None) -> None:
    path = write_preset(tmp_path / "it", "[General]\n" + preset_text)
    checked = check_preset(load_preset(path), agents(**agent))
    assert set(checked.values) == kept
    if dropped is None:
        assert checked.problems == ()
    else:
        [problem] = checked.problems
        assert problem.startswith(f"the IT preset {path}: ignoring")
        assert dropped in problem


def test_preset_problems_names_every_mistake_and_the_preset(tmp_path: Path) -> None:
    path = write_preset(tmp_path / "it", "[General]\nauth_mode=SSID\npop_behavior=tray_only\n"
                                         "dedupe_seconds=-4\nsession_secret=s3cr3t\n")
    problems = preset_problems(load_preset(path), agents())
    assert len(problems) == 4
    assert all(problem.startswith(f"the IT preset {path}: ") for problem in problems)
    for words in ("ignoring bad auth_mode", "there is no setting 'pop_behavior'",
                  "ignoring bad dedupe_seconds", "session_secret looks like a secret"):
        assert any(words in problem for problem in problems), problems
    assert not any("s3cr3t" in problem for problem in problems)


def test_a_bad_preset_address_tells_the_agent_to_ask_it(
        run_async: RunAsync, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        profile: Path) -> None:
    path = use_preset(monkeypatch, tmp_path, "[General]\nbrand_url=http://it.example\n"
                                             "user_id=5\n")
    secrets = MemorySecretStore()
    secrets.store("token", "t")
    account = Account(Settings(profile), secrets)
    problems: list[AccountProblem] = []
    account.problem.connect(problems.append)

    async def scenario() -> None:
        account.reload()
        await account.wait_loaded()

    run_async(scenario())
    [problem] = problems
    assert f"set by your IT department in {path}: ask them to correct it" in problem.message
    assert "Settings" not in problem.message
    assert not problem.in_settings  # nothing the agent can change there


# --- the field mapping: bounded reading ---------------------------------------------------

@pytest.mark.parametrize(("kind", "reason"), [
    ("deeply nested", "nested too deeply"),
    ("too large", "larger than 1 MiB"),
    ("a fifo", "not a regular file"),
])
def test_a_preset_mapping_that_would_exhaust_the_reader_falls_back_with_a_warning(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, profile: Path, kind: str,
        reason: str) -> None:
    if kind == "a fifo" and sys.platform == "win32":
        pytest.skip("FIFOs are POSIX")
    floor = tmp_path / "floor.json"
    if kind == "deeply nested":
        floor.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    elif kind == "too large":
        floor.write_text('{"fields": []' + " " * (1 << 20) + "}", encoding="utf-8")
    else:
        os.mkfifo(floor)
    path = use_preset(monkeypatch, tmp_path, f"[General]\nfield_mapping={floor}\n")
    active = ActiveMapping(profile)
    assert active.managed_by is None
    assert active.warning is not None
    assert f"the IT preset {path}" in active.warning
    assert reason in active.warning


def test_the_profiles_own_mapping_is_bounded_too(tmp_path: Path, profile: Path) -> None:
    (profile / "field_mapping.json").write_text("[" * 200_000 + "]" * 200_000,
                                                encoding="utf-8")
    active = ActiveMapping(profile)
    assert active.warning is not None
    assert "nested too deeply" in active.warning
