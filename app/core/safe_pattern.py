"""A field mapping's pattern, matched in time proportional to the value's length.

Python's ``re`` backtracks: ``([A-Z0-9]+)+-[0-9]{4}`` takes seconds on a near miss of 30
characters and doubles with each more, and Ctrl+S checks values on the UI thread, so one such
pattern froze the whole app. There is no linear-time engine (RE2) among the app's dependencies,
and a time limit is no answer on the UI thread. So the pattern is read by ``re``'s own parser
(the syntax and character classes the admin tried it with) and matched by simulating its
automaton (Thompson's construction): each character of the value is looked at once, against at
most ``MAX_STATES`` states. Values are at most 255 characters, so a check is bounded outright.

What an automaton cannot do (back-references, look-arounds, conditionals, atomic groups and
possessive repeats) is refused when the mapping is loaded, in plain words (``PatternRefused``).
"""

from __future__ import annotations

import re
import re._constants as sre  # type: ignore[import-not-found]  # re's parser's node kinds
import re._parser as sre_parse  # type: ignore[import-not-found]  # (CPython 3.11 and later)
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

MAX_STATES: Final = 600  # a check of 255 characters stays under a tenth of a second

CharTest = Callable[[str], bool]
Assertion = Callable[[str, int], bool]  # (value, position) -> holds there
_REFUSED: Final = {
    sre.GROUPREF: "a back-reference (\\1)",
    sre.GROUPREF_EXISTS: "a conditional group (?(1)…)",
    sre.ASSERT: "a look-ahead or look-behind",
    sre.ASSERT_NOT: "a look-ahead or look-behind",
    sre.ATOMIC_GROUP: "an atomic group (?>…)",
    sre.POSSESSIVE_REPEAT: "a possessive repeat (++, *+)",
}


class PatternRefused(ValueError):
    """The pattern cannot be checked quickly; the message says why, plainly."""


@dataclass
class _State:
    test: CharTest | None = None  # consumes one character that passes
    assertion: Assertion | None = None  # consumes nothing; passable where it holds
    next: list[int] = field(default_factory=list)  # after the character, or at once


class SafePattern:
    """``fullmatch(value)``: does the whole value match, as ``re.fullmatch`` would say."""

    def __init__(self, states: list[_State], start: int, accept: int) -> None:
        self._states = states
        self._start = start
        self._accept = accept

    @staticmethod
    def compile(pattern: str) -> SafePattern:
        """The automaton of ``pattern``: ``re.error`` if it is not a regular expression,
        ``PatternRefused`` if it cannot be checked in linear time."""
        return _compiled(pattern)

    def fullmatch(self, value: str) -> bool:
        current = self._closure({self._start}, value, 0)
        for position, char in enumerate(value):
            stepped = {nxt for index in current
                       if (test := self._states[index].test) is not None and test(char)
                       for nxt in self._states[index].next}
            if not stepped:
                return False
            current = self._closure(stepped, value, position + 1)
        return self._accept in current

    def _closure(self, indices: set[int], value: str, position: int) -> set[int]:
        """``indices`` and every state reachable from them without reading a character."""
        seen = set(indices)
        stack = list(indices)
        while stack:
            state = self._states[stack.pop()]
            if state.test is not None:
                continue
            if state.assertion is not None and not state.assertion(value, position):
                continue
            for nxt in state.next:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> SafePattern:
    parsed = sre_parse.parse(pattern)  # re.error, with its message and position
    builder = _Builder()
    accept = builder.new()
    start = builder.sequence(list(parsed), parsed.state.flags, accept)
    return SafePattern(builder.states, start, accept)


class _Builder:
    """Builds the automaton back to front: each part gets the state that follows it."""

    def __init__(self) -> None:
        self.states: list[_State] = []

    def new(self, state: _State | None = None) -> int:
        if len(self.states) >= MAX_STATES:
            raise PatternRefused("it is too long to check quickly (its repeats spelled out "
                                 f"need more than {MAX_STATES} steps)")
        self.states.append(state or _State())
        return len(self.states) - 1

    def sequence(self, items: list[tuple[Any, Any]], flags: int, follow: int) -> int:
        for op, arg in reversed(items):
            follow = self.item(op, arg, flags, follow)
        return follow

    def item(self, op: Any, arg: Any, flags: int, follow: int) -> int:
        if op in _REFUSED:
            raise PatternRefused(f"it uses {_REFUSED[op]}, which cannot be checked quickly")
        if op is sre.SUBPATTERN:
            _group, add, remove, body = arg
            return self.sequence(list(body), (flags | add) & ~remove, follow)
        if op is sre.BRANCH:
            return self.new(_State(next=[self.sequence(list(alt), flags, follow)
                                         for alt in arg[1]]))
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):  # greedy or lazy: the same yes or no
            least, most, body = arg
            return self.repeat(least, most, body, flags, follow)
        if op is sre.AT:
            return self.new(_State(assertion=_anchor(arg, flags), next=[follow]))
        return self.new(_State(test=_char_test(op, arg, flags), next=[follow]))

    def repeat(self, least: int, most: int, body: Any, flags: int, follow: int) -> int:
        items = list(body)
        if most == sre.MAXREPEAT:
            loop = self.new()  # either once more round the body, or on
            self.states[loop].next = [self.sequence(items, flags, loop), follow]
            follow = loop
        else:
            for _ in range(most - least):  # each optional copy may be skipped
                follow = self.new(_State(next=[self.sequence(items, flags, follow), follow]))
        for _ in range(least):
            follow = self.sequence(items, flags, follow)
        return follow


