"""The agent's edits to a caller's contact: kept as drafts, checked, saved through the outbox.

One owner per concern: this object owns
the unsaved edits (field drafts) and the problems shown next to fields; the outbox owns what is
queued for DeepCall; the pop coordinator owns the caller on screen.

A field's life: typed -> ``keep`` writes it as a draft (durably, within half a second) ->
``save`` checks every edit (``app.core.edits``) and, when all are valid, moves the changed,
mapped ones into one outbox item (``update``, or ``create`` for a new caller) in the same
transaction that removes their drafts -> the outbox delivers it. A refusal or a conflict puts
the edits back among the drafts, with the reason (``FieldDraft.error``) or DeepCall's newer
value (``FieldDraft.theirs``), and ``problemsChanged`` tells the window.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal

from app.core.contact_view import ContactView, FieldKey, FieldView
from app.core.edits import diff_edits
from app.services.outbox import CREATE, UPDATE, Outbox
from app.services.outbox_delivery import CONFLICT
from app.services.store import FieldDraft, LocalStore

log = logging.getLogger(__name__)

FORM_ERROR_KEY = "_form"  # the key of a form-level message in ``state()["field_errors"]``
NOTHING_CHANGED = "Nothing to save: no field changed."
CHOOSE_FIRST = "Choose between your value and DeepCall's for: {names}. Then save again."
INVALID = "Some fields need a fix before saving (see the messages next to them)."


@dataclass(frozen=True)
class SaveOutcome:
    """What pressing Save did: queued (``outbox_id``) or refused here, with the reasons."""

    outbox_id: int | None  # the outbox item now being sent; None when nothing was queued
    field_errors: dict[FieldKey, str] = field(default_factory=dict)
    form_error: str = ""  # e.g. "Nothing to save: no field changed."


class ContactEdits(QObject):
    # A caller's drafts or problems changed (a save refused or in conflict, a draft restored):
    # the number; the window re-reads ``drafts(number)`` and ``form_error(number)``.
    problemsChanged = Signal(str)

    def __init__(self, store: LocalStore, outbox: Outbox,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._outbox = outbox
        # DeepCall's values the agent chose at a conflict: (number, key) -> (the value the
        # form showed, DeepCall's). The form shows DeepCall's until a new lookup shows it too.
        self._taken: dict[tuple[str, FieldKey], tuple[str, str]] = {}
        outbox.saveReturned.connect(lambda _id, number, _msg: self.problemsChanged.emit(number))

    def keep(self, view: ContactView, edits: Mapping[FieldKey, str]) -> None:
        """Write ``edits`` (the form's ``edits()``: every field whose text differs from the
        shown value) as this caller's drafts, durably; a field typed back to its saved value
        stops being a draft. Never raises: a failing write is logged."""
        try:
            self._keep(self.view_for(view), edits)
        except Exception:
            log.exception("could not keep the unsaved edits")

    def _keep(self, shown: ContactView, edits: Mapping[FieldKey, str]) -> None:
        number = shown.caller_number
        old = self._store.field_drafts(number)
        now = time.time()
        write: list[FieldDraft] = []
        remove: list[FieldKey] = []
        for f in shown.fields():
            if f.read_only:
                continue
            value = edits.get(f.key)
            before = old.get(f.key)
            if value is None or value == f.value:
                if before is not None and before.theirs is None:
                    remove.append(f.key)  # typed back (a conflict stays until decided)
                continue
            if before is not None and before.value == value:
                continue  # unchanged: keep its base, DeepCall's value and its message
            write.append(FieldDraft(
                f.group, f.label, value, base=before.base if before else f.value,
                theirs=before.theirs if before else None, updated=now))
        if write or remove:
            self._store.write_field_drafts(number, write, remove=remove)

    def note_changed_meanwhile(self, view: ContactView) -> None:
        """``view`` is what DeepCall holds now (a fresh lookup): a draft whose base is no
        longer DeepCall's value, and whose value is not DeepCall's either, is a conflict
        now, with DeepCall's value as ``theirs``, rather than at save time. Never raises."""
        try:
            shown = self.view_for(view)
            drafts = self._store.field_drafts(shown.caller_number)
            conflicts = [
                dataclasses.replace(d, theirs=f.value, error=CONFLICT)
                for f in shown.fields() if not f.read_only
                for d in [drafts.get(f.key)] if d is not None and d.theirs is None
                and f.value.strip() not in (d.base.strip(), d.value.strip())]
            if conflicts:
                self._store.write_field_drafts(shown.caller_number, conflicts)
        except Exception:
            log.exception("could not compare the drafts with DeepCall's values")

    def drafts(self, number: str) -> dict[FieldKey, FieldDraft]:
        """This caller's unsaved edits (after a crash, a new call, a refusal, a conflict)."""
        return self._store.field_drafts(number)

    def form_error(self, number: str) -> str:
        """The form-level problem of this caller's last save ("" if none)."""
        return self._store.form_error(number)

    def view_for(self, view: ContactView) -> ContactView:
        """``view`` with the values of this caller's saves still waiting in the outbox: saved
        as far as the agent is concerned, so the form and Esc show them, not the old ones."""
        number = view.caller_number
        values: dict[str, str] = {}  # directory key -> value
        creating = False
        saves = self._outbox.waiting_saves(number)
        for wanted in (CREATE, UPDATE):  # a create's values first, then what updates them
            for kind, item in saves:
                if kind == wanted:
                    values.update(item)
                    creating = creating or kind == CREATE
        sections = tuple(dataclasses.replace(section, fields=tuple(
            self._shown(number, f, values) for f in section.fields)) for section in view.sections)
        return dataclasses.replace(view, sections=sections,
                                   is_new=view.is_new and not creating)

    def _shown(self, number: str, f: FieldView, values: Mapping[str, str]) -> FieldView:
        value = values.get(f.directory_key, f.value) if f.directory_key else f.value
        taken = self._taken.get((number, f.key))
        if taken is not None and taken[0] == value:
            value = taken[1]
        return f if value == f.value else dataclasses.replace(f, value=value)

    def save(self, view: ContactView, edits: Mapping[FieldKey, str]) -> SaveOutcome:
        """Check every edit; when all are valid and something changed, queue one Directory
        ``update`` (``create`` when ``view.is_new``) with only the changed, mapped fields
        and their drafts removed in the same transaction. Invalid edits stay drafts, with
        their message in ``field_errors``; nothing invalid is queued."""
        shown = self.view_for(view)
        number = shown.caller_number
        self._keep(shown, edits)
        drafts = self._store.field_drafts(number)
        result = diff_edits(shown, edits)
        undecided = [f.display_name for f in shown.fields()
                     if f.key in drafts and drafts[f.key].theirs is not None]
        if undecided:
            return self._refused(number, {}, CHOOSE_FIRST.format(names=", ".join(undecided)))
        if not result.ok:
            return self._refused(number, result.errors, INVALID)
        if not result.changed:
            # What differs from the saved value only by outer whitespace (DeepCall trims it)
            # is no edit: its draft goes, or it would stay "unsaved" for ever.
            self._drop(number, [f.key for f in shown.fields() if f.key in drafts
                                and drafts[f.key].theirs is None
                                and drafts[f.key].value.strip() == f.value.strip()])
            return SaveOutcome(None, {}, NOTHING_CHANGED)  # nothing wrong to keep
        fields = {f.directory_key: f for f in shown.fields()
                  if f.directory_key in result.contactinfo and f.key in edits
                  and edits[f.key].strip() != f.value.strip()}
        base = {key: drafts[f.key].base if f.key in drafts else f.value
                for key, f in fields.items()}
        cleared = [f.key for f in shown.fields() if f.key in drafts and f.directory_key]
        item_id = self._outbox.add_save(
            number, CREATE if shown.is_new else UPDATE, dict(result.contactinfo), base,
            {key: f.key for key, f in fields.items()}, drafts_done=tuple(cleared))
        self.problemsChanged.emit(number)
        return SaveOutcome(item_id)

    def _refused(self, number: str, errors: Mapping[FieldKey, str],
                 form_error: str) -> SaveOutcome:
        """Nothing queued: the reasons are kept with the drafts (shown after a restart too)."""
        drafts = self._store.field_drafts(number)
        marked = [dataclasses.replace(d, error=errors.get(key, "") if d.theirs is None
                                      else d.error) for key, d in drafts.items()]
        self._store.write_field_drafts(number, marked, form_error=form_error)
        self.problemsChanged.emit(number)
        return SaveOutcome(None, dict(errors), form_error)

    def resolve(self, number: str, key: FieldKey, keep_mine: bool) -> None:
        """A conflict on ``key`` decided: keep the agent's value (saved over DeepCall's on the
        next Save) or take DeepCall's (the draft goes)."""
        draft = self._store.field_drafts(number).get(key)
        if draft is None or draft.theirs is None:
            return
        if keep_mine:
            self._store.write_field_drafts(number, [dataclasses.replace(
                draft, base=draft.theirs, theirs=None, error="")], form_error="")
        else:
            self._taken[(number, key)] = (draft.base, draft.theirs)
            self._store.write_field_drafts(number, [], remove=[key], form_error="")
        self.problemsChanged.emit(number)

    def revert(self, number: str, key: FieldKey) -> None:
        """Esc on a field: its draft (and its problem) goes; the saved value is shown again."""
        try:
            self._drop(number, [key])
        except Exception:
            log.exception("could not drop the draft")
            self.problemsChanged.emit(number)

    def _drop(self, number: str, keys: list[FieldKey]) -> None:
        if keys:
            self._store.write_field_drafts(number, [], remove=keys)
            self.problemsChanged.emit(number)

    def state(self, view: ContactView | None) -> dict[str, dict[str, str]]:
        """``{"unsaved": {display name: draft value}, "field_errors": {display name: message,
        "_form": message}}`` for ``screenpop state``, keyed like its ``fields``."""
        unsaved: dict[str, str] = {}
        errors: dict[str, str] = {}
        if view is not None:
            # display_values names each field once, in order: its keys are the names.
            names = dict(zip([f.key for f in view.fields()], view.display_values(), strict=True))
            for key, draft in self._store.field_drafts(view.caller_number).items():
                if key in names:
                    unsaved[names[key]] = draft.value
                    if draft.error:
                        errors[names[key]] = draft.error
            form_error = self._store.form_error(view.caller_number)
            if form_error:
                errors[FORM_ERROR_KEY] = form_error
        return {"unsaved": unsaved, "field_errors": errors}
