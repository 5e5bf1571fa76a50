"""URL templates and program arguments for a call (issue 11): each value stays one encoded
parameter / one argument, whatever it holds; templates that could go elsewhere are refused."""

from __future__ import annotations

import urllib.parse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.caller_actions import (
    ActionSetupError,
    CallerValues,
    ProgramCommand,
    UrlTemplate,
    ValueRefused,
    number_forms,
    parse_events,
)

HOSTILE = [
    "a&b=c", "x?y#z", "50% off", "it's \"quoted\"", "two words", "a;rm -rf ~", "$(reboot)",
    "`id`", "line\nbreak", "Ventes — Montréal", "\u200fمبيعات\u200e", "../../etc/passwd",
    "https://evil.example/", "%2F%00", "{e164}", "+", "%2e%2E", "...",
]
TEMPLATE = ("https://crm.example.com/find?q={e164}&n={national}&d={digits}"
            "&call={call_id}&line={line}#top")
CALLER = "+918302390884"


def _query(url: str) -> list[tuple[str, str]]:
    split = urllib.parse.urlsplit(url)
    assert (split.scheme, split.hostname, split.path, split.fragment) == (
        "https", "crm.example.com", "/find", "top")
    return urllib.parse.parse_qsl(split.query, keep_blank_values=True, strict_parsing=True)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_call_id_or_line_stays_one_encoded_parameter(hostile: str) -> None:
    url = UrlTemplate.parse(TEMPLATE).expand(  # type: ignore[union-attr]
        CallerValues(CALLER, call_id=hostile, line=hostile))
    assert _query(url) == [("q", CALLER), ("n", "08302390884"), ("d", "918302390884"),
                           ("call", hostile), ("line", hostile)]
    assert not any(ch.isspace() for ch in url)


ANY_CHARACTER = st.characters(exclude_categories=())  # surrogates and controls too


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_value_in_the_path_stays_one_path_segment(hostile: str) -> None:
    template = UrlTemplate.parse("https://crm.example.com/calls/{call_id}/view")
    assert template is not None
    split = urllib.parse.urlsplit(template.expand(CallerValues(CALLER, call_id=hostile)))
    assert (split.hostname, split.query, split.fragment) == ("crm.example.com", "", "")
    segments = split.path.split("/")
    assert len(segments) == 4
    assert [urllib.parse.unquote(s) for s in segments] == ["", "calls", hostile, "view"]


@pytest.mark.parametrize(("template", "call_id", "line"), [
    ("https://crm.example.com/calls/{call_id}/notes", "..", ""),
    ("https://crm.example.com/calls/{call_id}/notes", ".", ""),
    ("https://crm.example.com/calls/{call_id}", "..", ""),
    ("https://crm.example.com/calls/.{call_id}/notes", ".", ""),
    ("https://crm.example.com/calls/{line}{call_id}/notes", ".", "."),
    ("https://crm.example.com/{line}/calls/{call_id}", "c1", ".."),
])
def test_a_call_id_of_dots_never_leaves_its_path_segment(template: str, call_id: str,
                                                         line: str) -> None:
    """'/' is encoded, but '.' and '..' are dot-segments every browser resolves (WHATWG URL
    resolves %2e%2e too, so no encoding of them is safe): such a page is not made at all."""
    parsed = UrlTemplate.parse(template)
    assert parsed is not None
    with pytest.raises(ValueRefused) as refused:
        parsed.expand(CallerValues(CALLER, call_id=call_id, line=line))
    assert "would change which page" in str(refused.value)


@pytest.mark.parametrize("dots", [".", "..", "%2e%2e", ".%2E", "..."])
def test_dots_that_cannot_walk_stay_as_they_are(dots: str) -> None:
    # In the query a dot is only a dot; encoded by the app, "%2e" is "%252e", no dot-segment.
    for text in ("https://crm.example.com/find?call={call_id}",
                 "https://crm.example.com/calls/{call_id}.json"):
        template = UrlTemplate.parse(text)
        assert template is not None
        url = template.expand(CallerValues(CALLER, call_id=dots))
        assert urllib.parse.unquote(urllib.parse.urlsplit(url).query or url.rsplit("/", 1)[1]) \
            in (f"call={dots}", f"{dots}.json")


@given(st.text(ANY_CHARACTER, max_size=60), st.text(ANY_CHARACTER, max_size=60))
def test_any_text_comes_back_as_exactly_its_own_parameter(call_id: str, line: str) -> None:
    url = UrlTemplate.parse(TEMPLATE).expand(  # type: ignore[union-attr]
        CallerValues(CALLER, call_id=call_id, line=line))
    # A lone surrogate (JSON can carry one) cannot be UTF-8: it arrives as "?", never as a
    # broken URL or an exception.
    wanted = [(key, "".join("?" if "\ud800" <= ch <= "\udfff" else ch for ch in value))
              for key, value in (("call", call_id), ("line", line))]
    assert _query(url)[3:] == wanted


def test_the_templates_own_text_is_left_as_written() -> None:
    template = UrlTemplate.parse("https://panel.example/c?x=%2B1&v={digits}")
    assert template is not None
    assert template.expand(CallerValues(CALLER)) == \
        "https://panel.example/c?x=%2B1&v=918302390884"


def test_number_forms_follow_the_numbers_own_country() -> None:
    assert number_forms("+918302390884") == ("08302390884", "918302390884")
    assert number_forms("+12025550123") == ("2025550123", "12025550123")
    assert number_forms("+442079460000") == ("02079460000", "442079460000")
    # A withheld caller (the services key it per call) or junk has no number forms.
    assert number_forms(None) == ("", "")
    assert number_forms("withheld:call-7") == ("", "")
    assert number_forms("+000") == ("", "")


