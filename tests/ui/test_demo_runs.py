"""Two ``--demo`` runs on one profile, each with its own embedded sandbox (a new random port
each start): what the first left queued is delivered by the second, not held as another
account's (the demo's own ``_demo_setup`` and the composition root, over loopback HTTP)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from app.commands.gui import _demo_setup
from app.sandbox.seed import DEMO_KNOWN_NUMBER
from app.services.outbox import NoteTarget
from app.services.secrets import MemorySecretStore
from app.session import AppSession, SessionOptions, build_session
from tests.fixtures.qt_async import wait_until
from tests.ui.conftest import close_when_the_test_ends, quiesce

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]
KNOWN = "+" + DEMO_KNOWN_NUMBER


def _demo_session(profile: Path, request: pytest.FixtureRequest,
                  run_async: RunAsync) -> tuple[Any, AppSession]:
    sandbox, overrides, numbers = _demo_setup()
    session = build_session(SessionOptions(
        profile_dir=profile, log_file=profile / "logs" / "screenpop.log",
        overrides=overrides, secrets=MemorySecretStore(), demo=True, demo_numbers=numbers))

    def close() -> None:
        run_async(session.aclose())
        sandbox.stop()
    close_when_the_test_ends(request, close)
    return sandbox, session


def test_a_note_queued_in_one_demo_run_is_delivered_by_the_next(
        tmp_path: Path, request: pytest.FixtureRequest, run_async: RunAsync) -> None:
    first_sandbox, first = _demo_session(tmp_path, request, run_async)

    async def queue() -> None:
        first.start()
        await first.account.wait_loaded()
        first_sandbox.set_faults("http503@notesAdd")  # the demo's DeepCall is away
        first.outbox.add_note(NoteTarget(KNOWN), "Call back at 5")
        await wait_until(lambda: first.state()["outbox"] == 1 and not first.outbox.busy, 5)
        await quiesce()
        await first.aclose()

    run_async(queue())
    first_url = first_sandbox.base_url
    first_sandbox.stop()

    second_sandbox, second = _demo_session(tmp_path, request, run_async)
    assert second_sandbox.base_url != first_url  # another port, same account

    async def deliver() -> None:
        second.start()
        await wait_until(lambda: second.state()["outbox"] == 0 and not second.outbox.busy, 10)
        await quiesce()

    run_async(deliver())
    assert [item.held for item in second.outbox.held_items()] == []
    assert second.state()["outbox_held"] == 0
    assert [n.content for n in second_sandbox.notes(DEMO_KNOWN_NUMBER)][-1:] == ["Call back at 5"]
