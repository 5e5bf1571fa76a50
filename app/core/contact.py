"""The caller's contact as DeepCall returned it: groups of labelled values, kept exactly.

contactInfo answers ``{"message": {"<group>": {"<label>": value}}}``. The group names and
labels belong to the account's own field mapping, so nothing here knows any of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# JSON scalars as DeepCall sends them. Python ints are unbounded, so a 12-digit ``mobile``
# keeps every digit; nested objects/lists are kept as they came (rare, but never dropped).
FieldValue = str | int | float | bool | None | list[object] | dict[str, object]


@dataclass(frozen=True)
class ContactGroup:
    """One group under ``message`` (the seed's ``"Cu"``), labels in the server's order."""

    name: str
    fields: tuple[tuple[str, FieldValue], ...]

    def get(self, label: str) -> FieldValue:
        for key, value in self.fields:
            if key == label:
                return value
        return None


@dataclass(frozen=True)
class Contact:
    """A caller DeepCall knows: every group it returned."""

    caller_number: str  # E.164, e.g. "+918302390884"
    groups: tuple[ContactGroup, ...]

    def labels(self) -> list[str]:
        return [label for group in self.groups for label, _ in group.fields]


@dataclass(frozen=True)
class UnknownCaller:
    """DeepCall has no contact for the number (1012, an empty message, or only empty fields).

    ``groups`` keeps any empty groups/labels the server did send, so the "new caller" form can
    still show the account's labels.
    """

    caller_number: str
    groups: tuple[ContactGroup, ...] = field(default=())


LookupResult = Contact | UnknownCaller
