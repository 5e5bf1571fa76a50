"""How each kind of outbox item reaches DeepCall: one function per kind.

A function returns what happened (a save: ``Delivered`` or ``Returned`` to the drafts) or
raises: ``MayHaveArrived`` (the write left and no answer says whether DeepCall has it),
``Refused`` (DeepCall said no to a note, in its own words) or any other ``DeepCallApiError``
(not sent, or not taken for now: the item waits and is tried again). The outbox decides what
each means for the item; nothing here keeps state.

A save is never written blindly: Directory ``getInfo`` first. Per edited key, DeepCall's value
equal to ours is already there, equal to the value the agent started from (``base``) is
written, anything else is a change made meanwhile by someone else: a conflict the agent
decides, never overwritten.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Final, TypeVar

from app.api.client import DeepCallClient
from app.api.errors import BadResponse, DeepCallApiError, DeepCallError, TransportError
from app.services.store import FieldDraft, LocalStore, OutboxItem

T = TypeVar("T")

# Codes that say "not now" rather than "no": the sign-in (a token that expired mid-shift) and
# DeepCall's own internal trouble. The item waits for a working account or a better moment.
NOT_NOW_CODES: Final = frozenset({1002, 1014, 1020, 1032, 1039})
NO_DATA_FOUND: Final = 1012
MAY_HAVE_ARRIVED: Final = ("This note may already be in DeepCall: the connection broke after "
                           "it was sent. Check the call's notes in DeepCall, then send it "
                           "again or discard it.")
CONFLICT: Final = "Changed in DeepCall meanwhile: keep yours or use DeepCall's."
DELETED: Final = ("This contact is no longer in DeepCall's directory (deleted meanwhile). Your "
                  "changes are kept here; look the caller up again to add them as new.")


class MayHaveArrived(DeepCallApiError):
    """The write left; whether DeepCall took it is unknown (no answer, or an unreadable one)."""


class Refused(DeepCallApiError):
    """DeepCall answered no, with a code that will not change by sending again."""

    def __init__(self, error: DeepCallError) -> None:
        super().__init__(error.user_message, error.detail)
        self.error = error


@dataclass(frozen=True)
class Delivered:
    saved: dict[str, str]  # directory key -> value, as DeepCall now has it


@dataclass(frozen=True)
class Returned:
    drafts: list[FieldDraft]  # the edits, back among the caller's drafts with the reasons
    form_error: str  # "" when every reason sits next to a field


@dataclass(frozen=True)
class Save:
    """A queued Directory save, read from its payload."""

    contactinfo: dict[str, str]
    base: dict[str, str]
    fields: dict[str, tuple[str, str]]  # directory key -> (group, label) of the form field

    @classmethod
    def of(cls, item: OutboxItem) -> Save | None:
        """None when the payload is not a save this version can read (it is left alone)."""
        info, base, fields = (item.payload.get(k) for k in ("contactinfo", "base", "fields"))
        if not (isinstance(info, dict) and info and isinstance(base, dict)
                and isinstance(fields, dict)):
            return None
        if not all(isinstance(fields.get(key), list) and len(fields[key]) == 2
                   for key in info):
            return None
        return cls({k: str(v) for k, v in info.items()}, {k: str(v) for k, v in base.items()},
                   {k: (str(fields[k][0]), str(fields[k][1])) for k in info})

    def drafts(self, keys: list[str], theirs: Mapping[str, str] | None = None,
               errors: Mapping[str, str] | None = None) -> list[FieldDraft]:
        theirs, errors = theirs or {}, errors or {}
        return [FieldDraft(*self.fields[key], value=self.contactinfo[key],
                           base=self.base.get(key, ""), theirs=theirs.get(key),
                           error=errors.get(key, "")) for key in keys]


async def _write(request: Awaitable[T]) -> T:
    """A write that cannot be repeated safely, its failures sorted by what they mean."""
    try:
        return await request
    except DeepCallError as error:
        if error.code in NOT_NOW_CODES:
            raise
        raise Refused(error) from None
    except TransportError as error:
        if error.request_sent:
            raise MayHaveArrived(MAY_HAVE_ARRIVED, error.detail) from None
        raise
    except BadResponse as error:  # a 2xx nobody can read: it was probably handled
        raise MayHaveArrived(MAY_HAVE_ARRIVED, error.detail) from None


async def deliver_note(client: DeepCallClient, store: LocalStore, item: OutboxItem) -> None:
    content = item.payload.get("content")
    assert isinstance(content, str)
    call_id = item.call_id
    if call_id is None:
        calls = await client.recent_calls(item.number)
        call_id = calls[0].call_id if calls else None
        if not call_id:
            raise DeepCallApiError(
                "The note could not be attached: DeepCall lists no call with this number "
                "yet. It is kept and will be sent when you retry.")
        store.set_outbox_call_id(item.id, call_id)
    store.outbox_sending(item.id)
    await _write(client.notes_add(item.number, content, call_id))


async def deliver_update(client: DeepCallClient, store: LocalStore, item: OutboxItem,
                         save: Save) -> Delivered | Returned:
    try:
        current = await client.directory_get_info(item.number)
    except DeepCallError as error:
        if error.code != NO_DATA_FOUND:
            raise
        return Returned(save.drafts(list(save.contactinfo)), DELETED)
    return await _write_checked(client, store, item, save, current, create=False)


async def deliver_create(client: DeepCallClient, store: LocalStore, item: OutboxItem,
                         save: Save) -> Delivered | Returned:
    """Create, unless the contact exists (an earlier try that arrived unanswered, or a
    colleague): then it is an update of it, checked like any update."""
    try:
        current = await client.directory_get_info(item.number)
    except DeepCallError as error:
        if error.code != NO_DATA_FOUND:
            raise
        store.outbox_sending(item.id)
        try:
            await _write(client.directory_create(item.number, save.contactinfo))
        except Refused as refused:
            return _refusal(save, list(save.contactinfo), refused.error)
        return Delivered(dict(save.contactinfo))
    return await _write_checked(client, store, item, save, current, create=True)


async def _write_checked(client: DeepCallClient, store: LocalStore, item: OutboxItem,
                         save: Save, current: Mapping[str, object],
                         create: bool) -> Delivered | Returned:
    theirs = {key: _text(current.get(key)) for key in save.contactinfo}
    missing = [key for key in save.contactinfo if theirs[key] != save.contactinfo[key]]
    conflicts = [key for key in missing if theirs[key] != save.base.get(key, "").strip()]
    if conflicts:
        # Every edit not yet in DeepCall goes back, so one Save after the agent's choice
        # sends them together; those in conflict carry DeepCall's value and the question.
        return Returned(save.drafts(missing, {k: theirs[k] for k in conflicts},
                                    dict.fromkeys(conflicts, CONFLICT)), "")
    if missing:
        store.outbox_sending(item.id)
        try:
            await _write(client.directory_update(
                item.number, {key: save.contactinfo[key] for key in missing}))
        except Refused as refused:
            if refused.error.code == NO_DATA_FOUND and not create:
                return Returned(save.drafts(missing), DELETED)
            return _refusal(save, missing, refused.error)
    return Delivered(dict(save.contactinfo))


def _refusal(save: Save, keys: list[str], error: DeepCallError) -> Returned:
    """DeepCall's no, next to the field its message names, else above the form."""
    named = [key for key in keys if re.search(rf"\b{re.escape(key)}\b", error.server_message)]
    if not named:
        return Returned(save.drafts(keys), error.user_message)
    words = error.server_message.strip()[:200]
    return Returned(save.drafts(keys, errors=dict.fromkeys(
        named, f"DeepCall refused this value: {words}.")), "")


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()
