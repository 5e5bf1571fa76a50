"""Call actions (issue 11, part A) on the services of a pop, a real ``CallTracker`` emitting
its ``eventHandled`` and a real program (tests/tools/argv_recorder.py) started for events."""

from __future__ import annotations

import argparse
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.core.caller_actions import CallerValues, ProgramCommand
from app.core.pop_request import CallEvent, PopRequest
from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_UNKNOWN_NUMBER
from app.sandbox.server import SandboxServer
from app.services.call_actions import NO_TEMPLATE, CallActions
from app.services.call_tracker import CallTracker
from app.services.pop_history import PopHistory
from app.services.settings import Settings
from tests.fixtures.qt_async import wait_until
from tests.services.pop_parts import PopParts, pop_parts
from tests.tools.argv_recorder import deepcall_variables_seen, program_settings, recorded

KNOWN = "+" + DEMO_KNOWN_NUMBER
UNKNOWN = "+" + DEMO_UNKNOWN_NUMBER
HOSTILE = "x\" ' & ? # % ; $(touch /tmp/pwn) `id` \n é \u200fمبيعات"
TEMPLATE = "https://crm.example.com/find?q={e164}&call={call_id}&line={line}"
RunAsync = Callable[..., Any]
README = Path(__file__).resolve().parents[2] / "README.md"


def _settings(profile: Path, **values: object) -> Settings:
    settings = Settings(profile)
    for name, value in values.items():
        settings.set_value(name, value)
    return settings


def _wire(parts: PopParts, settings: Settings) -> tuple[CallTracker, CallActions, list[str]]:
    tracker = CallTracker(parts.coordinator, PopHistory(parts.store))
    actions = CallActions(settings, parts.coordinator, tracker)
    tracker.eventHandled.connect(actions.on_event)
    opened: list[str] = []
    actions.openUrlRequested.connect(opened.append)
    return tracker, actions, opened


