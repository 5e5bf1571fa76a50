"""Outside text (DeepCall values, server messages) bounded before a widget measures it.

Contact data comes from callers and lead forms: a value can be any length and any characters.
The widgets show it as plain text and elide it to the pixels they have; this module decides
how much text they are ever given, so that a 900,000-character name costs what 300 do.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

ELLIPSIS: Final = "…"
LINE_CHARS: Final = 300  # a one-line label measures at most this much (it elides to fit anyway)
TITLE_CHARS: Final = 60  # a box title is not elided by Qt: this is its whole width
NAME_CHARS: Final = 60  # a caller's name before their number, where nothing elides it
WRAPPED_CHARS: Final = 1_000  # a wrapped message (error banner, note status)
TOOLTIP_CHARS: Final = 4_000  # about 50 wrapped lines; the field and `screenpop state` hold all
BREAK_RUN: Final = 40  # a wrapped label cannot break a longer run of non-spaces by itself
ZERO_WIDTH_SPACE: Final = "\u200b"

# Bidi embeddings, overrides, isolates and marks: shown raw, they reorder what follows them, so
# a name ending in U+202E shows the caller's number after it reversed. One list for every
# surface that shows outside text (the window, the tray, the terminal).
BIDI_CONTROLS: Final = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
                                 "\u200e\u200f\u061c")


def is_bidi_control(char: str) -> bool:
    return char in BIDI_CONTROLS


# Line and paragraph breaks, tabs, other control characters and bidi controls: a one-line
# label shows each as one space, so a name cannot push a second, official-looking line into
# the header nor turn round the text after it.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029" + "".join(sorted(BIDI_CONTROLS)) + "]")
_LONG_RUN = re.compile(rf"\S{{{BREAK_RUN + 1},}}")
_JOINER: Final = "\u200d"


def _belongs_to_previous(char: str) -> bool:
    """A mark, a joiner, a variation selector or a skin-tone modifier: part of the character
    before it."""
    return (unicodedata.category(char) in ("Mn", "Me", "Mc") or char in "\u200d\ufe0e\ufe0f"
            or "\U0001f3fb" <= char <= "\U0001f3ff")


def _cut_at(text: str, at: int) -> int:
    """``at``, or the nearest earlier place a cut does not split one visible character (a
    letter from its accent, an emoji from its modifier, the parts of a joined emoji)."""
    safe = at
    while 0 < safe < len(text) and (_belongs_to_previous(text[safe])
                                     or text[safe - 1] == _JOINER):
        safe -= 1
    return safe if safe > 0 else at  # nothing but marks: cut where asked


def shortened(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, never inside one visible character."""
    return text if len(text) <= limit else text[:_cut_at(text, limit)]


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, the cut marked with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[:_cut_at(text, max(0, limit - 1))] + ELLIPSIS


def one_line(text: str, limit: int = LINE_CHARS) -> str:
    """What a one-line label may show of ``text``: clipped, controls as single spaces."""
    return clip(_CONTROLS.sub(" ", text[:limit + 1]), limit)  # a huge value is never scanned


def caller_line(name: str, number: str) -> str:
    """"Name (number)" for one line: the name bounded first, so however long it is the
    number still shows; no control in the name can reorder it."""
    return f"{one_line(name, NAME_CHARS)} ({number})" if name else number


def wrappable(text: str, limit: int = WRAPPED_CHARS) -> str:
    """What a word-wrapped label may show: clipped, and a long run of non-spaces (a URL, a
    hostile name) given invisible break points so it wraps instead of widening the window."""
    return _with_break_points(clip(text, limit))


def _with_break_points(text: str) -> str:
    def broken(run: re.Match[str]) -> str:
        text = run.group()
        parts: list[str] = []
        start = 0
        while len(text) - start > BREAK_RUN:
            end = _cut_at(text, start + BREAK_RUN)
            end = end if end > start else start + BREAK_RUN
            parts.append(text[start:end])
            start = end
        return ZERO_WIDTH_SPACE.join([*parts, text[start:]])

    return _LONG_RUN.sub(broken, text)


def tooltip_text(text: str, limit: int = TOOLTIP_CHARS) -> str:
    """The full text for a tooltip, up to ``limit`` characters, then how much more there is;
    a long run of non-spaces gets break points, as a tooltip wraps only at spaces (one run of
    4,000 letters made a tooltip 47,446 px wide)."""
    if len(text) <= limit:
        return _with_break_points(text)
    head = shortened(text, limit)
    shown = _with_break_points(head)
    rest = len(text) - len(head)
    return f"{shown}{ELLIPSIS}\n({rest:,} more characters)"


# The tray's tooltip and notifications are drawn by the desktop, which may read HTML or may not:
# entities would show as "&lt;" on one, tags would run on another. Look-alikes are safe on both.
_MARKUP_LOOKALIKES: Final = str.maketrans({"<": "‹", ">": "›", "&": "＆"})


def defused(text: str) -> str:
    """``text`` with the characters markup needs swapped for look-alikes, for surfaces that
    may or may not render HTML (the tray tooltip, desktop notifications)."""
    return text.translate(_MARKUP_LOOKALIKES)
