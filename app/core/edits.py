"""Form edits -> the Directory ``contactinfo`` payload: only what changed, checked like DeepCall.

The checks mirror the Directory API's documented rules (``name``: letters, spaces and dots;
``email``: an address; ``dob``: a real ``dd-mm-YYYY`` date), plus the field mapping's optional
per-field ``pattern``, so the agent hears about a typo in the form, next to the field, instead
of as a server error after pressing Save.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from app.core.contact import Contact, ContactGroup, FieldValue, LookupResult, UnknownCaller
from app.core.contact_view import MOBILE_LABEL, ContactView, FieldKey
from app.core.safe_pattern import SafePattern

MAX_VALUE_LENGTH: Final = 255
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_DATE = re.compile(r"\d{2}-\d{2}-\d{4}")


@dataclass(frozen=True)
class EditResult:
    """``contactinfo`` holds only changed, valid keys; ``errors`` maps a field to a message."""

    contactinfo: dict[str, str]
    errors: dict[FieldKey, str]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changed(self) -> bool:
        return bool(self.contactinfo)


def _letters_spaces_dots(value: str) -> bool:
    # Letters of any script with their combining marks (Devanagari vowel signs), spaces, dots.
    return all(ch in " ." or unicodedata.category(ch)[0] in "LM" for ch in value)


def validate_value(directory_key: str, value: str, display_name: str = "", *,
                   pattern: str = "", pattern_hint: str = "") -> str | None:
    """A plain message if ``value`` would be refused for ``directory_key`` (or does not match
    the mapping's ``pattern`` as a whole); None if fine.

    Empty values are allowed: clearing a field is an edit too.
    """
    name = display_name or directory_key
    if not value:
        return None
    if len(value) > MAX_VALUE_LENGTH:
        return f"{name} is too long ({len(value)} characters; at most {MAX_VALUE_LENGTH})."
    if pattern and not SafePattern.compile(pattern).fullmatch(value):  # linear time, never re
        return f"{name} must look like {pattern_hint or 'the pattern ' + pattern}."
    if directory_key == "name" and not _letters_spaces_dots(value):
        return f"{name} may contain only letters, spaces and dots."
    if directory_key == "email" and not _EMAIL.fullmatch(value):
        return f"{name} is not a valid email address (like name@example.com)."
    if directory_key == "dob":
        try:
            datetime.strptime(value, "%d-%m-%Y")
        except ValueError:
            valid = False
        else:
            valid = _DATE.fullmatch(value) is not None
        if not valid:
            return f"{name} must be a real date written as dd-mm-YYYY (like 14-03-1986)."
    return None


def diff_edits(original: ContactView, edited: Mapping[FieldKey, str]) -> EditResult:
    """The Directory ``contactinfo`` for the fields whose value really changed.

    Read-only fields (no Directory key: mobile, labels the mapping does not know) are never
    sent, even if ``edited`` mentions them. If two fields share a Directory key (the same label
    in two groups), the one the agent changed wins.
    """
    contactinfo: dict[str, str] = {}
    errors: dict[FieldKey, str] = {}
    for field in original.fields():
        if field.read_only or field.directory_key is None or field.key not in edited:
            continue
        # Outer whitespace is dropped (the Directory trims too); inner line breaks stay.
        new_value = edited[field.key].strip()
        if new_value == field.value.strip():
            continue
        message = validate_value(field.directory_key, new_value, field.display_name,
                                 pattern=field.pattern, pattern_hint=field.pattern_hint)
        if message:
            errors[field.key] = message
            continue
        contactinfo[field.directory_key] = new_value
    return EditResult(contactinfo=contactinfo, errors=errors)


def apply_contactinfo(result: LookupResult, view: ContactView,
                      contactinfo: Mapping[str, str]) -> Contact:
    """``result`` as DeepCall answers it once ``contactinfo`` ({Directory key: value}) is saved:
    each value under the label the form showed for its key (every group holding that label:
    DeepCall keeps one value per key), a label the answer lacked added to the form's group. An
    unknown caller becomes a known contact with their number, so the form, the cache and the
    header show the saved values without asking DeepCall again."""
    groups: dict[str, list[tuple[str, FieldValue]]] = {
        g.name: list(g.fields) for g in result.groups}
    if isinstance(result, UnknownCaller) and not any(
            label.strip().casefold() == MOBILE_LABEL for g in groups.values() for label, _ in g):
        first = next(iter(groups), _default_group(view))
        digits = result.caller_number.lstrip("+")
        groups.setdefault(first, []).insert(0, (MOBILE_LABEL, int(digits) if digits.isdigit()
                                                else result.caller_number))
    for key, value in contactinfo.items():
        fields = [f for f in view.fields() if f.directory_key == key]
        if not fields:
            continue  # not on this form (the mapping changed meanwhile): the next lookup shows it
        for field in fields:
            entries = groups.setdefault(field.group, [])
            index = next((i for i, (label, _) in enumerate(entries) if label == field.label),
                         None)
            if index is None:
                entries.append((field.label, value))
            else:
                entries[index] = (field.label, value)
    return Contact(result.caller_number,
                   tuple(ContactGroup(name, tuple(fields)) for name, fields in groups.items()))


def _default_group(view: ContactView) -> str:
    return next((f.group for f in view.fields()), "")