def _is_word(char: str, flags: int) -> bool:
    if flags & sre.SRE_FLAG_ASCII and not char.isascii():
        return False
    return char.isalnum() or char == "_"


def _category(category: Any, char: str, flags: int) -> bool:
    ascii_only = bool(flags & sre.SRE_FLAG_ASCII)
    tests: dict[Any, Callable[[], bool]] = {
        sre.CATEGORY_DIGIT: lambda: char.isdecimal() and (char.isascii() or not ascii_only),
        sre.CATEGORY_SPACE: lambda: char in " \t\n\r\f\v" if ascii_only else char.isspace(),
        sre.CATEGORY_WORD: lambda: _is_word(char, flags),
    }
    negated = {sre.CATEGORY_NOT_DIGIT: sre.CATEGORY_DIGIT,
               sre.CATEGORY_NOT_SPACE: sre.CATEGORY_SPACE,
               sre.CATEGORY_NOT_WORD: sre.CATEGORY_WORD}
    if category in negated:
        return not tests[negated[category]]()
    if category not in tests:
        raise PatternRefused(f"it uses a character class ({category}) this check does not know")
    return tests[category]()


def _char_test(op: Any, arg: Any, flags: int) -> CharTest:
    """The test of one character for a node that reads one (a letter, ``.``, a class)."""
    if op is sre.ANY:
        return (lambda _c: True) if flags & sre.SRE_FLAG_DOTALL else (lambda c: c != "\n")
    if op in (sre.LITERAL, sre.NOT_LITERAL):
        wanted = chr(arg)
        negate = op is sre.NOT_LITERAL
        exact = _cased(lambda c: c == wanted, flags)
        return lambda c: exact(c) != negate
    if op is sre.IN:
        return _cased(_in_class(list(arg), flags), flags)
    raise PatternRefused(f"it uses something ({op}) this check does not know")


def _in_class(items: list[tuple[Any, Any]], flags: int) -> CharTest:
    negate = bool(items) and items[0][0] is sre.NEGATE
    parts = [_class_part(op, arg, flags) for op, arg in (items[1:] if negate else items)]
    return lambda c: any(part(c) for part in parts) != negate


def _class_part(op: Any, arg: Any, flags: int) -> CharTest:
    if op is sre.LITERAL:
        wanted = chr(arg)
        return lambda c: c == wanted
    if op is sre.RANGE:
        low, high = arg
        return lambda c: low <= ord(c) <= high
    if op is sre.CATEGORY:
        return lambda c: _category(arg, c, flags)
    raise PatternRefused(f"it uses something ({op}) in a class this check does not know")


def _cased(test: CharTest, flags: int) -> CharTest:
    if not flags & sre.SRE_FLAG_IGNORECASE:
        return test
    return lambda c: test(c) or test(c.lower()) or test(c.upper())


def _anchor(at: Any, flags: int) -> Assertion:
    multiline = bool(flags & sre.SRE_FLAG_MULTILINE)

    def word_before(value: str, pos: int) -> bool:
        return pos > 0 and _is_word(value[pos - 1], flags)

    def word_after(value: str, pos: int) -> bool:
        return pos < len(value) and _is_word(value[pos], flags)

    anchors: dict[Any, Assertion] = {
        sre.AT_BEGINNING_STRING: lambda v, p: p == 0,
        sre.AT_END_STRING: lambda v, p: p == len(v),
        sre.AT_BEGINNING: lambda v, p: p == 0 or (multiline and v[p - 1] == "\n"),
        sre.AT_END: lambda v, p: p == len(v) or (
            v[p] == "\n" and (multiline or p == len(v) - 1)),
        # re finds no word boundary, nor a non-boundary, in an empty value.
        sre.AT_BOUNDARY: lambda v, p: bool(v) and word_before(v, p) != word_after(v, p),
        sre.AT_NON_BOUNDARY: lambda v, p: bool(v) and word_before(v, p) == word_after(v, p),
    }
    if at not in anchors:
        raise PatternRefused(f"it uses an anchor ({at}) this check does not know")
    return anchors[at]


def check_pattern(pattern: str) -> None:
    """``re.error`` or ``PatternRefused`` if ``pattern`` cannot be used as a field's pattern."""
    re.compile(pattern)
    SafePattern.compile(pattern)