def test_a_withheld_caller_leaves_every_number_placeholder_empty() -> None:
    values = CallerValues("withheld:abc", call_id="abc", event="ringing").placeholders()
    assert (values["e164"], values["national"], values["digits"]) == ("", "", "")
    assert (values["call_id"], values["event"]) == ("abc", "ringing")


@pytest.mark.parametrize(("template", "words"), [
    ("file:///etc/passwd?{e164}", "https:// or http://"),
    ("javascript:alert({e164})", "https:// or http://"),
    ("JavaScript://crm.example.com/%0Aalert(1)", "https:// or http://"),
    ("ftp://crm.example.com/{e164}", "https:// or http://"),
    ("{e164}", "https:// or http://"),
    ("crm.example.com/?q={e164}", "https:// or http://"),
    ("https://{line}.crm.example.com/", "name its web site"),
    ("https://crm.example.com{call_id}", "name its web site"),
    ("https:{e164}", "name its web site"),
    ("https://crm.example.com/?q={number}", "unknown placeholder {number}"),
    ("https://crm.example.com/?q={e164!r}", "unknown placeholder {e164!r}"),
    ("https://crm.example.com/?q={e164:>20}", "unknown placeholder {e164:>20}"),
    ("https://crm.example.com/?q={0}", "unknown placeholder {0}"),
    ("https://crm.example.com/?q={e164", "without its pair"),
    ("https://crm.example.com/ q={e164}", "spaces"),
    ("https://crm.example.com/?q={e164}\n", None),  # trailing whitespace is trimmed: fine
    # Accepted by the placeholder rules, but no browser could be given them (QUrl's strict
    # mode refuses them): said at setup, not as "no web browser answered" at each call.
    ("https://crm.example.com/find?q={e164}&f={{x}}", "write it as %7B"),
    ("https://crm.example.com/find?q={e164}&sep=|", "write it as %7C"),
    ("https://crm.example.com/find?q={e164}&a=b^c", "write it as %5E"),
    ('https://crm.example.com/find?q="{e164}"', "write it as %22"),
    ("https://crm.example.com/find?q=<{e164}>", "write it as %3C"),
    ("https://crm.example.com/find?q=`{e164}`", "write it as %60"),
    ("https://crm.example.com/a\\b?q={e164}", "write it as %5C"),
    ("https://crm.example.com/find?q={e164}&pct=50%", "two hex digits"),
    ("https://crm.example.com/find?q={e164}&pct=%zz", "two hex digits"),
    ("https://crm.example.com:99999/find?q={e164}", "port"),
    ("https://crm.example.com:80a/find?q={e164}", "port"),
    ("https://crm.example.com/a/../find?q={e164}", "/./ or /../"),
    ("https://crm.example.com/find?q={e164}&x=%7Bok%7D&y=[1]#søk", None),
])
def test_templates_that_could_go_elsewhere_are_refused_in_plain_words(
        template: str, words: str | None) -> None:
    if words is None:
        assert UrlTemplate.parse(template) is not None
        return
    with pytest.raises(ActionSetupError) as refused:
        UrlTemplate.parse(template)
    assert words in str(refused.value)
    assert "Traceback" not in str(refused.value)


def test_no_template_is_no_action() -> None:
    assert UrlTemplate.parse("   ") is None
    assert ProgramCommand.parse("", "") is None


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_value_stays_inside_its_one_argument(hostile: str) -> None:
    command = ProgramCommand.parse(
        "/opt/crm/notify", "--event={event} '{line}' \"{call_id}\" {from_agent} {e164} x")
    assert command is not None
    args = command.arguments(CallerValues(CALLER, call_id=hostile, line=hostile,
                                          from_agent=hostile, event="answered"))
    assert args == ["--event=answered", hostile, hostile, hostile, CALLER, "x"]


def test_arguments_are_split_once_at_setup_by_shell_rules_never_run_by_one() -> None:
    command = ProgramCommand.parse("C:\\Program Files\\CRM\\pop.exe",
                                   "'two words' \"{national} and {digits}\" a\\ b {event}")
    assert command is not None
    assert command.program == "C:\\Program Files\\CRM\\pop.exe"
    assert command.arguments(CallerValues(None, event="ended")) == \
        ["two words", " and ", "a b", "ended"]


@pytest.mark.parametrize(("program", "args", "words"), [
    ("/bin/x", "'unclosed {e164}", "quote without its pair"),
    ("/bin/x", "{number}", "unknown placeholder {number}"),
    ("/bin/x", "{e164", "without its pair"),
    ("", "{e164}", "program is not"),
    ("/bin/x\n", "", None),  # trimmed
    ("/bin/\x07x", "", "control characters"),
])
def test_program_setups_the_rules_refuse(program: str, args: str, words: str | None) -> None:
    if words is None:
        assert ProgramCommand.parse(program, args) is not None
        return
    with pytest.raises(ActionSetupError) as refused:
        ProgramCommand.parse(program, args)
    assert words in str(refused.value)


def test_events_a_program_runs_on() -> None:
    assert parse_events(" Answered, ended ,,") == {"answered", "ended"}
    assert parse_events("") == frozenset()
    with pytest.raises(ActionSetupError, match="'hangup' is not one of them"):
        parse_events("answered,hangup")
