"""What a search of the pop history looks for: words of a caller's name, and digits of their
number — a caller must match all of them ("Asha 83023" is Asha, and only if her number has
83023).

An agent types a name in any case, width and script ("asha", "ÅSA", fullwidth "ｓａｔｏ"
from an input method), or a number the way it reads on a note or a screen ("083023 90884",
"+91 83023…", "٠٨٣٠…"). Numbers are kept in E.164, so the digits are matched without the
trunk or international prefix's leading zeros. Digits of scripts ``fold_digits`` does not
fold (Devanagari) are not a number anywhere in the app, so they are not searched as one.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Final

from app.core.digits import ASCII_DIGITS, fold_digits

DIALLING_MARKS: Final = "+-()./"  # around a number's digits, never a name's word


def fold_name(text: str | None) -> str:
    """A name as the search compares it: compatibility-composed (a name stored decomposed
    matches one typed composed; fullwidth letters are letters) and case folded (SQLite's own
    folding knows ASCII only)."""
    return unicodedata.normalize("NFKC", text or "").casefold()


@dataclass(frozen=True)
class HistoryQuery:
    words: tuple[str, ...]  # folded; each must be in the name ("" text: every pop)
    digits: str  # "" when the text has no number: the number is not searched

    @classmethod
    def of(cls, text: str) -> HistoryQuery:
        words: list[str] = []
        digits = ""
        for word in fold_name(fold_digits(text)).split():
            if any(ch in ASCII_DIGITS for ch in word) and not any(ch.isalpha() for ch in word):
                # The number's, written in pieces: "+91 83023 90884" is one run of digits.
                digits += "".join(ch for ch in word if ch in ASCII_DIGITS)
            elif word.strip(DIALLING_MARKS):
                words.append(word)  # "O'Brien", "100%_off", "%": matched as typed
            # A dialling mark alone ("+ 91…") belongs to the number, which has none.
        # "0830…" (national) and "00918…" (international) are "+91830…" in E.164.
        return cls(tuple(words), digits.lstrip("0") or digits)
