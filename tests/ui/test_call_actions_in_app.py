"""Open the caller elsewhere (issue 11, part A) in the whole app graph: the window's "Open
caller page" button and Ctrl+O, the page opening by itself on the tracker's event, a real
program started for call events, and the settings dialog's "Call actions" group.

The desktop is replaced at the one function the window calls (``caller_page.open_in_browser``):
only http(s) pages are opened, and a custom scheme handler could not see those."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.core.caller_actions import ActionSetupError, CallerValues, UrlTemplate
from app.core.pop_request import CallEvent, PopRequest
from app.sandbox.seed import DEMO_KNOWN_NUMBER
from app.services.call_actions import NO_TEMPLATE, WITHHELD
from app.services.secrets import MemorySecretStore
from app.services.settings import Settings
from app.ui import caller_page
from app.ui.settings_dialog import SettingsDialog
from tests.fixtures.qt_async import wait_until
from tests.tools.argv_recorder import program_settings, recorded
from tests.ui.conftest import Stack, StackFactory, quiesce

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]
KNOWN = "+" + DEMO_KNOWN_NUMBER
HOSTILE = "Sales \"IN\" & co?#% ;$(id)`x` \n é \u200fمبيعات"
TEMPLATE = "https://crm.example.com/find?q={e164}&national={national}&call={call_id}&line={line}"


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The pages the window handed to the desktop."""
    opened: list[str] = []

    def record(url: str) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr(caller_page, "open_in_browser", record)
    return opened


def _params(url: str) -> dict[str, list[str]]:
    split = urllib.parse.urlsplit(url)
    assert (split.scheme, split.hostname, split.path) == ("https", "crm.example.com", "/find")
    return urllib.parse.parse_qs(split.query, keep_blank_values=True, strict_parsing=True)


def _popped(stack: Stack, run_async: RunAsync, request: PopRequest) -> None:
    async def pop() -> None:
        stack.session.calls.pop(request)
        await stack.shown(request.number or "")

    run_async(pop())


def test_the_button_and_ctrl_o_open_the_shown_callers_page_as_one_parameter_each(
        make_stack: StackFactory, run_async: RunAsync, browser: list[str]) -> None:
    stack = make_stack()
    button = stack.window.caller_page
    assert not button.isEnabled()
    assert button.toolTip() == NO_TEMPLATE
    stack.settings.open_url_template = TEMPLATE
    assert not button.isEnabled()  # no caller yet
    _popped(stack, run_async, PopRequest(KNOWN, HOSTILE, source="test"))
    assert button.isEnabled()
    assert "Ctrl+O" in button.toolTip()

    button.click()
    stack.window.activateWindow()
    QTest.keySequence(stack.window, QKeySequence(QKeySequence.StandardKey.Open))
    assert len(browser) == 2
    assert browser[0] == browser[1]
    assert _params(browser[0]) == {"q": [KNOWN], "national": ["09876543210"],
                                   "call": [HOSTILE], "line": [""]}


def test_the_tracker_event_opens_the_page_and_runs_the_program_with_whole_arguments(
        make_stack: StackFactory, run_async: RunAsync, browser: list[str],
        tmp_path: Path) -> None:
    out = tmp_path / "runs"
    out.mkdir()
    stack = make_stack()
    for name, value in {"open_url_template": TEMPLATE, "open_url_when": "answered",
                        "run_program_on": "answered,ended", **program_settings(
                            out, "{event} {call_id} {line} {e164}")}.items():
        stack.settings.set_value(name, value)
    _popped(stack, run_async, PopRequest(KNOWN, "call-1", source="test"))
    assert browser == []  # it opens on "answered"

    calls = stack.session.calls
    # The softphone's answered (twice: a retry) and ended of the shown call.
    calls.handle_event(CallEvent("answered", "call-1", line=HOSTILE))
    calls.handle_event(CallEvent("answered", "call-1", line=HOSTILE))
    calls.handle_event(CallEvent("ended", "call-1"))
    run_async(wait_until(lambda: len(recorded(out)) == 2, 10))

    assert len(browser) == 1  # once per call
    assert _params(browser[0])["line"] == [HOSTILE]
    assert _params(browser[0])["call"] == ["call-1"]
    # The program runs once on each event it is set for; ended names the call only: the
    # number and the line are the ones the tracker knows for it.
    assert sorted(recorded(out)) == [["answered", "call-1", HOSTILE, KNOWN],
                                     ["ended", "call-1", HOSTILE, KNOWN]]


