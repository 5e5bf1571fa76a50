"""Notes reach the right call of the right account once (review of issue 10, findings 5, 8,
11, 12 and 13): the same words on another call are another note, an item is never sent
with another account, a gateway's 502/504 may mean "arrived", and a note waits on the call
it was written during, not the latest call when it finally leaves."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from app.api.auth import TokenAuth
from app.api.errors import ApiGroup, DeepCallError, ServerError
from app.sandbox.accounts import ALT_TOKEN, ALT_USER_ID
from app.sandbox.server import SandboxServer
from app.services import outbox_outcomes
from app.services.outbox import ANOTHER_ACCOUNT, NoteTarget
from app.services.outbox_delivery import MayHaveArrived, Refused, _write
from tests.fixtures.qt_async import wait_signal, wait_until
from tests.services.outbox_parts import KNOWN, UNKNOWN, client_for, outbox_parts


def _notes_added(sandbox: SandboxServer) -> list[dict[str, object]]:
    return [r.body for r in sandbox.requests() if r.action == "notesAdd"]  # type: ignore[misc]


def test_the_same_words_for_a_second_call_are_a_second_note(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            sandbox.set_faults("http503")  # DeepCall away all morning
            first = parts.outbox.add_note(NoteTarget(KNOWN), "No answer, call back later")
            # ...an hour later the same caller, the same words, another call
            second = parts.outbox.add_note(NoteTarget(KNOWN, "call-2"),
                                           "No answer, call back later")
            await wait_until(lambda: not parts.outbox.busy, 10)
            assert second != first
            assert len(parts.store.outbox_items("note")) == 2

    run_async(scenario())


def test_a_note_queued_under_one_account_waits_for_it_and_never_goes_to_another(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            sandbox.set_faults("http503")
            note = parts.outbox.add_note(NoteTarget(KNOWN), "for the demo company")
            await wait_until(lambda: not parts.outbox.busy, 10)
            sandbox.clear_faults()
            # The desk's next agent signs in to another DeepCall account in Settings.
            _, _, reason = await wait_signal(parts.outbox.noteHeld, timeout=10, trigger=lambda:
                                             parts.account.switch_to(client_for(
                                                 sandbox.base_url,
                                                 TokenAuth(ALT_USER_ID, ALT_TOKEN))))
            assert reason == ANOTHER_ACCOUNT
            await wait_until(lambda: not parts.outbox.busy, 10)
            assert parts.outbox.counts() == (0, 1)
            assert not [b for b in _notes_added(sandbox) if b.get("userId") == ALT_USER_ID]
            # Back on the account it was typed under: it goes by itself.
            sent = await wait_signal(parts.outbox.noteSent, timeout=10, trigger=lambda:
                                     parts.account.switch_to(client_for(sandbox.base_url)))
            assert sent[0] == note
            assert [b["content"] for b in _notes_added(sandbox)] == ["for the demo company"]

    run_async(scenario())


def test_a_note_answered_by_a_gateways_502_is_held_not_resent(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            sandbox.set_faults("http502@notesAdd*1")
            _, _, reason = await wait_signal(parts.outbox.noteHeld, timeout=10, trigger=lambda:
                                             parts.outbox.add_note(NoteTarget(KNOWN), "504?"))
            assert "HTTP 502" in reason
            parts.outbox.deepcall_answered()
            await wait_until(lambda: not parts.outbox.busy)
            assert len(_notes_added(sandbox)) == 1
            assert parts.outbox.counts() == (0, 1)

    run_async(scenario())


async def _raising(error: Exception) -> None:
    raise error


@pytest.mark.parametrize(("error", "meaning"), [
    (ServerError(504, "gateway timeout"), MayHaveArrived),
    (ServerError(502, "bad gateway"), MayHaveArrived),
    (ServerError(503, "unavailable"), ServerError),  # not taken: sent again later
    (DeepCallError(1010, "Error in DB connect", ApiGroup.DIRECTORY), DeepCallError),
    (DeepCallError(1009, "Something went wrong", ApiGroup.DIRECTORY), DeepCallError),
    (DeepCallError(1000, "Invalid parameter", ApiGroup.DIRECTORY), Refused),
])
def test_what_a_failed_write_means(run_async: Callable[[Awaitable[Any]], Any],
                                   error: Exception, meaning: type[Exception]) -> None:
    with pytest.raises(meaning) as raised:
        run_async(_write(_raising(error)))
    assert type(raised.value) is meaning


def test_a_note_waits_on_the_call_it_was_written_during_not_a_later_one(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with client_for(sandbox.base_url) as client:
            latest, during, *_ = await client.recent_calls(KNOWN)
        assert latest.start_time is not None
        assert during.start_time is not None
        written = during.start_time.timestamp() + 30  # during the older call
        assert written < latest.start_time.timestamp()  # the caller rang again since
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            sandbox.set_faults("http503")
            item = parts.outbox.add_note(NoteTarget(KNOWN), "said during the first call")
            await wait_until(lambda: not parts.outbox.busy, 10)
            parts.store._db.execute("UPDATE outbox SET created = ? WHERE id = ?",
                                    (written, item))
            sandbox.clear_faults()
            await wait_signal(parts.outbox.noteSent, timeout=10,
                              trigger=parts.outbox.retry_all)
        assert [n.call_id for n in sandbox.notes(KNOWN[1:])
                if n.content == "said during the first call"] == [during.call_id]

    run_async(scenario())


def test_a_note_for_a_number_without_any_call_is_handed_to_the_agent_in_the_end(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox_outcomes, "NO_CALL_TRIES", 3)

    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path,
                                backoff=lambda _n: 0.05) as parts:
            _, _, reason = await wait_signal(parts.outbox.noteHeld, timeout=10, trigger=lambda:
                                             parts.outbox.add_note(NoteTarget(UNKNOWN), "hi"))
            assert "lists no call with this number" in reason
            assert "tried 3 times" in reason
            assert parts.outbox.counts() == (0, 1)
            assert _notes_added(sandbox) == []

    run_async(scenario())
