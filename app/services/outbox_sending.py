"""Sending one outbox item: in its caller's turn, by its kind, through the account's client.

An item is sent at most once at a time, one after another per caller (a create before the
update typed after it). The ``sending`` mark on the disk is the authority at every try, not
only at start-up: a note that carries it is held, never sent again. An item belongs to the
DeepCall account it was queued under: another account never sends it (it is held until the
agent switches back or discards it). What each try ends in is ``Outcomes``'s to record and say.
"""

from __future__ import annotations

import asyncio
import time
from typing import Final

from app.api.client import DeepCallClient
from app.services.account import Account
from app.services.errors import NotConfigured
from app.services.outbox_delivery import (
    Delivered,
    MayHaveArrived,
    Refused,
    Returned,
    Save,
    deliver_create,
    deliver_note,
    deliver_update,
)
from app.services.outbox_kinds import CREATE, NOTE, SAVE_KINDS, behind_older_saves, sendable
from app.services.outbox_outcomes import Outcomes
from app.services.outbox_retry import RetryTimer
from app.services.outbox_unrecorded import UnrecordedWrites
from app.services.store import LocalStore, OutboxItem

INTERRUPTED: Final = ("This note may already be in DeepCall: the app stopped while sending it. "
                      "Check the call's notes in DeepCall, then send it again or discard it.")
ANOTHER_ACCOUNT: Final = ("Queued under another DeepCall account: switch back to send it, or "
                          "discard it.")


class ItemSender:
    """Tries one item at a time per caller: first the outcome the store could not record
    yet, then DeepCall, through the client of the account the item belongs to."""

    def __init__(self, store: LocalStore, account: Account, retry_timer: RetryTimer,
                 unrecorded: UnrecordedWrites, outcomes: Outcomes) -> None:
        self._store = store
        self._account = account
        self._retry_timer = retry_timer
        self._unrecorded = unrecorded
        self._outcomes = outcomes
        self._per_caller: dict[str, tuple[asyncio.Lock, int]] = {}  # lock, tasks using it

    async def send_in_turn(self, item_id: int) -> bool:
        """Try ``item_id`` once its caller's earlier items are done; True when DeepCall took
        it (DeepCall takes writes again: what waits may go too)."""
        item = self._store.outbox_item(item_id)
        if item is None:
            return False
        lock, users = self._per_caller.get(item.number, (asyncio.Lock(), 0))
        self._per_caller[item.number] = (lock, users + 1)
        try:
            async with lock:  # FIFO: a caller's items leave in the order they were queued
                return await self._send_now(item_id)
        finally:
            lock, users = self._per_caller[item.number]
            if users > 1:
                self._per_caller[item.number] = (lock, users - 1)
            else:
                del self._per_caller[item.number]

    async def _send_now(self, item_id: int) -> bool:
        pending = self._unrecorded.take(item_id)
        if pending is not None and (not self._unrecorded.record(item_id, pending)
                                    or not pending.resend):
            self._outcomes.say_counts()
            return False
        item = self._store.outbox_item(item_id)
        if item is None or item.held or not sendable(item):
            self._outcomes.forget(item_id)
            return False  # already delivered by an earlier try, held, or not ours to send
        if self._behind_older_save(item):
            # The older save first; this one is due once it has left (``Outbox._waiting``).
            self._outcomes.waits_behind(item)
            return False
        # Whatever happens below, the timer never tries it again at once.
        self._retry_timer.not_at_once(item_id)
        started = time.perf_counter()
        if item.kind == NOTE and item.sending:
            # Its request may have left (in this run, when recording the outcome failed, or
            # in one that was killed): never sent again blindly.
            self._outcomes.hold(item, INTERRUPTED, started)
            self._outcomes.say_counts()  # once per try, as at the end of one
            return False
        try:
            await self._account.wait_loaded()
            client = self._account.client
            if client is None:
                raise NotConfigured(self._account.not_configured_message())
            if not self._belongs_to(item, client):
                self._outcomes.hold(item, ANOTHER_ACCOUNT, started)
                self._outcomes.say_counts()  # once per try, as at the end of one
                return False
            if item.kind == NOTE:
                await deliver_note(client, self._store, item)
                outcome: Delivered | Returned | None = None
            else:
                save = Save.of(item)
                assert save is not None
                deliver = deliver_create if item.kind == CREATE else deliver_update
                outcome = await deliver(client, self._store, item, save)
        except asyncio.CancelledError:
            raise
        except (MayHaveArrived, Refused) as exc:
            self._outcomes.not_sure(item, exc, started)
            delivered = False
        except Exception as exc:
            self._outcomes.failed(item, exc, started)
            delivered = False
        else:
            delivered = self._outcomes.done(item, outcome, started)
        self._outcomes.say_counts()
        return delivered

    def _belongs_to(self, item: OutboxItem, client: DeepCallClient) -> bool:
        if not item.account:  # queued without an account (or by an older version): claimed
            self._store.outbox_claim(item.id, client.account_key)
            return True
        return item.account == client.account_key

    def _behind_older_save(self, item: OutboxItem) -> bool:
        return item.kind in SAVE_KINDS and item.id in behind_older_saves(
            other for other in self._store.outbox_items(number=item.number) if not other.held)
