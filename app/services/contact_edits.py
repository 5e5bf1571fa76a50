"""The agent's edits to a caller's contact: kept as drafts, checked, saved through the outbox.

INTERFACE STUB (issue 10): the signatures below are the contract between the services and the
window; the bodies are filled in by the services work. One owner per concern: this object owns
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

from collections.abc import Mapping
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal

from app.core.contact_view import ContactView, FieldKey
from app.services.outbox import Outbox
from app.services.store import FieldDraft, LocalStore

FORM_ERROR_KEY = "_form"  # the key of a form-level message in ``state()["field_errors"]``


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

    def keep(self, view: ContactView, edits: Mapping[FieldKey, str]) -> None:
        """Write ``edits`` (the form's ``edits()``: every field whose text differs from the
        shown value) as this caller's drafts, durably; a field typed back to its saved value
        stops being a draft. Never raises: a failing write is logged."""
        raise NotImplementedError

    def drafts(self, number: str) -> dict[FieldKey, FieldDraft]:
        """This caller's unsaved edits (after a crash, a new call, a refusal, a conflict)."""
        raise NotImplementedError

    def form_error(self, number: str) -> str:
        """The form-level problem of this caller's last save ("" if none)."""
        raise NotImplementedError

    def view_for(self, view: ContactView) -> ContactView:
        """``view`` with the values of this caller's saves still waiting in the outbox: saved
        as far as the agent is concerned, so the form and Esc show them, not the old ones."""
        raise NotImplementedError

    def save(self, view: ContactView, edits: Mapping[FieldKey, str]) -> SaveOutcome:
        """Check every edit; when all are valid and something changed, queue one Directory
        ``update`` (``create`` when ``view.is_new``) with only the changed, mapped fields
        and their drafts removed in the same transaction. Invalid edits stay drafts, with
        their message in ``field_errors``; nothing invalid is queued."""
        raise NotImplementedError

    def resolve(self, number: str, key: FieldKey, keep_mine: bool) -> None:
        """A conflict on ``key`` decided: keep the agent's value (saved over DeepCall's on the
        next Save) or take DeepCall's (the draft goes)."""
        raise NotImplementedError

    def revert(self, number: str, key: FieldKey) -> None:
        """Esc on a field: its draft (and its problem) goes; the saved value is shown again."""
        raise NotImplementedError

    def state(self, view: ContactView | None) -> dict[str, dict[str, str]]:
        """``{"unsaved": {display name: draft value}, "field_errors": {display name: message,
        "_form": message}}`` for ``screenpop state``, keyed like its ``fields``."""
        raise NotImplementedError
