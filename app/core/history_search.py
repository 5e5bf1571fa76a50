"""What a search of the pop history looks for: a caller's name, or digits of their number.

An agent types a name in any case and script ("asha", "ÅSA"), or a number the way it reads on
a note or a screen ("083023 90884", "+91 83023…", "٠٨٣٠…"). Numbers are kept in E.164, so the
digits are matched without the trunk or international prefix's leading zeros.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.digits import ASCII_DIGITS, fold_digits


def fold_name(text: str | None) -> str:
    """A name as the search compares it: case and width folded (SQLite's own only folds ASCII)."""
    return (text or "").casefold()


@dataclass(frozen=True)
class HistoryQuery:
    name: str  # folded; "" matches every pop
    digits: str  # "" when the text has no digit: the number is not searched

    @classmethod
    def of(cls, text: str) -> HistoryQuery:
        folded = fold_digits(text).strip()
        digits = "".join(ch for ch in folded if ch in ASCII_DIGITS)
        # "0830…" (national) and "00918…" (international) are "+91830…" in E.164.
        return cls(fold_name(folded), digits.lstrip("0") or digits)