def test_the_program_gets_each_hostile_value_as_one_argument_on_its_events(
        run_async: RunAsync, sandbox: SandboxServer, tmp_path: Path,
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    # A token given to this run in the environment (IT scripts) is not the program's.
    monkeypatch.setenv("DEEPCALL_TOKEN", "secret-token-for-this-run")
    monkeypatch.setenv("DEEPCALL_SSID", "secret-ssid-for-this-run")
    monkeypatch.setenv("DEEPCALL_TEST_HARMLESS", "1")
    out = tmp_path / "runs"
    out.mkdir()
    settings = _settings(tmp_path, run_program_on="answered, transferred", **program_settings(
        out, "{event} {call_id} '{line}' \"{from_agent}\" {e164} {national} {digits}"))
    caplog.set_level(logging.INFO, logger="app.services.call_actions")

    async def scenario() -> list[list[str]]:
        async with pop_parts(sandbox.base_url, tmp_path) as parts:
            tracker, _actions, _opened = _wire(parts, settings)
            tracker.pop(PopRequest(KNOWN, HOSTILE, line=HOSTILE, source="test"))
            # The softphone's answered names the call only: the tracker knows the rest.
            tracker.handle_event(CallEvent("answered", HOSTILE))
            # Every call's events run it, shown or not (this one pops: it rings here now).
            tracker.handle_event(CallEvent("transferred", "call 2", UNKNOWN, line="Sales IN",
                                           from_agent=HOSTILE))
            # Not in run_program_on: nothing starts for it.
            tracker.handle_event(CallEvent("ended", HOSTILE))
            await wait_until(lambda: len(recorded(out)) == 2, 10)
            return recorded(out)

    runs = sorted(run_async(scenario()))
    assert runs == [
        ["answered", HOSTILE, HOSTILE, "", KNOWN, "09876543210", DEMO_KNOWN_NUMBER],
        ["transferred", "call 2", "Sales IN", HOSTILE, UNKNOWN, "08302390884",
         DEMO_UNKNOWN_NUMBER]]
    assert deepcall_variables_seen(out) == {"DEEPCALL_TEST_HARMLESS"}
    # Only this module's lines: other loggers (the coordinator's lookup_started...) are not
    # what is checked, and the number masker is another test's (tests/e2e/test_log_numbers).
    own = [r.getMessage() for r in caplog.records if r.name == "app.services.call_actions"]
    started = [line for line in own if "started" in line]
    assert len(started) == 2
    assert not any("ended" in line for line in started)
    # The log says that it ran, never with which caller.
    assert not any(DEMO_KNOWN_NUMBER in line or DEMO_UNKNOWN_NUMBER in line for line in own)


def test_the_program_for_another_calls_answered_and_ended_gets_that_callers_number(
        run_async: RunAsync, sandbox: SandboxServer, tmp_path: Path) -> None:
    """A CRM hook on answered,ended for every call. Call A rings and is answered; call B rings
    (B is on screen now); then the softphone says A ended, naming the call only. The program
    for A gets A's number and the line A rang on, which only the tracker knows."""
    out = tmp_path / "runs"
    out.mkdir()
    settings = _settings(tmp_path, run_program_on="answered,ended",
                         **program_settings(out, "{event} {call_id} [{e164}] [{line}]"))

    async def scenario() -> list[list[str]]:
        async with pop_parts(sandbox.base_url, tmp_path) as parts:
            tracker, _actions, _opened = _wire(parts, settings)
            tracker.pop(PopRequest(KNOWN, "A", line="Sales IN", source="test"))
            tracker.handle_event(CallEvent("answered", "A"))
            tracker.pop(PopRequest(UNKNOWN, "B", line="Support", source="test"))
            tracker.handle_event(CallEvent("ended", "A"))
            await wait_until(lambda: len(recorded(out)) == 2, 10)
            return recorded(out)

    assert sorted(run_async(scenario())) == [
        ["answered", "A", f"[{KNOWN}]", "[Sales IN]"],
        ["ended", "A", f"[{KNOWN}]", "[Sales IN]"]]


def test_the_tracker_names_a_known_call_by_its_id(
        run_async: RunAsync, sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with pop_parts(sandbox.base_url, tmp_path) as parts:
            tracker, _actions, _opened = _wire(parts, Settings(tmp_path))
            tracker.pop(PopRequest(KNOWN, "A", line="Sales IN", source="test"))
            tracker.handle_event(CallEvent("transferred", "T", UNKNOWN, line="Support",
                                           from_agent="Priya"))
            tracker.handle_event(CallEvent("answered", "W", withheld=True))
            a, t, w = (tracker.known_call(call_id) for call_id in ("A", "T", "W"))
            assert a is not None
            assert t is not None
            assert w is not None
            assert (a.number, a.call_id, a.line, a.from_agent) == (KNOWN, "A", "Sales IN", None)
            assert (t.number, t.line, t.from_agent) == (UNKNOWN, "Support", "Priya")
            assert w.number is None  # withheld
            assert tracker.known_call("never-rang") is None

    run_async(scenario())


def test_a_withheld_caller_gives_the_program_empty_number_values(
        run_async: RunAsync, tmp_path: Path) -> None:
    out = tmp_path / "runs"
    out.mkdir()
    settings = _settings(tmp_path, run_program_on="ringing", **program_settings(
        out, "[{e164}] [{national}] [{digits}] {call_id}"))

    async def scenario() -> list[list[str]]:
        async with pop_parts(None, tmp_path) as parts:
            tracker, _actions, opened = _wire(parts, settings)
            settings.open_url_template = TEMPLATE
            settings.open_url_when = "ringing"
            tracker.pop(PopRequest(None, "w-1", source="test"))
            await wait_until(lambda: len(recorded(out)) == 1, 10)
            assert opened == []  # no page for a withheld caller
            return recorded(out)

    assert run_async(scenario()) == [["[]", "[]", "[]", "w-1"]]


def test_a_program_that_does_not_exist_is_said_plainly(
        run_async: RunAsync, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = _settings(tmp_path, run_program=str(tmp_path / "no such crm"),
                         run_program_args="{e164}", run_program_on="answered")

    async def scenario() -> list[str]:
        async with pop_parts(None, tmp_path) as parts:
            _tracker, actions, _opened = _wire(parts, settings)
            problems: list[str] = []
            actions.problem.connect(problems.append)
            actions.on_event("answered", CallEvent("answered", "c1", KNOWN), True)
            return problems

    problems = run_async(scenario())
    assert problems == [f"The program for call events could not be started: "
                        f"{tmp_path / 'no such crm'} (check its path in Settings → Call "
                        "actions)."]
    assert any("could not start" in r.getMessage() for r in caplog.records)


def test_the_page_opens_by_itself_for_the_shown_call_once_per_call(
        run_async: RunAsync, sandbox: SandboxServer, tmp_path: Path) -> None:
    settings = _settings(tmp_path, open_url_template=TEMPLATE, open_url_when="answered")

    async def scenario() -> list[str]:
        async with pop_parts(sandbox.base_url, tmp_path) as parts:
            tracker, actions, opened = _wire(parts, settings)
            tracker.pop(PopRequest(KNOWN, "c&1", line="Sales IN", source="test"))
            tracker.pop(PopRequest(KNOWN, "c&1", source="test"))  # rang again
            assert opened == []  # "answered" was chosen
            # The softphone's answered names the call only: the caller is the shown one.
            for _ in range(2):
                tracker.handle_event(CallEvent("answered", "c&1"))
            # Another call answered while the agent is on this one (a colleague's, a second
            # line) never opens a page over the shown caller.
            tracker.handle_event(CallEvent("answered", "c2", UNKNOWN))
            actions.open_url_for_shown()  # the button: the same page
            return opened

    by_itself, button = run_async(scenario())
    assert by_itself == "https://crm.example.com/find?q=%2B919876543210&call=c%261&line=Sales%20IN"
    assert button == by_itself


def test_a_refused_setting_is_switched_off_and_said_in_plain_words(
        run_async: RunAsync, tmp_path: Path) -> None:
    # As IT might preset it in settings.ini: the app starts, says why, opens nothing.
    (tmp_path / "settings.ini").write_text(
        "[General]\nopen_url_template=javascript:alert({e164})\nopen_url_when=ringing\n"
        "run_program=/bin/echo\nrun_program_args='unclosed\n")

    async def scenario() -> None:
        async with pop_parts(None, tmp_path) as parts:
            settings = Settings(tmp_path)
            tracker, actions, opened = _wire(parts, settings)
            page, program = actions.setup_problems
            assert page.startswith("The caller page address must start with https://")
            assert program.startswith("The program's arguments have a quote without its pair")
            assert program.endswith("It is switched off until Settings correct it.")
            tracker.pop(PopRequest(KNOWN, "c1", source="test"))  # rings: "ringing" is chosen
            assert opened == []
            assert not actions.url_available
            assert actions.unavailable_reason == actions.setup_problems[0]
            # Corrected in Settings: it works at once.
            settings.open_url_template = TEMPLATE
            assert actions.url_available
            assert actions.setup_problems == [program]
            actions.open_url_for_shown()
            assert opened == ["https://crm.example.com/find?q=%2B919876543210&call=c1&line="]
            settings.open_url_template = ""
            assert not actions.url_available
            assert actions.unavailable_reason == NO_TEMPLATE

    run_async(scenario())


def test_a_call_id_of_dots_opens_no_page_and_says_why(
        run_async: RunAsync, sandbox: SandboxServer, tmp_path: Path) -> None:
    settings = _settings(tmp_path, open_url_template="https://crm.example.com/calls/{call_id}/notes",
                         open_url_when="ringing")

    async def scenario() -> tuple[list[str], list[str], bool, str]:
        async with pop_parts(sandbox.base_url, tmp_path) as parts:
            tracker, actions, opened = _wire(parts, settings)
            problems: list[str] = []
            actions.problem.connect(problems.append)
            tracker.pop(PopRequest(KNOWN, "..", source="test"))
            return opened, problems, actions.url_available, actions.unavailable_reason

    opened, problems, available, reason = run_async(scenario())
    assert opened == []
    assert not available
    assert "would change which page" in reason
    assert problems == [reason]


def _readme_settings_ini() -> str:
    """The settings.ini lines README's "Open the caller elsewhere" gives IT."""
    section = README.read_text(encoding="utf-8").split("## Open the caller elsewhere", 1)[1]
    block = re.search(r"```ini\n(.*?)```", section, re.DOTALL)
    assert block is not None, "README shows IT no settings.ini lines"
    return block.group(1)


def test_the_readmes_settings_ini_lines_read_back_as_written(tmp_path: Path) -> None:
    """IT writes settings.ini by hand: a Windows path and quoted arguments must mean to the
    app what README says (unquoted, QSettings' INI rules eat backslashes and quotes)."""
    (tmp_path / "settings.ini").write_text(_readme_settings_ini(), encoding="utf-8")
    settings = Settings(tmp_path)
    assert settings.run_program == "C:\\Program Files\\CRM\\crm-log.exe"
    assert settings.run_program_on == "answered,ended"
    assert settings.open_url_when == "answered"
    assert settings.open_url_template == "https://crm.example.com/search?q={e164}&line={line}"
    command = ProgramCommand.parse(settings.run_program, settings.run_program_args)
    assert command is not None
    assert command.arguments(CallerValues(KNOWN, call_id="c 1", line="Sales IN",
                                          event="answered")) == [
        "--call=c 1", f"--caller={KNOWN}", "--note=Call on Sales IN", "--event=answered"]
    # Forward slashes, which README also allows, need no quotes.
    (tmp_path / "settings.ini").write_text(
        "[General]\nrun_program=C:/Program Files/CRM/crm-log.exe\n", encoding="utf-8")
    assert Settings(tmp_path).run_program == "C:/Program Files/CRM/crm-log.exe"


def test_the_readmes_arguments_keep_a_dash_value_out_of_the_programs_options(
        tmp_path: Path) -> None:
    """A softphone's call id such as "--event=ended": in README's form it stays the value of
    --call; standing alone (--call {call_id}) the program's parser would take it as an option."""
    (tmp_path / "settings.ini").write_text(_readme_settings_ini(), encoding="utf-8")
    settings = Settings(tmp_path)
    command = ProgramCommand.parse(settings.run_program, settings.run_program_args)
    assert command is not None
    argv = command.arguments(CallerValues(KNOWN, call_id="--event=ended", line="-h",
                                          event="ringing"))
    crm = argparse.ArgumentParser(exit_on_error=False, add_help=False)
    for option in ("--call", "--caller", "--note", "--event"):
        crm.add_argument(option)
    parsed = crm.parse_args(argv)
    assert (parsed.call, parsed.event, parsed.note) == ("--event=ended", "ringing",
                                                        "Call on -h")
