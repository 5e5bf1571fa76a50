"""An in-memory ContactEdits for unit tests of the window and the presenter (one layer): the
real one (drafts in SQLite, saves through the outbox) is tested against the sandbox."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, cast

from PySide6.QtCore import QObject, Signal

from app.core.contact_view import ContactView, FieldKey, SectionView
from app.core.edits import diff_edits
from app.services.contact_edits import FORM_ERROR_KEY, ContactEdits, SaveOutcome
from app.services.store import FieldDraft


class _NoOutbox(QObject):
    saveReturned = Signal(int, str, str)  # what ContactEdits listens to; never emitted here


class MemoryEdits(ContactEdits):
    def __init__(self) -> None:
        super().__init__(cast(Any, None), cast(Any, _NoOutbox()))
        self.stored: dict[str, dict[FieldKey, FieldDraft]] = {}
        self.kept: list[tuple[str, dict[FieldKey, str]]] = []  # every keep(), in order
        self.queued: dict[str, dict[FieldKey, str]] = {}  # saves "in the outbox"
        self.calls: list[tuple[Any, ...]] = []  # save / revert / resolve, in order
        self.refusal = ""  # a form-level message the next reads give

    def keep(self, view: ContactView, edits: Mapping[FieldKey, str]) -> None:
        self.kept.append((view.caller_number, dict(edits)))
        old = self.stored.get(view.caller_number, {})
        drafts = {}
        for key, value in edits.items():
            field = view.field(key)
            if field is None or field.read_only:
                continue
            earlier = old.get(key)
            drafts[key] = FieldDraft(key[0], key[1], value, field.value,
                                     earlier.theirs if earlier else None,
                                     earlier.error if earlier else "")
        self.stored[view.caller_number] = drafts

    def note_changed_meanwhile(self, view: ContactView) -> None:
        pass  # conflicts here are planted by the test (the real check is tested for real)

    def drafts(self, number: str) -> dict[FieldKey, FieldDraft]:
        return dict(self.stored.get(number, {}))

    def form_error(self, number: str) -> str:
        return self.refusal

    def view_for(self, view: ContactView) -> ContactView:
        queued = self.queued.get(view.caller_number, {})
        return dataclasses.replace(view, sections=tuple(
            SectionView(s.name, s.title, tuple(
                dataclasses.replace(f, value=queued.get(f.key, f.value)) for f in s.fields))
            for s in view.sections))

    def save(self, view: ContactView, edits: Mapping[FieldKey, str]) -> SaveOutcome:
        self.calls.append(("save", view.caller_number, dict(edits)))
        result = diff_edits(view, edits)
        if not result.ok:
            return SaveOutcome(None, field_errors=dict(result.errors))
        if not result.changed:
            return SaveOutcome(None, form_error="Nothing to save: no field changed.")
        keys = {f.key for f in view.fields() if f.directory_key in result.contactinfo}
        self.queued.setdefault(view.caller_number, {}).update(
            {k: edits[k].strip() for k in keys})
        drafts = self.stored.get(view.caller_number, {})
        self.stored[view.caller_number] = {k: d for k, d in drafts.items() if k not in keys}
        return SaveOutcome(len(self.calls))

    def resolve(self, number: str, key: FieldKey, keep_mine: bool) -> None:
        self.calls.append(("resolve", number, key, keep_mine))
        draft = self.stored.get(number, {}).get(key)
        if draft is not None and draft.theirs is not None:
            if keep_mine:
                self.stored[number][key] = dataclasses.replace(
                    draft, base=draft.theirs, theirs=None, error="")
            else:
                del self.stored[number][key]

    def revert(self, number: str, key: FieldKey) -> None:
        self.calls.append(("revert", number, key))
        self.stored.get(number, {}).pop(key, None)

    def state(self, view: ContactView | None) -> dict[str, dict[str, str]]:
        if view is None:
            return {"unsaved": {}, "field_errors": {}}
        drafts = self.stored.get(view.caller_number, {})
        names = {f.key: f.display_name for f in view.fields()}
        errors = {names[k]: d.error for k, d in drafts.items() if d.error}
        if self.refusal:
            errors[FORM_ERROR_KEY] = self.refusal
        return {"unsaved": {names[k]: d.value for k, d in drafts.items()},
                "field_errors": errors}
