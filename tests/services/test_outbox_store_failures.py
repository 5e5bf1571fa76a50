"""The outbox when the store fails under it or the clock misleads it (review of issue 10,
findings 1, 2 and 9): a note DeepCall has is never sent again because its outcome could not
be written, the ``sending`` mark is honoured at every try, and no failure makes the outbox
retry in a tight loop or fall asleep."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.sandbox.server import SandboxServer
from app.services.outbox import MAX_WAIT_SECONDS, NoteTarget, Outbox, backoff_seconds
from app.services.outbox_retry import LAST_RETRY_SECONDS
from app.services.store import LocalStore
from tests.fixtures.doubles import FixedAccount
from tests.fixtures.qt_async import wait_signal, wait_until
from tests.services.outbox_parts import KNOWN, client_for, outbox_parts


def _actions(sandbox: SandboxServer, action: str) -> int:
    return sum(1 for r in sandbox.requests() if r.action == action)


def _notes(sandbox: SandboxServer, text: str) -> int:
    return sum(1 for n in sandbox.notes(KNOWN[1:]) if n.content == text)


def _fails_first(real: Callable[..., None], times: int = 1) -> Callable[..., None]:
    """``real``, raising "disk full" the first ``times`` calls (then the disk has room)."""
    left = [times]

    def write(*args: object, **kwargs: object) -> None:
        if left[0] > 0:
            left[0] -= 1
            raise sqlite3.OperationalError("database or disk is full")
        real(*args, **kwargs)

    return write


def _next_try_in(outbox: Outbox) -> float:
    """Seconds until the retry timer fires (the outbox's only way to try again by itself)."""
    assert outbox._retry_timer.isActive()
    return outbox._retry_timer.remainingTime() / 1000


def test_backoff_never_raises_however_many_attempts() -> None:
    for attempts in (1025, 10**6):
        assert backoff_seconds(attempts, lambda: 0.5) == LAST_RETRY_SECONDS


def test_an_item_that_failed_1024_times_is_not_retried_in_a_tight_loop(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    store = LocalStore.in_profile(tmp_path)
    item = store.enqueue("note", KNOWN, {"content": "weekend"}, "any-call")
    store._db.execute("UPDATE outbox SET attempts = 1024 WHERE id = ?", (item,))
    store.close()

    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            sandbox.set_faults("http503@notesAdd")  # DeepCall still failing on Monday
            parts.outbox.retry_all()
            await wait_until(lambda: parts.store.outbox_items()[0].attempts == 1025
                             and not parts.outbox.busy, 10)
            assert _next_try_in(parts.outbox) >= 0.8 * LAST_RETRY_SECONDS - 1  # not at once
            assert _actions(sandbox, "notesAdd") == 1

    run_async(scenario())


def test_a_note_is_not_sent_twice_when_recording_its_delivery_fails(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path,
                                backoff=lambda _n: 0.2) as parts:
            monkeypatch.setattr(parts.store, "outbox_delivered",
                                _fails_first(parts.store.outbox_delivered))
            await wait_signal(parts.outbox.noteSent, timeout=10, trigger=lambda:
                              parts.outbox.add_note(NoteTarget(KNOWN), "only once please"))
            # The store has room again: the delivery is recorded, the note is not resent.
            await wait_until(lambda: parts.store.outbox_items() == [], 10)
            parts.outbox.deepcall_answered()
            await wait_until(lambda: not parts.outbox.busy)
            assert _notes(sandbox, "only once please") == 1
            assert _actions(sandbox, "notesAdd") == 1

    run_async(scenario())


def test_a_note_whose_hold_could_not_be_recorded_is_never_resent(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path,
                                backoff=lambda _n: 0.2) as parts:
            monkeypatch.setattr(parts.store, "outbox_hold",
                                _fails_first(parts.store.outbox_hold))
            sandbox.set_faults("drop_after@notesAdd*1")  # handled, then no answer
            await wait_signal(parts.outbox.noteHeld, timeout=10, trigger=lambda:
                              parts.outbox.add_note(NoteTarget(KNOWN), "arrived unanswered"))
            await wait_until(lambda: parts.outbox.counts() == (0, 1), 10)  # held on the disk
            parts.outbox.deepcall_answered()
            await wait_until(lambda: not parts.outbox.busy)
            assert _actions(sandbox, "notesAdd") == 1

    run_async(scenario())


def test_a_mid_send_note_is_held_even_if_the_start_check_failed(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    store = LocalStore.in_profile(tmp_path)
    note = store.enqueue("note", KNOWN, {"content": "left mid-send"}, "any-call")
    store.outbox_sending(note)
    store.close()

    def locked(*_a: object) -> list[int]:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(LocalStore, "outbox_interrupted", locked)

    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            _, _, reason = await wait_signal(parts.outbox.noteHeld, timeout=10,
                                             trigger=parts.outbox.retry_all)
            assert "may already be in DeepCall" in reason
            await wait_until(lambda: not parts.outbox.busy)
            assert _actions(sandbox, "notesAdd") == 0
            assert parts.outbox.counts() == (0, 1)

    run_async(scenario())


def test_a_full_disk_does_not_spin_the_outbox(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            parts.store.enqueue("note", KNOWN, {"content": "y"}, "c")  # before the disk filled
            tries: list[int] = []

            def full(*_a: object, **_k: object) -> None:
                tries.append(1)
                raise sqlite3.OperationalError("database or disk is full")

            monkeypatch.setattr(parts.store, "outbox_sending", full)
            monkeypatch.setattr(parts.store, "outbox_failed", full)
            parts.outbox.retry_all()
            await wait_until(lambda: len(tries) >= 2 and not parts.outbox.busy, 10)
            assert _next_try_in(parts.outbox) >= 3.0  # a backoff, not thousands of tries
            assert len(tries) == 2  # its mark, then the failed attempt: both refused
            assert _actions(sandbox, "notesAdd") == 0  # it never left without its mark

    run_async(scenario())


def test_a_next_attempt_planned_by_a_clock_since_set_back_is_due_now(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    store = LocalStore.in_profile(tmp_path)
    item = store.enqueue("note", KNOWN, {"content": "clock went back"})
    # Written while the computer's clock said 30 days later; NTP has since put it right.
    store.outbox_failed(item, "503", time.time() + 30 * 86400)
    store.close()

    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            parts.outbox._arm()  # what the start (its first send) does
            assert parts.outbox._retry_timer.remainingTime() <= MAX_WAIT_SECONDS * 1000
            await wait_signal(parts.outbox.noteSent, timeout=10)
            assert _notes(sandbox, "clock went back") == 1

    run_async(scenario())


def test_a_clock_set_back_during_a_backoff_does_not_stop_the_retries(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    shift = [0.0]

    def wall() -> float:
        return time.time() - shift[0]

    async def scenario() -> None:
        store = LocalStore.in_profile(tmp_path)
        account = FixedAccount(client_for(sandbox.base_url))
        outbox = Outbox(store, account, backoff=lambda _n: 0.3, clock=wall)
        sandbox.set_faults("http503@notesAdd*1")
        await wait_signal(outbox.noteFailed, timeout=10, trigger=lambda:
                          outbox.add_note(NoteTarget(KNOWN), "after NTP"))
        shift[0] = 200.0  # the clock goes back 200 s (less than any cap) during the wait
        await wait_signal(outbox.noteSent, timeout=10)
        await outbox.shutdown()
        await account.aclose()
        store.close()

    run_async(scenario())


def test_a_backlog_drains_without_reading_the_whole_outbox_after_each_send(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    store = LocalStore.in_profile(tmp_path)
    for index in range(20):  # queued while DeepCall was away
        store.enqueue("note", KNOWN, {"content": f"backlog {index}"})
    store.close()
    reads: list[object] = []

    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            for name in ("outbox_unheld", "outbox_items"):
                real = getattr(parts.store, name)

                def read(*args: Any, _real: Any = real, **kwargs: Any) -> Any:
                    if "number" not in kwargs and len(args) < 2:
                        reads.append(args)  # a read of every queued item (of some kinds)
                    return _real(*args, **kwargs)

                monkeypatch.setattr(parts.store, name, read)
            parts.outbox.retry_all()
            await wait_until(lambda: parts.outbox.counts() == (0, 0)
                             and not parts.outbox.busy, 20)

    run_async(scenario())
    assert sum(1 for n in sandbox.notes(KNOWN[1:]) if n.content.startswith("backlog")) == 20
    # retry_all's read, and one when the burst has ended (it finds nothing left to send, so
    # there is no timer to plan): not one per note sent, nor a second look at the end.
    assert len(reads) == 2, reads
