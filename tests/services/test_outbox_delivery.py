"""The outbox against the sandbox over real HTTP when DeepCall goes away and comes back:
everything delivered exactly once, a note that may have arrived held (not resent), a create
or update that may have arrived checked with getInfo, backoff that sends by itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.api.auth import TokenAuth
from app.sandbox.accounts import DEMO_USER_ID, EXPIRED_TOKEN
from app.sandbox.server import SandboxServer
from app.services.outbox import CREATE, UPDATE, NoteTarget, Outbox, backoff_seconds
from app.services.store import LocalStore
from tests.fixtures.doubles import FixedAccount
from tests.fixtures.qt_async import wait_signal, wait_until
from tests.services.outbox_parts import KNOWN, PLAIN, UNKNOWN, client_for, outbox_parts

EMAIL = ("Cu", "Email")
NAME = ("Cu", "Name")


def _sent(sandbox: SandboxServer, action: str) -> list[Any]:
    return [r.body for r in sandbox.requests() if r.action == action]


def _notes(sandbox: SandboxServer, number: str, text: str) -> int:
    return sum(1 for n in sandbox.notes(number[1:]) if n.content == text)


def _save(parts: Any, number: str, kind: str, values: dict[str, str]) -> int:
    keys = {"name": NAME, "email": EMAIL}
    return int(parts.outbox.add_save(number, kind, values, dict.fromkeys(values, ""),
                                     {k: keys[k] for k in values}))


@pytest.mark.parametrize("outage", ["http503", "stopped"])
def test_deepcall_away_mid_shift_then_back_delivers_everything_once(
        run_async: Callable[..., Any], tmp_path: Path, outage: str) -> None:
    server = SandboxServer().start()
    port = server.port

    async def scenario() -> None:
        nonlocal server
        async with outbox_parts(server.base_url, tmp_path) as parts:
            if outage == "http503":
                server.set_faults("http503")
            else:
                server.stop()
            failures: list[tuple[Any, ...]] = []
            parts.outbox.noteFailed.connect(lambda *a: failures.append(a))
            parts.outbox.saveWaiting.connect(lambda *a: failures.append(a))
            parts.outbox.add_note(NoteTarget(KNOWN), "first note")
            parts.outbox.add_note(NoteTarget(KNOWN), "second note")
            _save(parts, UNKNOWN, CREATE, {"name": "Meera Nair"})
            _save(parts, UNKNOWN, UPDATE, {"email": "meera@nair.in"})  # after the create
            await wait_until(lambda: len(failures) == 4 and not parts.outbox.busy, 15)
            assert parts.outbox.counts() == (4, 0)
            if outage == "http503":
                server.clear_faults()
                server.clear_requests()
            else:
                server = SandboxServer(port=port).start()  # back on the same address
            delivered: list[tuple[Any, ...]] = []
            parts.outbox.noteSent.connect(lambda *a: delivered.append(a))
            parts.outbox.saveDelivered.connect(lambda *a: delivered.append(a))
            parts.outbox.deepcall_answered()
            await wait_until(lambda: len(delivered) == 4 and not parts.outbox.busy, 15)
            parts.outbox.deepcall_answered()  # nothing left: nothing sent again
            await wait_until(lambda: not parts.outbox.busy)
            assert parts.outbox.counts() == (0, 0)
            assert parts.store.outbox_items() == []
            assert (_notes(server, KNOWN, "first note"), _notes(server, KNOWN, "second note")) \
                == (1, 1)
            assert len(_sent(server, "notesAdd")) == 2
            assert len(_sent(server, "create")) == 1
            assert len(_sent(server, "update")) == 1
            actions = [r.action for r in server.requests() if r.action in ("create", "update")]
            assert actions == ["create", "update"]
            record = server.contact(UNKNOWN[1:])
            assert record is not None
            assert (record.values["name"], record.values["email"]) == (
                "Meera Nair", "meera@nair.in")

    try:
        run_async(scenario())
    finally:
        server.stop()


def test_a_note_whose_connection_dropped_after_sending_is_held_not_resent(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            sandbox.set_faults("drop_after@notesAdd*1")
            held_id, number, reason = await wait_signal(
                parts.outbox.noteHeld, timeout=10,
                trigger=lambda: parts.outbox.add_note(NoteTarget(KNOWN), "did it arrive?"))
            assert number == KNOWN
            assert "may already be in DeepCall" in reason
            assert _notes(sandbox, KNOWN, "did it arrive?") == 1  # it did
            assert parts.outbox.counts() == (0, 1)
            # Nothing sends it again on its own: not DeepCall answering, not the same words.
            assert parts.outbox.retry_all() == []
            parts.outbox.deepcall_answered()
            assert parts.outbox.add_note(NoteTarget(KNOWN), "did it arrive?",
                                         again=held_id) == held_id
            await wait_until(lambda: not parts.outbox.busy)
            assert len(_sent(sandbox, "notesAdd")) == 1
            assert [item.id for item in parts.outbox.held_items()] == [held_id]
            changed = await wait_signal(parts.outbox.countsChanged, trigger=lambda:
                                        parts.outbox.discard_held(held_id))
            assert changed == (0, 0)
            assert parts.store.outbox_items() == []
            assert _notes(sandbox, KNOWN, "did it arrive?") == 1

    run_async(scenario())


def test_a_held_note_the_agent_confirms_is_sent_again(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            sandbox.set_faults("drop@notesAdd*1")  # it did not arrive; the app cannot know
            held_id, _, _ = await wait_signal(
                parts.outbox.noteHeld, timeout=10,
                trigger=lambda: parts.outbox.add_note(NoteTarget(KNOWN), "send it again"))
            sent = await wait_signal(parts.outbox.noteSent, timeout=10,
                                     trigger=lambda: parts.outbox.confirm_held(held_id))
            assert sent[0] == held_id
            assert _notes(sandbox, KNOWN, "send it again") == 1
            assert parts.outbox.counts() == (0, 0)

    run_async(scenario())


def test_a_note_left_mid_send_by_a_killed_app_is_held_at_the_next_start(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    store = LocalStore.in_profile(tmp_path)
    note = store.enqueue("note", KNOWN, {"content": "sent when the app died"}, None)
    store.outbox_sending(note)  # what the store had on disk when the process was killed
    store.close()

    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            assert parts.outbox.retry_all() == []
            assert [(i.id, bool(i.held)) for i in parts.outbox.held_items()] == [(note, True)]
            assert parts.outbox.counts() == (0, 1)
            assert _sent(sandbox, "notesAdd") == []

    run_async(scenario())


def test_a_create_that_may_have_arrived_is_checked_with_getinfo_not_sent_again(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            sandbox.set_faults("drop_after@Directory/create*1")
            _, _, message = await wait_signal(
                parts.outbox.saveWaiting, timeout=10,
                trigger=lambda: _save(parts, UNKNOWN, CREATE, {"name": "Meera Nair"}))
            assert "kept" in message
            _, _, saved, kind = await wait_signal(parts.outbox.saveDelivered, timeout=10,
                                                  trigger=parts.outbox.deepcall_answered)
            assert (saved, kind) == ({"name": "Meera Nair"}, CREATE)
            assert [r.action for r in sandbox.requests()] == [
                "getInfo", "create", "getInfo"]  # found with our values: delivered

    run_async(scenario())


def test_a_refused_note_is_held_with_deepcalls_reason(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            _, _, reason = await wait_signal(parts.outbox.noteHeld, timeout=10, trigger=lambda:
                                             parts.outbox.add_note(
                                                 NoteTarget(KNOWN, "not-a-call"), "refused"))
            assert reason.startswith("DeepCall refused this note")
            assert parts.outbox.retry_all() == []
            assert parts.outbox.counts() == (0, 1)

    run_async(scenario())


def test_a_directory_refusal_goes_back_next_to_the_field_it_names(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            item = parts.outbox.add_save(PLAIN, UPDATE, {"email": "not an email"},
                                         {"email": ""}, {"email": EMAIL})
            returned = await wait_signal(parts.outbox.saveReturned, timeout=10)
            assert returned == (item, PLAIN, "")
            draft = parts.edits.drafts(PLAIN)[EMAIL]
            assert draft.value == "not an email"
            assert draft.error.startswith("DeepCall refused this value")
            assert "email" in draft.error
            assert parts.store.outbox_items() == []

    run_async(scenario())


def test_a_contact_deleted_meanwhile_returns_the_edits_with_a_form_message(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path) as parts:
            _save(parts, UNKNOWN, UPDATE, {"email": "a@b.in"})
            _, _, form_error = await wait_signal(parts.outbox.saveReturned, timeout=10)
            assert "no longer in DeepCall" in form_error
            assert parts.edits.form_error(UNKNOWN) == form_error
            assert parts.edits.drafts(UNKNOWN)[EMAIL].value == "a@b.in"

    run_async(scenario())


def test_an_expired_token_waits_and_a_working_account_sends_at_once(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    expired = TokenAuth(DEMO_USER_ID, EXPIRED_TOKEN)

    async def scenario() -> None:
        async with client_for(sandbox.base_url) as good:
            call_id = (await good.recent_calls(KNOWN))[0].call_id
        async with outbox_parts(sandbox.base_url, tmp_path, auth=expired) as parts:
            # With the call known, notesAdd itself is what the expired token fails.
            _, _, message = await wait_signal(
                parts.outbox.noteFailed, timeout=10, trigger=lambda:
                parts.outbox.add_note(NoteTarget(KNOWN, call_id), "after sign-in"))
            assert "token" in message
            assert parts.outbox.counts() == (1, 0)
            await wait_signal(parts.outbox.noteSent, timeout=10, trigger=lambda:
                              parts.account.switch_to(client_for(sandbox.base_url)))
            assert _notes(sandbox, KNOWN, "after sign-in") == 1

    run_async(scenario())


def test_the_retry_timer_sends_what_failed_without_being_asked(
        run_async: Callable[..., Any], sandbox: SandboxServer, tmp_path: Path) -> None:
    tries: list[int] = []

    def quick(attempts: int) -> float:
        tries.append(attempts)
        return 0.05

    async def scenario() -> None:
        async with outbox_parts(sandbox.base_url, tmp_path, backoff=quick) as parts:
            sandbox.set_faults("http503@notesAdd*2")
            await wait_signal(parts.outbox.noteSent, timeout=10, trigger=lambda:
                              parts.outbox.add_note(NoteTarget(KNOWN), "by itself"))
            assert tries == [1, 2]
            assert _notes(sandbox, KNOWN, "by itself") == 1

    run_async(scenario())


def test_backoff_doubles_from_5_seconds_to_5_minutes_with_20_percent_jitter() -> None:
    assert [backoff_seconds(n, lambda: 0.5) for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert backoff_seconds(7, lambda: 0.5) == 300
    assert backoff_seconds(40, lambda: 0.5) == 300
    assert backoff_seconds(1, lambda: 0.0) == pytest.approx(4.0)
    assert backoff_seconds(1, lambda: 1.0) == pytest.approx(6.0)


def test_without_an_account_nothing_is_scheduled(
        run_async: Callable[..., Any], tmp_path: Path) -> None:
    async def scenario() -> None:
        store = LocalStore.in_profile(tmp_path)
        outbox = Outbox(store, FixedAccount(None), backoff=lambda _n: 60.0)
        failed: list[Any] = []
        outbox.noteFailed.connect(lambda *a: failed.append(a))
        outbox.add_note(NoteTarget(KNOWN), "waits for Settings")
        await wait_until(lambda: bool(failed) and not outbox.busy)
        assert not outbox._retry_timer.isActive()  # no busy loop of "not set up" failures
        await outbox.shutdown()
        store.close()

    run_async(scenario())
