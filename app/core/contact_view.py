"""What the contact form shows: a Contact (or UnknownCaller) laid out through the field mapping.

Pure data for the widgets: sections (standard, then custom), each an ordered list of fields
with display name, display text, input type, Directory key and read-only flag. Every group and
every label of the response appears; a label the mapping does not know lands at the end of the
custom section. For an unknown caller every mapped field appears too, empty, ready for a new
contact.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Final, cast

from app.core import phone
from app.core.contact import FieldValue, LookupResult, UnknownCaller
from app.core.field_mapping import (
    SECTIONS,
    FieldMapping,
    FieldSpec,
    InputType,
    Section,
    normalise_label,
)

# (group, label): a field's identity in the form; the same label may exist in two groups.
FieldKey = tuple[str, str]
MOBILE_LABEL: Final = "mobile"
UNMAPPED_HINT: Final = "Not written back to DeepCall — map it in Tools → Field mapping."
MOBILE_HINT: Final = "The caller's number: it identifies the contact in DeepCall, so it is not " \
    "edited here."


@dataclasses.dataclass(frozen=True)
class FieldView:
    group: str
    label: str
    display_name: str
    value: str  # display text; "" for empty/null
    input_type: InputType
    directory_key: str | None
    read_only: bool
    section: Section
    known: bool  # False: the mapping does not list this label (shown, but read-only)
    pattern: str = ""  # the mapping's extra rule for a value to be saved ("" = none)
    pattern_hint: str = ""  # how a matching value looks ("AB-1234")

    @property
    def key(self) -> FieldKey:
        return (self.group, self.label)

    @property
    def read_only_hint(self) -> str:
        """Why the agent cannot type here, and what to do about it ("" for a writable field)."""
        if not self.read_only:
            return ""
        return MOBILE_HINT if _is_mobile(self.label) else UNMAPPED_HINT


@dataclasses.dataclass(frozen=True)
class SectionView:
    name: Section
    title: str
    fields: tuple[FieldView, ...]


@dataclasses.dataclass(frozen=True)
class ContactView:
    caller_number: str  # E.164
    is_new: bool  # unknown caller: the form creates a contact instead of updating one
    sections: tuple[SectionView, ...]

    def fields(self) -> list[FieldView]:
        return [f for section in self.sections for f in section.fields]

    def field(self, key: FieldKey) -> FieldView | None:
        return next((f for f in self.fields() if f.key == key), None)

    @property
    def caller_name(self) -> str:
        """The caller's name: the field written back to Directory ``name``, else the first
        label called Name; "" when there is none (or it is empty)."""
        fields = self.fields()
        named = next((f for f in fields if f.directory_key == "name"), None) \
            or next((f for f in fields if normalise_label(f.label) == "name"), None)
        return named.value.strip() if named is not None else ""

    def display_values(self, edits: Mapping[FieldKey, str] | None = None) -> dict[str, str]:
        """{display name: value} of every field, for ``screenpop state`` and logs of tests;
        with ``edits``, what the agent typed in place of the value.

        Two fields with one display name (same label in two groups) get "name (group)".
        """
        edits = edits or {}
        result: dict[str, str] = {}
        for f in self.fields():
            name = f.display_name if f.display_name not in result \
                else f"{f.display_name} ({f.group})"
            result[name] = edits.get(f.key, f.value)
        return result


SECTION_TITLES: Final[dict[str, str]] = {"standard": "Contact", "custom": "More details"}


def format_mobile(value: FieldValue, fallback_e164: str = "") -> str:
    """DeepCall's ``mobile`` (digits with country code, as a JSON number) for display."""
    if value is None or value == "" or isinstance(value, bool | list | dict | float):
        digits = fallback_e164.lstrip("+")
        if isinstance(value, float) and value.is_integer():
            digits = str(int(value))
    else:
        digits = str(value).strip().lstrip("+")
    if not digits:
        return ""
    if not digits.isdigit():
        return str(value)
    e164 = "+" + digits
    try:
        return phone.display_format(e164)
    except Exception:  # a formatter bug must not cost the pop: show the number as is
        return e164


def format_number(e164: str) -> str:
    """A caller's E.164 number for display (the header shows it before any lookup)."""
    return format_mobile(None, e164) or e164


def display_text(value: FieldValue) -> str:
    """A DeepCall value as text, losing nothing (12-digit ints keep every digit)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _field(spec: FieldSpec, group: str, label: str, value: str) -> FieldView:
    return FieldView(group=group, label=label, display_name=spec.display_name, value=value,
                     input_type=spec.input_type, directory_key=spec.directory_key,
                     read_only=spec.read_only, section=spec.section, known=spec.known,
                     pattern=spec.pattern, pattern_hint=spec.pattern_hint)


def _read_only(spec: FieldSpec) -> FieldSpec:
    # mobile is the contact's identity in the Directory: never edited through the form.
    return dataclasses.replace(spec, directory_key=None, pattern="", pattern_hint="")


def _is_mobile(label: str) -> bool:
    return label.strip().casefold() == MOBILE_LABEL


def build_contact_view(result: LookupResult, mapping: FieldMapping) -> ContactView:
    """Lay out every group/label of ``result``; an unknown caller also gets every mapped field."""
    is_new = isinstance(result, UnknownCaller)
    entries: list[tuple[tuple[int, int, int], FieldView]] = []
    seen_labels: set[str] = set()
    position = 0
    for group_index, group in enumerate(result.groups):
        for label, raw in group.fields:
            spec = mapping.spec_for(label, position)
            position += 1
            if _is_mobile(label):
                value = format_mobile(raw, result.caller_number)
                spec = _read_only(spec)
            else:
                value = "" if is_new else display_text(raw)
            seen_labels.add(normalise_label(label))
            sort_key = (SECTIONS.index(spec.section), spec.order, group_index)
            entries.append((sort_key, _field(spec, group.name, label, value)))

    if is_new:
        default_group = result.groups[0].name if result.groups else ""
        for spec in mapping.fields:
            if normalise_label(spec.label) in seen_labels:
                continue
            value = ""
            if _is_mobile(spec.label):
                value = format_mobile(None, result.caller_number)
                spec = _read_only(spec)
            sort_key = (SECTIONS.index(spec.section), spec.order, 0)
            entries.append((sort_key, _field(spec, default_group, spec.label, value)))

    entries.sort(key=lambda entry: entry[0])
    sections = tuple(
        SectionView(name=cast(Section, name), title=SECTION_TITLES[name],
                    fields=tuple(f for _, f in entries if f.section == name))
        for name in SECTIONS)
    return ContactView(caller_number=result.caller_number, is_new=is_new,
                       sections=tuple(s for s in sections if s.fields))


def empty_view_for(caller_number: str, mapping: FieldMapping) -> ContactView:
    """The "new caller" form when DeepCall sent no groups at all."""
    return build_contact_view(UnknownCaller(caller_number=caller_number), mapping)

