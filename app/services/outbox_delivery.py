"""How each kind of outbox item reaches DeepCall: one function per kind.

A function returns what happened (a save: ``Delivered`` or ``Returned`` to the drafts) or
raises: ``MayHaveArrived`` (the write left and no answer says whether DeepCall has it),
``Refused`` (DeepCall said no to a note, in its own words) or any other ``DeepCallApiError``
(not sent, or not taken for now: the item waits and is tried again). The outbox decides what
each means for the item; nothing here keeps state.

A save is never written blindly: Directory ``getInfo`` first. Per edited key, DeepCall's value
equal to ours is already there, equal to the value the agent started from (``base``) is
written, anything else is a change made meanwhile by someone else: a conflict the agent
decides, never overwritten. A key getInfo's answer leaves out is asked for alone
(``field=<key>``): DeepCall's value is then compared the same way, its refusal (no field of
this account) sits next to the field, and a key it still does not show is not written.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, TypeVar, cast

from app.api.client import DeepCallClient
from app.api.errors import (
    BadResponse,
    DeepCallApiError,
    DeepCallError,
    ServerError,
    TransportError,
)
from app.api.models import RecentCall
from app.core.caller_id import is_withheld_key
from app.core.contact import FieldValue
from app.core.contact_view import display_text
from app.services.store import FieldDraft, LocalStore, OutboxItem

T = TypeVar("T")

# The callerNumber of a note on a withheld caller's call: DeepCall files such calls under it;
# the call id says which call (the app's own key for the caller never leaves the app).
WITHHELD_CALLER_NUMBER: Final = "anonymous"

# Codes that say "not now" rather than "no": the sign-in (a token that expired mid-shift) and
# DeepCall's own internal trouble (1009 "something went wrong", 1010 "error in DB connect").
# The item waits for a working account or a better moment.
NOT_NOW_CODES: Final = frozenset({1002, 1009, 1010, 1014, 1020, 1032, 1039})
# A gateway's "the server behind me did not answer (in time)": DeepCall may have handled the
# request all the same. 503 ("unavailable") is a refusal to take it: not sent.
GATEWAY_STATUSES: Final = frozenset({502, 504})
NO_DATA_FOUND: Final = 1012
NOT_A_FIELD: Final = 1000  # getInfo for one field: "not a field of this account"
MAY_HAVE_ARRIVED: Final = ("This note may already be in DeepCall: the connection broke after "
                           "it was sent. Check the call's notes in DeepCall, then send it "
                           "again or discard it.")
GATEWAY_MAY_HAVE: Final = ("This note may already be in DeepCall: a gateway answered for it "
                           "(HTTP {status}) without saying whether DeepCall took it. Check the "
                           "call's notes in DeepCall, then send it again or discard it.")
CONFLICT: Final = "Changed in DeepCall meanwhile: keep yours or use DeepCall's."
UNKNOWN_VALUE: Final = ("Not saved: DeepCall's directory did not show this field's current "
                        "value, so writing yours could overwrite a newer one. Check the "
                        "contact in DeepCall.")
DELETED: Final = ("This contact is no longer in DeepCall's directory (deleted meanwhile). Your "
                  "changes are kept here; look the caller up again to add them as new.")


class MayHaveArrived(DeepCallApiError):
    """The write left; whether DeepCall took it is unknown (no answer, or an unreadable one)."""


class NoCallYet(DeepCallApiError):
    """A note without a call id, and DeepCall lists no call with the number to attach it to."""


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
    except ServerError as error:
        if error.status_code in GATEWAY_STATUSES:
            raise MayHaveArrived(GATEWAY_MAY_HAVE.format(status=error.status_code),
                                 error.detail) from None
        raise


def call_for_note(calls: Sequence[RecentCall], written_at: float) -> str | None:
    """The call a note written at ``written_at`` (Unix time) belongs to: the caller's latest
    call that began before it, not one that began while the note waited to be sent.

    DeepCall lists start times in the account's local time, read as this computer's. Without
    any start time: the latest call listed. Every call later than the note (the two clocks
    disagree): the earliest listed, the nearest to the note.
    """
    timed = sorted((c.start_time.timestamp(), c.call_id) for c in calls
                   if c.start_time is not None and c.call_id)
    if not timed:
        return next((c.call_id for c in calls if c.call_id), None)
    before = [call_id for started, call_id in timed if started <= written_at]
    return before[-1] if before else timed[0][1]


async def deliver_note(client: DeepCallClient, store: LocalStore, item: OutboxItem) -> None:
    content = item.payload.get("content")
    assert isinstance(content, str)
    call_id = item.call_id
    withheld = is_withheld_key(item.number)
    if call_id is None and withheld:
        # No number to ask DeepCall which call it was: never asked (nothing is looked up).
        raise NoCallYet("The caller withheld their number and no call id came with the "
                        "call, so DeepCall has no call to attach this note to.")
    if call_id is None:
        call_id = call_for_note(await client.recent_calls(item.number), item.created)
        if not call_id:
            raise NoCallYet(
                "The note could not be attached: DeepCall lists no call with this number "
                "yet. It is kept and will be sent when you retry.")
        store.set_outbox_call_id(item.id, call_id)
    store.outbox_sending(item.id)
    caller = WITHHELD_CALLER_NUMBER if withheld else item.number
    await _write(client.notes_add(caller, content, call_id))


async def deliver_update(client: DeepCallClient, store: LocalStore, item: OutboxItem,
                         save: Save) -> Delivered | Returned:
    current = await _current(client, item, save)
    if isinstance(current, Returned):
        return current
    if not current:
        return Returned(save.drafts(list(save.contactinfo)), DELETED)
    return await _write_checked(client, store, item, save, current, create=False)


async def deliver_create(client: DeepCallClient, store: LocalStore, item: OutboxItem,
                         save: Save) -> Delivered | Returned:
    """Create, unless the contact exists (an earlier try that arrived unanswered, or a
    colleague): then it is an update of it, checked like any update."""
    current = await _current(client, item, save)
    if isinstance(current, Returned):
        return current
    if not current:
        store.outbox_sending(item.id)
        try:
            await _write(client.directory_create(item.number, save.contactinfo))
        except Refused as refused:
            return _refusal(save, list(save.contactinfo), refused.error)
        return Delivered(dict(save.contactinfo))
    return await _write_checked(client, store, item, save, current, create=True)


async def _current(client: DeepCallClient, item: OutboxItem,
                   save: Save) -> Mapping[str, object] | Returned:
    """DeepCall's directory entry now ({} when it has none), or the save returned to the
    drafts when DeepCall refuses to say (an invalid number: no retry will change that)."""
    try:
        return await client.directory_get_info(item.number)
    except DeepCallError as error:
        if error.code == NO_DATA_FOUND:
            return {}  # the same as an empty success: no contact with this number
        if error.code in NOT_NOW_CODES:
            raise
        return _refusal(save, list(save.contactinfo), error)


async def _asked_one_by_one(client: DeepCallClient, number: str, current: Mapping[str, object],
                            keys: list[str]) -> tuple[dict[str, object], dict[str, str]]:
    """``current`` completed with the keys its answer left out, asked for one at a time
    (``field=<key>``), and DeepCall's refusals of such a key (not a field of this account),
    key -> the reason. A key DeepCall still does not show stays out: unknown."""
    found, refused = dict(current), {}
    for key in keys:
        if key in found:
            continue
        try:
            answer = await client.directory_get_info(number, key)
        except DeepCallError as error:
            if error.code == NOT_A_FIELD:
                refused[key] = _refused_value(error)
            elif error.code in NOT_NOW_CODES:
                raise
            continue
        if key in answer:
            found[key] = answer[key]
    return found, refused


async def _write_checked(client: DeepCallClient, store: LocalStore, item: OutboxItem,
                         save: Save, current: Mapping[str, object],
                         create: bool) -> Delivered | Returned:
    # A key missing from the answer is unknown, not empty: DeepCall may hold anything there.
    # Asked for alone, DeepCall may show it, or say it is no field of this account.
    current, no_field = await _asked_one_by_one(client, item.number, current,
                                                list(save.contactinfo))
    theirs = {key: _text(current[key]) for key in save.contactinfo if key in current}
    unknown = [key for key in save.contactinfo if key not in theirs and key not in no_field]
    missing = [key for key in save.contactinfo if theirs.get(key) != save.contactinfo[key]]
    conflicts = [key for key in missing
                 if key in theirs and theirs[key] != save.base.get(key, "").strip()]
    if conflicts or unknown or no_field:
        # Every edit not yet in DeepCall goes back, so one Save after the agent's choice
        # sends them together; those in conflict carry DeepCall's value and the question.
        return Returned(save.drafts(missing, {k: theirs[k] for k in conflicts},
                                    {**dict.fromkeys(unknown, UNKNOWN_VALUE),
                                     **dict.fromkeys(conflicts, CONFLICT), **no_field}), "")
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
    named = [key for key in keys if re.search(rf"\b{re.escape(key)}\b", error.server_message,
                                              re.IGNORECASE)]
    if not named:
        return Returned(save.drafts(keys), error.user_message)
    return Returned(save.drafts(keys, errors=dict.fromkeys(named, _refused_value(error))), "")


def _refused_value(error: DeepCallError) -> str:
    return f"DeepCall refused this value: {error.server_message.strip()[:200]}."


def _text(value: object) -> str:
    """DeepCall's value as the form shows it (42.0 -> "42", true -> "yes"): compared with the
    form's base, anything else would be a false conflict."""
    return display_text(cast(FieldValue, value)).strip()
