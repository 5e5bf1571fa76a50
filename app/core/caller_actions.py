"""The caller's page in another program and a program run on call events, as pure rules.

A URL template (``https://crm.example/search?q={e164}``) and a program's arguments name the
caller through placeholders. A value never changes the shape of what it lands in: in a URL
each value is percent-encoded whole (``&``, ``?``, ``#``, ``/`` included), so it stays one
parameter; in a program's arguments the template is split into arguments first (``shlex``,
POSIX rules) and only then are values put in, raw, so a value stays inside its one argument
whatever quotes, spaces or ``$(...)`` it holds. Nothing here runs or opens anything.
"""

from __future__ import annotations

import shlex
import string
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

import phonenumbers

from app.core.pop_request import CALL_EVENTS

URL_PLACEHOLDERS: Final = ("e164", "national", "digits", "call_id", "line")
PROGRAM_PLACEHOLDERS: Final = ("event", *URL_PLACEHOLDERS, "from_agent")
URL_SCHEMES: Final = ("http", "https")
MAX_TEMPLATE: Final = 2000  # a URL browsers and CRMs accept; anything longer is a mistake


class ActionSetupError(ValueError):
    """A template or program the app refuses; ``str(err)`` says why in plain words."""


class ValueRefused(ValueError):
    """This call's values cannot make a safe page from the template; ``str(err)`` says why."""


# Path segments a browser resolves away, walking up or staying (WHATWG URL also reads the
# %2e forms as dots, so no encoding of a value "." or ".." is safe in a path).
_DOT_SEGMENTS: Final = frozenset({".", "..", "%2e", ".%2e", "%2e.", "%2e%2e"})
# ASCII a web address never holds as such (RFC 3986; QUrl's strict mode refuses them).
_NOT_IN_URLS: Final = frozenset('"<>\\^`{|}')
_HEX: Final = frozenset("0123456789abcdefABCDEF")


@dataclass(frozen=True)
class CallerValues:
    """What the placeholders are replaced with: the caller's number (None: withheld or
    unknown, every number placeholder is then empty) and the call around it."""

    e164: str | None
    call_id: str | None = None
    line: str | None = None
    from_agent: str | None = None
    event: str = ""

    def placeholders(self) -> dict[str, str]:
        national, digits = number_forms(self.e164)
        return {"event": self.event, "e164": f"+{digits}" if digits else "",
                "national": national, "digits": digits, "call_id": self.call_id or "",
                "line": self.line or "", "from_agent": self.from_agent or ""}


# What a template is checked with at setup: a page for these must be one a browser accepts.
_SAMPLE: Final = CallerValues("+918302390884", call_id="c-1", line="Sales IN", event="ringing")


def number_forms(e164: str | None) -> tuple[str, str]:
    """(national, digits) of an E.164 number: ``08302390884`` (as the number's own country
    dials it, digits only) and ``918302390884``; two empty strings for anything else (a
    withheld caller's key, junk)."""
    if not e164 or not e164.startswith("+"):
        return "", ""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return "", ""
    if not phonenumbers.is_valid_number(parsed):
        return "", ""
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return "".join(ch for ch in national if ch.isdigit()), e164[1:]


def _pieces(text: str, allowed: Iterable[str], where: str) -> list[tuple[str, str | None]]:
    """``text`` as (literal text, placeholder name or None) pairs; ActionSetupError for an
    unknown placeholder or a stray brace."""
    names = tuple(allowed)
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        raise ActionSetupError(
            f"{where} has a {{ or }} without its pair (a brace itself is written %7B or "
            "%7D)") from None
    pieces: list[tuple[str, str | None]] = []
    for literal, name, spec, conversion in parsed:
        if name is not None and (name not in names or spec or conversion):
            shown = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            raise ActionSetupError(
                f"{where} has an unknown placeholder {{{shown[:30]}}}; use "
                + ", ".join(f"{{{n}}}" for n in names))
        pieces.append((literal, name))
    return pieces


def _fill(pieces: list[tuple[str, str | None]], values: Mapping[str, str],
          encode: bool) -> str:
    out: list[str] = []
    for literal, name in pieces:
        out.append(literal)
        if name is not None:
            value = values.get(name, "")
            # errors="replace": a lone surrogate (JSON can carry one) must not stop the page.
            out.append(urllib.parse.quote(value, safe="", errors="replace") if encode
                       else value)
    return "".join(out)


