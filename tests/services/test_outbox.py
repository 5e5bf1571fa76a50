"""The outbox against the real sandbox over loopback HTTP: a note is stored first, sent once,
kept on any failure, and sent again when a working account appears."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.api.client import DeepCallClient
from app.sandbox.faults import Fault, FaultKind
from app.sandbox.server import SandboxServer
from app.services.note_drafts import NoteDrafts
from app.services.outbox import INTERRUPTED, NOTE, NoteTarget, note_text
from app.services.store import DATABASE_FILE_NAME, LocalStore
from tests.fixtures.qt_async import wait_signal, wait_until
from tests.fixtures.store_files import corrupt_after_the_first_note
from tests.services.pop_parts import DEMO_AUTH, PopParts, pop_parts

KNOWN = "+919876543210"  # Aarav Mehta, with recent calls
PLAIN = "+919988776655"


async def _popped(parts: PopParts, number: str, call_id: str | None = None) -> None:
    await wait_signal(parts.coordinator.contactFound,
                      trigger=lambda: parts.pop(number, call_id))
    await wait_until(lambda: not parts.coordinator.busy)


def _stored(sandbox: SandboxServer, text: str) -> list[str]:
    """The call ids DeepCall filed ``text`` under, for KNOWN."""
    return [n.call_id for n in sandbox.notes(KNOWN[1:]) if n.content == text]


def test_note_kept_in_the_outbox_on_failure_and_sent_on_retry(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with pop_parts(sandbox.base_url, tmp_path) as parts:
            await _popped(parts, KNOWN)
            latest_call = parts.coordinator.current.recent_calls[0].call_id  # type: ignore[union-attr]
            sandbox.set_faults(Fault(FaultKind.HTTP_503, action="notesAdd"))

            text = "Wants the renewal quote by Friday"
            note_id, number, message = await wait_signal(
                parts.outbox.noteFailed, timeout=10, trigger=lambda: parts.add_note(text))
            assert number == KNOWN
            assert "kept" in message
            assert _stored(sandbox, text) == []
            # The note survives a restart of the app: it is in the database on disk.
            reopened = LocalStore.in_profile(tmp_path)
            [pending] = reopened.outbox_items()
            assert (pending.id, pending.kind, note_text(pending), pending.call_id) == (
                note_id, NOTE, text, latest_call)
            assert pending.attempts == 1
            reopened.close()

            sandbox.clear_faults()
            sent = await wait_signal(parts.outbox.noteSent, timeout=10,
                                     trigger=parts.outbox.retry_all)
            assert sent == (note_id, KNOWN, text)
            assert parts.store.outbox_items() == []
            assert _stored(sandbox, text) == [latest_call]

    run_async(scenario())


def test_note_uses_the_call_id_from_the_pop_event(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with pop_parts(sandbox.base_url, tmp_path) as parts:
            assert parts.client is not None
            calls = await parts.client.recent_calls(KNOWN)
            older_call = calls[-1].call_id
            assert older_call != calls[0].call_id
            await _popped(parts, KNOWN, call_id=older_call)
            await wait_signal(parts.outbox.noteSent, timeout=10,
                              trigger=lambda: parts.add_note("From the pop event"))
            assert _stored(sandbox, "From the pop event") == [older_call]

    run_async(scenario())


def test_a_note_without_a_known_call_asks_deepcall_for_the_latest_call(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with pop_parts(sandbox.base_url, tmp_path) as parts:
            assert parts.client is not None
            latest = (await parts.client.recent_calls(KNOWN))[0].call_id
            sandbox.clear_requests()
            await wait_signal(parts.outbox.noteSent, timeout=10, trigger=lambda:
                              parts.outbox.add_note(NoteTarget(KNOWN), "Called from the list"))
            assert [r.action for r in sandbox.requests()] == ["recentCalls", "notesAdd"]
            assert _stored(sandbox, "Called from the list") == [latest]

    run_async(scenario())


def test_a_rejected_note_stays_in_the_outbox_held_for_the_agent(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    # Issue 10: a note DeepCall refused is held (not retried blindly) with DeepCall's reason.
    async def scenario() -> None:
        async with pop_parts(sandbox.base_url, tmp_path) as parts:
            await _popped(parts, KNOWN, call_id="not-a-call-of-this-number")
            _, _, message = await wait_signal(parts.outbox.noteFailed, timeout=10,
                                              trigger=lambda: parts.add_note("kept"))
            assert "DeepCall" in message
            assert [note_text(i) for i in parts.store.outbox_items()] == ["kept"]
            assert [note_text(i) for i in parts.outbox.held_items()] == ["kept"]
            assert parts.outbox.retry_all() == []

    run_async(scenario())


def test_retry_sending_a_failed_note_sends_that_note_not_a_copy(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    # "Retry sending note" names the note noteFailed reported: the outbox must send the kept
    # note, not keep a second copy of it (which would reach DeepCall twice).
    async def scenario() -> None:
        async with pop_parts(sandbox.base_url, tmp_path) as parts:
            await _popped(parts, KNOWN)
            sandbox.set_faults(Fault(FaultKind.HTTP_503, action="notesAdd"))
            first, _, _ = await wait_signal(parts.outbox.noteFailed, timeout=10,
                                            trigger=lambda: parts.add_note("Call back at 5"))
            sandbox.clear_faults()
            target = parts.coordinator.note_target()
            assert target is not None
            again = await wait_signal(parts.outbox.noteSent, timeout=10, trigger=lambda:
                                      parts.outbox.add_note(target, "  Call back at 5 ",
                                                            again=first))
            assert again[0] == first
            assert parts.store.outbox_items() == []
            assert len(_stored(sandbox, "Call back at 5")) == 1

    run_async(scenario())


def test_retrying_while_a_note_is_in_flight_sends_it_once(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with pop_parts(sandbox.base_url, tmp_path) as parts:
            await _popped(parts, KNOWN)
            sandbox.set_faults(Fault(FaultKind.LATENCY, action="notesAdd", ms=300))
            note_id = parts.add_note("only once, please")
            assert parts.outbox.retry_all() == []
            (sent_id, _, _) = await wait_signal(parts.outbox.noteSent, timeout=10)
            assert sent_id == note_id
            await wait_until(lambda: not parts.outbox.busy)
            assert len(_stored(sandbox, "only once, please")) == 1

    run_async(scenario())


def test_a_note_without_an_account_waits_and_goes_when_one_is_set_up(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with pop_parts(None, tmp_path) as parts:
            _, _, message = await wait_signal(
                parts.outbox.noteFailed, timeout=10,
                trigger=lambda: parts.outbox.add_note(NoteTarget(KNOWN), "Before set-up"))
            assert "Settings" in message
            assert len(parts.store.outbox_items()) == 1
            client = DeepCallClient(sandbox.base_url, DEMO_AUTH)
            # Saving Settings gives the account a client: what waits is sent at once.
            sent = await wait_signal(parts.outbox.noteSent, timeout=10,
                                     trigger=lambda: parts.account.switch_to(client))
            assert sent[1:] == (KNOWN, "Before set-up")
            assert parts.store.outbox_items() == []

    run_async(scenario())


def test_a_note_in_flight_when_the_account_changes_finishes_on_the_old_client(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    # The old client is closed only once the note running on it has ended: closing it at
    # once would fail the note with "the client has been closed" and risk a resend.
    async def scenario() -> None:
        async with pop_parts(sandbox.base_url, tmp_path) as parts:
            await _popped(parts, KNOWN)
            old = parts.client
            assert old is not None
            sandbox.set_faults(Fault(FaultKind.LATENCY, action="notesAdd", ms=400))
            parts.add_note("Across the switch")
            await wait_until(lambda: any(r.action == "notesAdd" for r in sandbox.requests()))
            new = DeepCallClient(sandbox.base_url, DEMO_AUTH)
            sent = await wait_signal(parts.outbox.noteSent, timeout=10,
                                     trigger=lambda: parts.account.switch_to(new))
            assert sent[2] == "Across the switch"
            await wait_until(lambda: old.is_closed)
            assert len(_stored(sandbox, "Across the switch")) == 1
            assert not new.is_closed

    run_async(scenario())


def test_drafts_stay_with_their_caller_and_never_duplicate_a_queued_note(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with pop_parts(sandbox.base_url, tmp_path) as parts:
            drafts = NoteDrafts(parts.store, parts.outbox)
            assert drafts.load(KNOWN) == ""
            drafts.save(KNOWN, "asked about the")
            drafts.save(PLAIN, "other caller")
            assert (drafts.load(KNOWN), drafts.load(PLAIN)) == ("asked about the",
                                                                "other caller")
            await _popped(parts, KNOWN)
            sandbox.set_faults(Fault(FaultKind.HTTP_503, action="notesAdd"))
            await wait_signal(parts.outbox.noteFailed, timeout=10,
                              trigger=lambda: parts.add_note("asked about the invoice"))
            assert drafts.load(KNOWN) == ""  # the note moved to the outbox with its draft
            # The same words kept as a draft too would come back once the note is delivered.
            drafts.save(KNOWN, "asked about the invoice")
            assert drafts.load(KNOWN) == ""
            drafts.save(KNOWN, "asked about the invoice and")
            assert drafts.load(KNOWN) == "asked about the invoice and"

    run_async(scenario())


def test_only_kinds_this_version_knows_are_ever_sent(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    # A row written by a newer version (another kind), or one whose payload cannot be read,
    # stays exactly as it is: never sent as something else, never deleted.
    async def scenario() -> None:
        async with pop_parts(sandbox.base_url, tmp_path) as parts:
            store = parts.store
            store.enqueue("directory_update", KNOWN, {"contactinfo": {"name": "Aarav M."}})
            store.enqueue(NOTE, KNOWN, {"text": "no content key"})
            note = store.enqueue(NOTE, KNOWN, {"content": "the real note"})
            sent = await wait_signal(parts.outbox.noteSent, timeout=10,
                                     trigger=parts.outbox.retry_all)
            assert sent[0] == note
            await wait_until(lambda: not parts.outbox.busy)
            assert [r.action for r in sandbox.requests()] == ["recentCalls", "notesAdd"]
            assert [item.kind for item in store.outbox_items()] == ["directory_update", NOTE]

    run_async(scenario())


def test_nothing_new_is_sent_after_shutdown(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with pop_parts(sandbox.base_url, tmp_path) as parts:
            await _popped(parts, KNOWN)
            await parts.outbox.shutdown()
            await parts.coordinator.shutdown()
            assert parts.outbox.add_note(NoteTarget(KNOWN), "too late") is None
            assert parts.outbox.retry_all() == []
            assert parts.pop(PLAIN) is False
            assert not parts.outbox.busy
            assert not parts.coordinator.busy
            assert not any(r.action == "notesAdd" for r in sandbox.requests())

    run_async(scenario())


def test_a_note_left_in_a_damaged_database_is_recovered_and_delivered(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    text = "Promised a call back before noon"
    corrupt_after_the_first_note(tmp_path / DATABASE_FILE_NAME, text, number=KNOWN)

    async def scenario() -> None:
        async with pop_parts(sandbox.base_url, tmp_path) as parts:
            [note] = parts.store.outbox_items(NOTE)
            sent = await wait_signal(parts.outbox.noteSent, timeout=10,
                                     trigger=parts.outbox.retry_all)
            assert sent == (note.id, KNOWN, text)
            assert parts.store.outbox_items(NOTE) == []
            assert len(_stored(sandbox, text)) == 1

    run_async(scenario())
    assert list(tmp_path.glob(DATABASE_FILE_NAME + ".damaged-*"))  # it was moved


@pytest.mark.parametrize("state", ["sending", "held"])
def test_a_note_that_may_be_in_deepcall_comes_back_held_from_a_damaged_database(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path,
        state: str) -> None:
    """Mid-send when the app stopped, or already held for the agent, in a file that then
    broke: recovered held (the agent decides), never queued to be sent blindly."""
    text = "Refund approved, reference 4471"
    reason = "DeepCall refused this note: the call is closed."
    corrupt_after_the_first_note(
        tmp_path / DATABASE_FILE_NAME, text, number=KNOWN,
        state=LocalStore.outbox_sending if state == "sending"
        else lambda store, note_id: store.outbox_hold(note_id, reason))

    async def scenario() -> None:
        async with pop_parts(sandbox.base_url, tmp_path) as parts:
            [note] = parts.outbox.held_items()
            assert note_text(note) == text
            assert note.held == (INTERRUPTED if state == "sending" else reason)
            assert parts.outbox.counts() == (0, 1)
            assert parts.outbox.retry_all() == []
            parts.outbox.deepcall_answered()
            await wait_until(lambda: not parts.outbox.busy)
            assert _stored(sandbox, text) == []

    run_async(scenario())
    assert list(tmp_path.glob(DATABASE_FILE_NAME + ".damaged-*"))  # it was recovered from