def test_a_template_refused_at_start_is_said_in_the_status_bar_and_the_settings(
        make_stack: StackFactory, qtbot: QtBot, browser: list[str], tmp_path: Path) -> None:
    stack = make_stack()
    stack.settings.open_url_template = "file:///etc/passwd?{e164}"  # as IT preset it
    assert "must start with https:// or http://" in stack.window.statusBar().currentMessage()
    assert stack.window.caller_page.toolTip().startswith("The caller page address must")

    dialog = SettingsDialog(stack.settings, MemorySecretStore(), None, stack.window)
    qtbot.addWidget(dialog)
    dialog.open()
    assert dialog.call_actions_note.isVisible()
    assert "https:// or http://" in dialog.call_actions_note.text()
    dialog.brand_url.setText("https://v4-api.deepcall.com")
    dialog.user_id.setText("u1")
    dialog.save()
    assert dialog.isVisible()  # refused: nothing saved, nothing typed lost
    assert dialog.error.isVisible()
    assert "https:// or http://" in dialog.error.text()
    assert dialog.open_url_template.text() == "file:///etc/passwd?{e164}"

    dialog.open_url_template.setText(TEMPLATE)
    dialog.open_url_when.setCurrentIndex(dialog.open_url_when.findData("ringing"))
    dialog.run_program.setText("/opt/crm/pop")
    dialog.run_program_args.setText("--caller {e164} 'the line: {line}'")
    dialog.run_program_on["answered"].setChecked(True)
    dialog.run_program_on["transferred"].setChecked(True)
    dialog.save()
    assert not dialog.isVisible()
    saved = Settings(stack.settings.path.parent)
    assert (saved.open_url_template, saved.open_url_when, saved.run_program,
            saved.run_program_args, saved.run_program_on) == (
        TEMPLATE, "ringing", "/opt/crm/pop", "--caller {e164} 'the line: {line}'",
        "answered,transferred")
    assert stack.session.actions.setup_problems == []


def test_the_button_has_a_keyboard_path_and_a_name(make_stack: StackFactory) -> None:
    stack = make_stack()
    button = stack.window.caller_page
    assert button.accessibleName()
    assert button.action.shortcut() == QKeySequence(QKeySequence.StandardKey.Open)
    assert button.focusPolicy() != Qt.FocusPolicy.NoFocus


def test_a_withheld_caller_has_no_page_and_the_button_says_why(
        make_stack: StackFactory, run_async: RunAsync,
        monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr(caller_page, "open_in_browser",
                        lambda url: opened.append(url) or True)
    stack = make_stack()
    stack.settings.open_url_template = "https://crm.example.com/?q={e164}"
    stack.settings.open_url_when = "ringing"

    async def scenario() -> None:
        stack.session.calls.pop(PopRequest("+919876543210", "c1", source="softphone"))
        await wait_until(lambda: stack.window.caller_page.isEnabled())
        stack.session.calls.pop(PopRequest(None, "c2", source="softphone"))
        await wait_until(lambda: not stack.window.caller_page.isEnabled())
        await quiesce()

    run_async(scenario())
    assert stack.window.caller_page.toolTip() == WITHHELD
    # The page opened by itself for the caller who rang with a number, never for nobody.
    assert opened == ["https://crm.example.com/?q=%2B919876543210"]


@pytest.mark.parametrize("template", [
    "https://crm.example.com/find?q={e164}&f={{x}}", "https://crm.example.com/find?q={e164}&sep=|",
    "https://crm.example.com/find?q={e164}&a=b^c", 'https://crm.example.com/?q="{e164}"',
    "https://crm.example.com/?q=<{e164}>", "https://crm.example.com/?q=`{e164}`",
    "https://crm.example.com/a\\b?q={e164}", "https://crm.example.com/?q={e164}&p=50%",
    "https://crm.example.com/?q={e164}&p=%zz", "https://crm.example.com:99999/?q={e164}",
    "https://crm.example.com/?q={e164}&x=%7Bok%7D&y=[1]#top", "https://bücher.example/?q={e164}",
    "https://crm.example.com:8443/søk/{call_id}?q={national}&l={line}#a#b",
    "http://[::1]:8080/find?q={digits}&x=~!$&'()*+,;=:@/?"])
def test_a_template_the_rules_accept_is_one_the_window_can_open(template: str) -> None:
    """The window gives the page to the desktop as QUrl(url, StrictMode); a template whose
    page that refuses is refused at setup instead (and the agent is not told, at each call,
    that no web browser answered)."""
    try:
        parsed = UrlTemplate.parse(template)
    except ActionSetupError:
        parsed = None
    sample = CallerValues(KNOWN, call_id="call 1/2", line="Sales IN", event="ringing")
    url = parsed.expand(sample) if parsed is not None else template.format(
        e164=KNOWN, national="09876543210", digits=KNOWN[1:], call_id="c", line="l")
    assert (parsed is not None) == QUrl(url, QUrl.ParsingMode.StrictMode).isValid(), url