@dataclass(frozen=True)
class UrlTemplate:
    """A checked URL template: http or https, a written-out host, known placeholders."""

    text: str
    _pieces: tuple[tuple[str, str | None], ...]

    @classmethod
    def parse(cls, text: str) -> UrlTemplate | None:
        """The template, None when there is none (empty); ActionSetupError if refused."""
        text = text.strip()
        if not text:
            return None
        where = "The caller page address"
        if len(text) > MAX_TEMPLATE:
            raise ActionSetupError(f"{where} is longer than {MAX_TEMPLATE} characters.")
        if not text.isprintable() or any(ch.isspace() for ch in text):
            raise ActionSetupError(f"{where} contains spaces or control characters; "
                                   "write them as %20 or leave them out.")
        pieces = _pieces(text, URL_PLACEHOLDERS, where)
        # The scheme and host must be written out before any placeholder: a value from the
        # softphone or the caller can then never send the page to another site or scheme.
        head = ""
        for literal, name in pieces:
            head += literal
            if name is not None:
                break
        split = urllib.parse.urlsplit(head)
        scheme = split.scheme.lower()
        if scheme not in URL_SCHEMES or not head.lower().startswith(f"{scheme}:"):
            raise ActionSetupError(f"{where} must start with https:// or http:// (a web "
                                   "page); other kinds of links are not opened.")
        after_scheme = head[len(scheme) + 1:]
        has_placeholder = any(name is not None for _, name in pieces)
        host_ends = not has_placeholder or any(ch in after_scheme[2:] for ch in "/?#")
        if not after_scheme.startswith("//") or not split.hostname or not host_ends:
            raise ActionSetupError(f"{where} must name its web site before any "
                                   "placeholder, e.g. https://crm.example.com/search?q={e164}")
        template = cls(text, tuple(pieces))
        problem = _address_problem(_fill(pieces, _SAMPLE.placeholders(), encode=True))
        if problem:
            raise ActionSetupError(f"{where} {problem}")
        return template

    def expand(self, values: CallerValues) -> str:
        """The URL for ``values``, each value percent-encoded whole; ValueRefused when a
        value would walk the page's path (a call id or line of "." or "..")."""
        url = _fill(list(self._pieces), values.placeholders(), encode=True)
        if _has_dot_segment(url):  # the template has none (refused at setup): a value's
            raise ValueRefused("The caller page is not opened for this call: its call id or "
                               "line is \".\" or \"..\", which would change which page the "
                               "address names.")
        return url


def _port_is_a_port(url: str) -> bool:
    try:
        urllib.parse.urlsplit(url).port  # noqa: B018 (reading it checks it)
    except ValueError:  # not a number, or past 65535
        return False
    return True


def _has_dot_segment(url: str) -> bool:
    path = urllib.parse.urlsplit(url).path
    return any(segment.lower() in _DOT_SEGMENTS for segment in path.split("/"))


def _address_problem(url: str) -> str:
    """Why ``url`` (a template filled with sample values) is no web address a browser can be
    given; "" when it is one."""
    for index, char in enumerate(url):
        if char in _NOT_IN_URLS:
            return (f"contains {char}, which a web address cannot hold as it is: write it as "
                    f"%{ord(char):02X}.")
        escaped = url[index + 1:index + 3]
        if char == "%" and not (len(escaped) == 2 and set(escaped) <= _HEX):
            return "has a % not followed by two hex digits (a % itself is written %25)."
    if not _port_is_a_port(url):
        return "has a port that is not a number from 0 to 65535."
    if _has_dot_segment(url):
        return "has /./ or /../ in its path: write the path out."
    return ""


def parse_events(text: str) -> frozenset[str]:
    """``"answered, ended"`` -> the events; ActionSetupError naming an unknown one."""
    chosen = {part.strip().lower() for part in text.split(",") if part.strip()}
    unknown = sorted(chosen - set(CALL_EVENTS))
    if unknown:
        raise ActionSetupError(f"The program's events may be {', '.join(CALL_EVENTS)}; "
                               f"{unknown[0][:30]!r} is not one of them.")
    return frozenset(chosen)


@dataclass(frozen=True)
class ProgramCommand:
    """A program and its argument templates, split once; run with ``arguments(values)``."""

    program: str
    _args: tuple[tuple[tuple[str, str | None], ...], ...]

    @classmethod
    def parse(cls, program: str, arguments: str) -> ProgramCommand | None:
        """None when no program is set; ActionSetupError if the arguments are refused."""
        program = program.strip()
        if not program:
            if arguments.strip():
                raise ActionSetupError("The program's arguments are set but the program is "
                                       "not: enter the program's full path.")
            return None
        if not program.isprintable():
            raise ActionSetupError("The program's path contains control characters.")
        try:
            split = shlex.split(arguments, comments=False, posix=True)
        except ValueError:
            raise ActionSetupError("The program's arguments have a quote without its pair "
                                   "(arguments are separated by spaces; quotes group "
                                   "words into one argument).") from None
        templates = tuple(tuple(_pieces(arg, PROGRAM_PLACEHOLDERS, "The program's arguments"))
                          for arg in split)
        return cls(program, templates)

    def arguments(self, values: CallerValues) -> list[str]:
        """The argument list for ``values``: as many arguments as the template has, each
        value raw inside its own argument (the program is started without a shell)."""
        filled = values.placeholders()
        return [_fill(list(arg), filled, encode=False) for arg in self._args]
