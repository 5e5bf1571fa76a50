"""The app graph (build_session) against the sandbox over real HTTP: a pop writes the caller's
number to the log file and the JSON stderr by its last four digits, unless the agent turns on
``log_full_numbers`` (read at the start and whenever it changes)."""

from __future__ import annotations

import io
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.core.pop_request import PopRequest
from app.sandbox.accounts import DEMO_TOKEN, DEMO_USER_ID
from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_UNKNOWN_NUMBER
from app.sandbox.server import SandboxServer
from app.services import logs
from app.services.credentials import CredentialOverrides
from app.services.logs import setup_logging
from app.services.secrets import MemorySecretStore
from app.services.settings import Settings
from app.session import AppSession, SessionOptions, build_session
from tests.fixtures.qt_async import wait_until
from tests.ui.conftest import close_when_the_test_ends

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]
KNOWN = "+" + DEMO_KNOWN_NUMBER
UNKNOWN = "+" + DEMO_UNKNOWN_NUMBER
CALL_ID = "70012345678901"  # digits, but a call id: kept whole


class Running:
    def __init__(self, session: AppSession, stderr: io.StringIO, log_file: Path) -> None:
        self.session, self.stderr, self.log_file = session, stderr, log_file

    def written(self) -> str:
        return self.log_file.read_text(encoding="utf-8") + self.stderr.getvalue()

    async def popped(self, number: str, call_id: str | None = None) -> None:
        self.session.coordinator.pop(PopRequest(number, call_id=call_id))
        await wait_until(lambda: self.session.window.status in ("found", "unknown"), 15)
        await wait_until(lambda: "lookup_finished" in self.written()
                         and self.session.state()["number"] == number, 5)


@pytest.fixture
def start_app(tmp_path: Path, sandbox: SandboxServer, run_async: RunAsync,
              request: pytest.FixtureRequest) -> Iterator[Callable[..., Running]]:
    made: list[tuple[AppSession, logs.LoggingSetup]] = []

    def start(**saved: object) -> Running:
        profile = tmp_path / "profile"
        stored = Settings(profile)
        for name, value in saved.items():
            stored.set_value(name, value)
        stderr = io.StringIO()
        setup = setup_logging(profile, "json", stderr=stderr)
        session = build_session(SessionOptions(
            profile_dir=profile, log_file=setup.log_file, secrets=MemorySecretStore(),
            overrides=CredentialOverrides(brand_url=sandbox.base_url, user_id=DEMO_USER_ID,
                                          token=DEMO_TOKEN)))
        made.append((session, setup))

        async def started() -> None:
            session.start()
            await session.account.wait_loaded()
        run_async(started())
        return Running(session, stderr, setup.log_file)

    async def close_all() -> None:
        for session, _ in made:
            await session.aclose()

    close_when_the_test_ends(request, lambda: run_async(close_all()))
    yield start
    run_async(close_all())
    for _, setup in made:
        setup.close()
    logs.number_masker.set_full_numbers(False)


def test_a_pop_logs_four_digits_until_the_agent_turns_on_full_numbers(
        start_app: Callable[..., Running], run_async: RunAsync) -> None:
    app = start_app()
    run_async(app.popped(KNOWN, CALL_ID))
    written = app.written()
    assert DEMO_KNOWN_NUMBER[-10:] not in written  # neither +91... nor the national digits
    assert f"number=…{KNOWN[-4:]}" in written
    assert f'"call_id": "{CALL_ID}"' in written

    app.session.settings.set_value("log_full_numbers", True)  # troubleshooting, while running
    run_async(app.popped(UNKNOWN))
    assert f"number={UNKNOWN}" in app.written()


def test_full_numbers_saved_earlier_apply_from_the_first_pop(
        start_app: Callable[..., Running], run_async: RunAsync) -> None:
    app = start_app(log_full_numbers=True)
    run_async(app.popped(KNOWN))
    assert f"number={KNOWN}" in app.written()
