"""Outside text bounded before a widget measures it (app.core.screen_text)."""

from __future__ import annotations

import unicodedata

from app.core.screen_text import (
    BIDI_CONTROLS,
    BREAK_RUN,
    ELLIPSIS,
    LINE_CHARS,
    NAME_CHARS,
    TOOLTIP_CHARS,
    ZERO_WIDTH_SPACE,
    caller_line,
    clip,
    defused,
    is_bidi_control,
    one_line,
    shortened,
    tooltip_text,
    wrappable,
)


def test_clip_keeps_short_text_and_marks_a_cut() -> None:
    assert clip("Aarav", 5) == "Aarav"
    assert clip("Aarav Mehta", 5) == "Aara" + ELLIPSIS


def test_one_line_turns_breaks_and_controls_into_spaces_and_bounds_the_length() -> None:
    assert one_line("Aarav\nBANK: call 1800\u2028now\x1b[31m") == "Aarav BANK: call 1800 now [31m"
    long = one_line("x" * 900_000)
    assert len(long) == LINE_CHARS
    assert long.endswith(ELLIPSIS)


def test_wrappable_gives_long_runs_break_points_and_keeps_words() -> None:
    assert wrappable("two words") == "two words"
    broken = wrappable("W" * (BREAK_RUN * 3))
    assert broken.replace(ZERO_WIDTH_SPACE, "") == "W" * (BREAK_RUN * 3)
    assert max(len(run) for run in broken.split(ZERO_WIDTH_SPACE)) == BREAK_RUN


def test_a_tooltip_holds_the_whole_text_up_to_its_bound_then_says_how_much_more() -> None:
    assert tooltip_text("two words") == "two words"
    whole = tooltip_text("x" * TOOLTIP_CHARS)
    assert whole.replace(ZERO_WIDTH_SPACE, "") == "x" * TOOLTIP_CHARS
    assert max(len(run) for run in whole.split(ZERO_WIDTH_SPACE)) == BREAK_RUN  # it wraps
    tip = tooltip_text("x" * (TOOLTIP_CHARS + 16_000))
    assert tip.replace(ZERO_WIDTH_SPACE, "").startswith("x" * TOOLTIP_CHARS + ELLIPSIS)
    assert tip.endswith("(16,000 more characters)")


def test_defused_text_has_no_character_markup_needs() -> None:
    text = defused("<b>R&D</b> &lt;")
    assert not set("<>&") & set(text)
    assert "b" in text
    assert "R" in text


def test_one_line_turns_bidi_controls_into_spaces() -> None:
    # U+202E would show the rest reversed: "(+91 98765 43210)" as ")01234 56789 19+(".
    assert one_line("Aarav\u202e (+91 98765 43210)") == "Aarav  (+91 98765 43210)"
    assert not any(is_bidi_control(ch) for ch in one_line("".join(BIDI_CONTROLS)))
    assert is_bidi_control("\u2067")
    assert not is_bidi_control("a")


def test_a_caller_line_always_ends_with_the_number() -> None:
    line = caller_line("Ravi " * 1_000, "+91 98765 43210")
    assert line.endswith(f"{ELLIPSIS} (+91 98765 43210)")
    assert len(line) <= NAME_CHARS + len(" (+91 98765 43210)")
    assert caller_line("", "+91 98765 43210") == "+91 98765 43210"


def _starts_inside_a_character(part: str) -> bool:
    """Whether ``part`` begins with a mark, modifier or joiner that belongs to the
    character before it (a cut there splits what the reader sees as one letter)."""
    return bool(part) and (unicodedata.category(part[0]) in ("Mn", "Me", "Mc")
                           or part[0] in "\u200d\ufe0f" or "\U0001f3fb" <= part[0] <= "\U0001f3ff")


def test_cuts_never_split_a_letter_from_its_accent_or_an_emoji_from_its_modifier() -> None:
    accented = "e\u0301" * 10  # é as e + combining acute
    assert clip(accented, 6) == "e\u0301e\u0301" + ELLIPSIS
    for text in (accented * 20, "👍🏽" * 100, "👩\u200d👩\u200d👧" * 50, "क्षि" * 60):
        parts = wrappable(text).split(ZERO_WIDTH_SPACE)
        assert len(parts) > 1
        assert not any(_starts_inside_a_character(part) for part in parts[1:]), text[:8]
        assert not any(part.endswith("\u200d") for part in parts[:-1])
        assert "".join(parts) == text
        for cut in (one_line(text, 31), clip(text, 31), tooltip_text(text, 31)):
            kept = cut.split(ELLIPSIS)[0].replace(ZERO_WIDTH_SPACE, "")
            assert text.startswith(kept)
            assert not _starts_inside_a_character(text[len(kept):])
            assert not kept.endswith("\u200d")


def test_shortened_never_splits_a_letter_from_its_accent() -> None:
    assert shortened("abc", 5) == "abc"
    assert shortened("abcdef", 3) == "abc"
    assert shortened("abe\u0301f", 3) == "ab"  # the cut would fall between e and its accent


def test_a_tooltip_counts_exactly_what_it_leaves_out() -> None:
    text = "e\u0301" * 3000  # 6,000 characters; a cut may only fall before an "e"
    more = tooltip_text(text, 4001).rpartition("\n")[2]
    assert more == f"({6000 - 4000:,} more characters)"
