"""The whole app object graph in-process: first start, demo simulate, mapping editor, crashes,
accessibility of every input, pop behaviour, and the one shutdown path."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtCore import SIGNAL, Qt, QTimer, QUrl
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTableWidgetItem,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app import session as session_module
from app.core.pop_request import STATE_LINE, PopRequest
from app.sandbox.accounts import ALT_TOKEN, ALT_USER_ID, DEMO_TOKEN, DEMO_USER_ID
from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_UNKNOWN_NUMBER
from app.sandbox.server import SandboxServer
from app.services import account as account_module
from app.services.credentials import CredentialOverrides
from app.services.logs import setup_logging
from app.services.secrets import MemorySecretStore
from app.services.settings import Settings
from app.session import AppSession, SessionOptions, build_session
from app.sources import local_server
from app.sources.forward import exchange
from app.sources.socket_address import check_runtime_dir
from app.ui.error_banner import ErrorAction
from app.ui.macos_app_nap import AppNapGuard
from app.ui.mapping_editor import DISPLAY, LABEL
from app.ui.settings_dialog import SettingsDialog
from tests.fixtures.qt_async import wait_signal, wait_until
from tests.ui.conftest import close_when_the_test_ends, quiesce
from tests.ui.test_macos_app_nap import FakeProcessInfo

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]
KNOWN = "+" + DEMO_KNOWN_NUMBER
UNKNOWN = "+" + DEMO_UNKNOWN_NUMBER
SessionFactory = Callable[..., AppSession]


@pytest.fixture
def make_session(tmp_path: Path, run_async: RunAsync,
                 request: pytest.FixtureRequest) -> Iterator[SessionFactory]:
    QApplication.setQuitOnLastWindowClosed(False)
    made: list[AppSession] = []
    handlers: list[Any] = []
    # A started session's crash reporter takes the loop's errors over from the test fixture:
    # whatever it reports fails the test, unless the test takes out what it expected.
    crashes: list[str] = []

    def make(overrides: CredentialOverrides | None = None,
             demo_numbers: tuple[str, ...] = (),
             secrets: MemorySecretStore | None = None,
             stored: dict[str, object] | None = None, wait_loaded: bool = True) -> AppSession:
        profile = tmp_path / f"profile{len(made)}"
        profile.mkdir()
        saved = Settings(profile)  # what the agent saved in an earlier run
        for name, value in (stored or {}).items():
            saved.set_value(name, value)
        logs = setup_logging(profile)
        handlers.append(logs)
        session = build_session(SessionOptions(
            profile_dir=profile, log_file=logs.log_file,
            overrides=overrides or CredentialOverrides(), secrets=secrets or MemorySecretStore(),
            demo=bool(demo_numbers), demo_numbers=demo_numbers))
        made.append(session)
        session.crash.reported.connect(crashes.append)

        async def start() -> None:
            session.start()
            if wait_loaded:
                await session.account.wait_loaded()  # the keyring is read off the UI thread

        run_async(start())
        return session

    async def close_all() -> None:
        for session in made:
            await session.aclose()

    close_when_the_test_ends(request, lambda: run_async(close_all()))
    make.crashes = crashes  # type: ignore[attr-defined]
    yield make
    run_async(close_all())  # idempotent: already closed unless the test body failed early
    for logs in handlers:
        logs.close()
    assert crashes == [], f"the app reported crashes nobody expected: {crashes}"


def _demo_overrides(sandbox: SandboxServer) -> CredentialOverrides:
    return CredentialOverrides(brand_url=sandbox.base_url, user_id=DEMO_USER_ID,
                               token=DEMO_TOKEN)


def _settings_dialog(session: AppSession) -> SettingsDialog | None:
    dialogs = [d for d in session.window.findChildren(SettingsDialog) if d.isVisible()]
    return dialogs[0] if dialogs else None


def test_first_start_opens_settings_and_then_pops(make_session: SessionFactory,
                                                  run_async: RunAsync,
                                                  sandbox: SandboxServer) -> None:
    session = make_session()
    dialog = _settings_dialog(session)
    assert dialog is not None  # the dialog instead of a failure
    assert session.window.error_view is not None
    assert session.window.error_view.action is ErrorAction.OPEN_SETTINGS
    # Nothing was looked up, so nothing "failed": the header says what is missing.
    assert session.window.header.status.text() == "Not set up"
    assert session.window.status == "idle"

    dialog.brand_url.setText(sandbox.base_url)
    dialog.user_id.setText(DEMO_USER_ID)
    dialog.secret.setText(DEMO_TOKEN)
    dialog.save()
    run_async(wait_until(lambda: session.client is not None))
    assert session.window.status == "idle"
    # Set up now: "waiting for a call", no longer the "not set up" banner.
    assert not session.window.banner.isVisibleTo(session.window)
    assert session.window.header.status.text() != "Not set up"

    async def pop() -> None:
        session.coordinator.pop(PopRequest(KNOWN))
        await wait_until(lambda: session.window.status == "found")
        await quiesce()

    run_async(pop())
    assert session.window.header.caller_name.text() == "Aarav Mehta"
    assert DEMO_TOKEN not in (session.profile_dir / "settings.ini").read_text()


def test_a_pop_before_settings_points_to_settings(make_session: SessionFactory,
                                                  run_async: RunAsync) -> None:
    session = make_session()

    async def pop() -> None:
        session.coordinator.pop(PopRequest(KNOWN))
        await wait_until(lambda: session.window.status == "error")

    run_async(pop())
    assert session.window.banner.settings_button.isVisibleTo(session.window)


def test_fixing_the_settings_looks_up_the_waiting_caller(make_session: SessionFactory,
                                                         run_async: RunAsync,
                                                         sandbox: SandboxServer) -> None:
    session = make_session()

    async def pop() -> None:
        session.coordinator.pop(PopRequest(KNOWN))
        await wait_until(lambda: session.window.status == "error")

    run_async(pop())
    dialog = _settings_dialog(session)
    assert dialog is not None
    dialog.brand_url.setText(sandbox.base_url)
    dialog.user_id.setText(DEMO_USER_ID)
    dialog.secret.setText(DEMO_TOKEN)

    async def save_and_wait() -> None:
        dialog.save()
        await wait_until(lambda: session.window.status == "found")
        await quiesce()

    run_async(save_and_wait())  # the caller still on the line, not an idle window
    assert session.coordinator.current is not None
    assert session.coordinator.current.number == KNOWN
    assert session.window.header.caller_name.text() == "Aarav Mehta"


def test_simulate_incoming_call_pops_seeded_callers(make_session: SessionFactory,
                                                    run_async: RunAsync,
                                                    sandbox: SandboxServer) -> None:
    session = make_session(_demo_overrides(sandbox), demo_numbers=(KNOWN, UNKNOWN))
    assert session.window.simulate_action.isVisible()
    assert _settings_dialog(session) is None
    seen: set[str] = set()

    async def simulate_twice() -> None:
        for _ in range(2):
            session.window.simulate_action.trigger()
            await wait_until(lambda: session.window.status in ("found", "unknown"))
            await quiesce()
            seen.add(session.state()["number"])

    run_async(simulate_twice())
    assert seen == {KNOWN, UNKNOWN}  # never the same caller twice in a row


def test_mapping_editor_changes_the_form(make_session: SessionFactory, run_async: RunAsync,
                                         sandbox: SandboxServer) -> None:
    session = make_session(_demo_overrides(sandbox))

    async def pop() -> None:
        session.coordinator.pop(PopRequest(KNOWN))
        await wait_until(lambda: session.window.status == "found")
        await quiesce()

    run_async(pop())
    assert "City" in session.window.form.values()
    editor = session.dialogs.open_mapping_editor()
    row = next(r for r in range(editor.table.rowCount())
               if (item := editor.table.item(r, LABEL)) is not None and item.text() == "city")
    editor.table.setItem(row, DISPLAY, QTableWidgetItem("Town"))
    editor.save()
    assert session.window.form.values()["Town"] == "Mumbai"
    assert (session.profile_dir / "field_mapping.json").exists()


def test_an_uncaught_error_is_logged_and_apologised_for(make_session: SessionFactory,
                                                        run_async: RunAsync,
                                                        sandbox: SandboxServer) -> None:
    session = make_session(_demo_overrides(sandbox))

    def boom() -> None:
        raise RuntimeError("a bug in a slot")

    async def trigger() -> None:
        await wait_signal(session.crash.reported, 5,
                          trigger=lambda: QTimer.singleShot(0, boom))
        await wait_until(lambda: session.crash.box is not None and session.crash.box.isVisible())

    run_async(trigger())
    box = session.crash.box
    assert box is not None
    assert "Sorry" in box.text()
    assert str(session.options.log_file) in box.informativeText()
    assert "Traceback" not in box.text() + box.informativeText()
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert "a bug in a slot" in session.options.log_file.read_text(encoding="utf-8")
    assert session.window.isVisible()  # the app keeps running
    assert make_session.crashes == ["RuntimeError"]  # type: ignore[attr-defined]
    make_session.crashes.clear()  # type: ignore[attr-defined]  # this one was expected


def _inputs(root: QWidget) -> list[QWidget]:
    kinds = (QLineEdit, QPlainTextEdit, QComboBox, QAbstractSpinBox, QAbstractButton,
             QAbstractItemView)
    found = [w for kind in kinds for w in root.findChildren(kind)]
    # Qt's own internals (a spin box's line edit, a scroll bar's buttons) are not inputs.
    return [w for w in found if w.isVisibleTo(root)
            and not isinstance(w.parent(), QComboBox | QAbstractSpinBox)
            and w.focusPolicy() != Qt.FocusPolicy.NoFocus]


def test_every_input_in_the_window_has_an_accessible_name(make_session: SessionFactory,
                                                          run_async: RunAsync,
                                                          sandbox: SandboxServer) -> None:
    session = make_session(_demo_overrides(sandbox), demo_numbers=(KNOWN,))

    async def pop() -> None:
        session.coordinator.pop(PopRequest(KNOWN))
        await wait_until(lambda: session.window.status == "found")
        await quiesce()

    run_async(pop())
    inputs = _inputs(session.window)
    assert len(inputs) >= 14
    unnamed = [f"{type(w).__name__}:{getattr(w, 'text', lambda: '')()}" for w in inputs
               if not w.accessibleName()
               and not (isinstance(w, QAbstractButton) and w.text().replace("&", ""))]
    assert unnamed == []


def test_raise_and_keep_on_top(make_session: SessionFactory, run_async: RunAsync,
                               sandbox: SandboxServer) -> None:
    session = make_session(_demo_overrides(sandbox))
    session.settings.pop_behaviour = "raise_on_top"
    # Where a minimized window comes back without taking the keys (on X11 it stays
    # minimized and asks for attention: tests/ui/test_window_focus.py).
    session.window.platform = "windows"
    session.window.showMinimized()

    async def pop() -> None:
        session.coordinator.pop(PopRequest(KNOWN))
        await wait_until(lambda: session.window.status == "found")
        await quiesce()

    run_async(pop())
    assert session.window.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert session.window.isVisible()
    assert not session.window.isMinimized()


def test_tray_only_without_a_tray_still_shows_the_caller(make_session: SessionFactory,
                                                          run_async: RunAsync,
                                                          sandbox: SandboxServer) -> None:
    session = make_session(_demo_overrides(sandbox))
    session.settings.pop_behaviour = "tray_only"
    session.tray.available = lambda: False  # type: ignore[method-assign]  # e.g. GNOME
    session.window.hide()

    async def pop() -> None:
        session.coordinator.pop(PopRequest(KNOWN))
        await wait_until(lambda: session.window.status == "found")
        await quiesce()

    run_async(pop())
    assert session.window.isVisible()  # no tray to notify in: the window comes up instead


def test_shutdown_closes_the_client_and_leaves_no_task(make_session: SessionFactory,
                                                       run_async: RunAsync,
                                                       sandbox: SandboxServer) -> None:
    session = make_session(_demo_overrides(sandbox))
    sandbox.add_fault("latency", action="contactInfo", ms=2000)
    client = session.client
    assert client is not None

    async def pop_then_quit() -> None:
        session.coordinator.pop(PopRequest(KNOWN))  # still in flight at quit
        session.window.close()  # closing the window asks for the one shutdown path
        assert session.finished.is_set()
        await session.aclose()
        await quiesce(1.0)

    run_async(pop_then_quit())
    assert client.is_closed
    assert not session.server.is_listening()


@pytest.mark.skipif(sys.platform == "win32", reason="named pipes are not files to sweep")
def test_from_start_to_quit_the_socket_is_kept_and_app_nap_held_off(
        make_session: SessionFactory, run_async: RunAsync,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Issue 13: a swept socket file is listened at again; macOS does not nap the app while
    # it waits for calls (a fake NSProcessInfo), and both end at quit.
    nap = FakeProcessInfo()
    monkeypatch.setattr(session_module, "AppNapGuard",
                        lambda: AppNapGuard(nap, platform="darwin"))
    session = make_session()
    assert len(nap.begun) == 1
    assert nap.ended == []
    address = Path(session.server.name)

    async def sweep_then_ask() -> dict[str, Any]:
        await wait_signal(session.keeper.listeningAgain, 10, trigger=address.unlink)
        return await asyncio.to_thread(exchange, session.profile_dir, STATE_LINE)

    assert run_async(sweep_then_ask())["ok"] is True
    run_async(session.aclose())
    assert nap.ended == nap.tokens
    assert not session.keeper.active
    assert not address.exists()  # closed for good: the keeper did not bring it back


def test_a_closing_instances_pipe_is_said_as_such_and_the_notice_goes_once_listening(
        make_session: SessionFactory, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    # The server's Windows branch (as tests/sources/test_pipe_probe.py fakes it): a pipe
    # still there whose holder takes no hello, i.e. a previous Screen-Pop still closing.
    old_pipe = [True]
    monkeypatch.setattr(local_server, "sys", SimpleNamespace(platform="win32"))
    monkeypatch.setattr(local_server, "pipe_exists", lambda name: old_pipe[0])
    monkeypatch.setattr(local_server, "probe_own_instance", lambda name, key, timeout: "silent")
    monkeypatch.setattr(local_server, "PIPE_SETTLE_SECONDS", 0.2)
    monkeypatch.setattr(local_server, "RETRY_LISTEN_MS", 50)
    session = make_session()
    bar = session.window.statusBar()
    assert not session.server.is_listening()
    said = bar.currentMessage()
    assert "a previous Screen-Pop may still be closing" in said, said
    assert "Another program" not in said
    assert said.startswith("This profile's pipe (")  # the server's words, as a sentence
    assert said.endswith("Screen-Pop listens as soon as it is gone.")
    # The pipe's namespace always exists on Windows; here the socket's folder stands for it.
    check_runtime_dir(Path(session.server.name).parent, create=True)
    with qtbot.waitSignal(session.server.listening, timeout=5_000):
        old_pipe[0] = False
    assert session.server.is_listening()
    assert bar.currentMessage() == ""


END_OF_SESSION = SIGNAL("commitDataRequest(QSessionManager&)")
ABOUT_TO_QUIT = SIGNAL("aboutToQuit()")


def test_windows_ending_the_session_keeps_the_note_and_quits_the_usual_way(
        make_session: SessionFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.receivers(END_OF_SESSION), app.receivers(ABOUT_TO_QUIT)
    session = make_session(_demo_overrides(sandbox))
    assert (app.receivers(END_OF_SESSION), app.receivers(ABOUT_TO_QUIT)) == (
        before[0] + 1, before[1] + 1)

    async def pop() -> None:
        session.coordinator.pop(PopRequest(KNOWN))
        await wait_until(lambda: session.window.status == "found")
        await quiesce()

    run_async(pop())
    session.window.notes.editor.setPlainText("call back after five")
    # Qt emits commitDataRequest(QSessionManager&) on WM_QUERYENDSESSION; PySide6 cannot make
    # a session manager, so the connected slot is called as Qt would call it.
    session.desktop_session_ending(None)
    assert session.drafts.load(KNOWN) == "call back after five"  # written before any await
    assert session.finished.is_set()  # the tray's Quit path: gui.py awaits this, then aclose()
    run_async(session.aclose())
    # A closed session hears no later quit (the tests' loop emits aboutToQuit at every stop).
    assert (app.receivers(END_OF_SESSION), app.receivers(ABOUT_TO_QUIT)) == before


def test_qt_quitting_on_its_own_asks_for_the_one_shutdown_path(
        make_session: SessionFactory) -> None:
    session = make_session()
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.aboutToQuit.emit()  # Qt on WM_ENDSESSION, then QGuiApplication::quit()
    assert session.finished.is_set()


def test_a_tel_link_opened_by_the_os_pops_in_the_running_app(make_session: SessionFactory,
                                                             run_async: RunAsync,
                                                             sandbox: SandboxServer) -> None:
    # macOS delivers tel: links to a running app as a FileOpen event on the application.
    session = make_session(_demo_overrides(sandbox))
    if sys.platform != "darwin":
        # The session installs the filter on macOS only, where the OS sends these events;
        # here the wiring behind it is what is under test.
        session.url_open.install(QApplication.instance())

    async def open_link() -> None:
        QApplication.postEvent(QApplication.instance(),
                               QFileOpenEvent(QUrl("tel:+91-98765-43210")))
        await wait_until(lambda: session.window.status == "found")
        await quiesce()

    run_async(open_link())
    assert session.state()["number"] == KNOWN
    assert session.state()["source"] == "tel-link"


def _saved_demo_account(sandbox: SandboxServer) -> dict[str, Any]:
    """An agent set up in Settings (address and user id saved, the token in the keyring)."""
    secrets = MemorySecretStore()
    secrets.store("token", DEMO_TOKEN)
    return {"secrets": secrets, "stored": {"brand_url": sandbox.base_url,
                                           "user_id": DEMO_USER_ID}}


def _save_in_settings(session: AppSession, url: str, user_id: str, token: str) -> None:
    dialog = session.dialogs.open_settings()
    dialog.brand_url.setText(url)
    dialog.user_id.setText(user_id)
    dialog.secret.setText(token)
    dialog.save()


def test_saving_unchanged_settings_mid_lookup_keeps_the_client_and_the_lookup(
        make_session: SessionFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    session = make_session(**_saved_demo_account(sandbox))
    sandbox.add_fault("latency", action="contactInfo", ms=600)
    client = session.client
    assert client is not None

    async def pop_then_save() -> None:
        session.coordinator.pop(PopRequest(KNOWN))
        await wait_until(lambda: any(r.action == "contactInfo" for r in sandbox.requests()))
        _save_in_settings(session, sandbox.base_url, DEMO_USER_ID, DEMO_TOKEN)
        await wait_until(lambda: session.window.status in ("found", "error"), 10)
        await quiesce()

    run_async(pop_then_save())
    assert session.window.status == "found", session.state()
    assert session.client is client  # the same account: no new client, no second lookup
    assert not client.is_closed
    assert [r.action for r in sandbox.requests()].count("contactInfo") == 1


def test_switching_account_mid_lookup_never_shows_the_old_accounts_contact(
        make_session: SessionFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    # The agent saves another account while a lookup runs on the old one: the old account's
    # answer must reach neither the window nor the cache, and the old client is closed.
    session = make_session(**_saved_demo_account(sandbox))
    sandbox.add_fault("latency", action="contactInfo", ms=600, times=1)
    old = session.client
    shown: list[str] = []
    session.window.state_changed.connect(shown.append)

    async def pop_then_switch() -> None:
        session.coordinator.pop(PopRequest(KNOWN))
        await wait_until(lambda: any(r.action == "contactInfo" for r in sandbox.requests()))
        _save_in_settings(session, sandbox.base_url, ALT_USER_ID, ALT_TOKEN)
        await wait_until(lambda: session.client is not old)
        await wait_until(lambda: session.window.status == "unknown", 10)
        await quiesce()

    run_async(pop_then_switch())
    assert "found" not in shown  # Aarav Mehta is the demo account's contact, not alt's
    assert [(r.body or {}).get("userId") for r in sandbox.requests()
            if r.action == "contactInfo"] == [DEMO_USER_ID, ALT_USER_ID]
    assert session.state()["status"] == "unknown"
    assert old is not None
    assert old.is_closed  # closed once nothing ran on it any more


class HangingKeyring(MemorySecretStore):
    """A keyring whose read blocks until released, like one waiting on its unlock prompt."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def load(self, kind: Any) -> str | None:
        self.release.wait(15)
        return super().load(kind)


def _started_under_a_hanging_keyring(make_session: SessionFactory, sandbox: SandboxServer,
                                     ) -> tuple[AppSession, HangingKeyring]:
    """A set-up agent's app starting while the keyring waits on its unlock prompt."""
    keyring = HangingKeyring()
    keyring.store("token", DEMO_TOKEN)
    session = make_session(secrets=keyring, wait_loaded=False,
                           stored={"brand_url": sandbox.base_url, "user_id": DEMO_USER_ID})
    return session, keyring


def test_a_hanging_keyring_freezes_nothing_and_the_waiting_pop_then_completes(
        make_session: SessionFactory, run_async: RunAsync, sandbox: SandboxServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(account_module, "KEYRING_PATIENCE_SECONDS", 0.2)
    session, keyring = _started_under_a_hanging_keyring(make_session, sandbox)
    painted: list[str] = []
    session.window.state_changed.connect(painted.append)

    async def pop_while_the_keyring_hangs() -> None:
        assert session.account.reloading
        session.coordinator.pop(PopRequest(KNOWN, source="test"))
        # The window paints the number and "looking up" at once; state answers.
        assert painted == ["loading"]
        assert session.window.header.number.text().replace(" ", "").endswith("9876543210")
        assert session.state()["status"] == "loading"
        ticks: list[int] = []
        timer = QTimer()
        timer.timeout.connect(lambda: ticks.append(1))
        timer.start(10)
        await wait_until(lambda: len(ticks) >= 20)  # the loop is alive under the prompt
        timer.stop()
        assert session.window.status == "loading"
        # After a while the agent is told what the app is waiting for.
        await wait_until(lambda: "unlock it" in session.window.statusBar().currentMessage())
        keyring.release.set()
        await wait_until(lambda: session.window.status == "found", 10)
        await quiesce()

    run_async(pop_while_the_keyring_hangs())
    assert session.window.header.caller_name.text() == "Aarav Mehta"
    assert "keyring" not in session.window.statusBar().currentMessage()  # no longer true


def test_each_saved_setting_reaches_the_object_it_configures(
        make_session: SessionFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    session = make_session(_demo_overrides(sandbox))
    s = session.settings
    s.dedupe_seconds = 3
    s.cache_seconds = 7
    s.counters_refresh_seconds = 45
    s.default_region = "GB"
    s.clipboard_mode = "first"
    s.clipboard_enabled = True
    assert session.coordinator.dedupe_seconds == 3
    assert session.cache.seconds == 7
    assert session.poller.interval_seconds == 45
    assert (session.server.default_region, session.clipboard.default_region,
            session.url_open.default_region) == ("GB", "GB", "GB")
    assert session.clipboard.mode.value == "first"
    assert session.clipboard.is_enabled()
    s.clipboard_enabled = False
    assert not session.clipboard.is_enabled()


def test_closing_puts_back_the_hooks_the_crash_reporter_replaced(
        make_session: SessionFactory, run_async: RunAsync, sandbox: SandboxServer,
        loop_errors: list[dict[str, Any]]) -> None:
    # The loop outlives a session (as the test session's loop does): its handler and
    # sys.excepthook must be what they were, or later errors are swallowed as "crashes".
    loop = asyncio.get_event_loop()
    seen: list[str] = []
    loop.set_exception_handler(lambda _loop, context: seen.append(context["message"]))
    hook = sys.excepthook
    session = make_session(_demo_overrides(sandbox))
    loop.call_exception_handler({"message": "while the app runs"})  # the reporter's
    run_async(session.aclose())
    loop.call_exception_handler({"message": "after the app closed"})
    loop.set_exception_handler(lambda _loop, context: loop_errors.append(context))  # the fixture's
    assert seen == ["after the app closed"]
    assert sys.excepthook is hook


def test_after_an_account_change_nothing_of_the_old_answer_stays_on_screen(
        make_session: SessionFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    # The new account cannot look the caller up (a wrong token): the window, state and the
    # note's call must not go on showing the old account's contact as if it were current.
    session = make_session(**_saved_demo_account(sandbox))

    async def pop_then_switch() -> None:
        session.coordinator.pop(PopRequest(KNOWN))
        await wait_until(lambda: session.window.status == "found")
        await quiesce()
        assert session.coordinator.note_target().call_id  # type: ignore[union-attr]
        _save_in_settings(session, sandbox.base_url, DEMO_USER_ID, "sbx-wrong-token-000000")
        await wait_until(lambda: session.window.status == "error", 10)
        await quiesce()

    run_async(pop_then_switch())
    state = session.state()
    assert (state["status"], state["number"], state["name"], state["fields"]) == (
        "error", KNOWN, None, {})
    assert session.window.form.values() == {}
    assert session.window.header.caller_name.text() != "Aarav Mehta"
    target = session.coordinator.note_target()
    assert target is not None
    assert (target.number, target.call_id) == (KNOWN, None)  # not the old account's call


def test_quitting_while_the_keyring_hangs_records_no_false_failure(
        make_session: SessionFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    # A pop and a note wait for the account when the agent quits: they must simply stop,
    # not wake up to "not set up" and file a failed lookup and a failed note attempt.
    session, keyring = _started_under_a_hanging_keyring(make_session, sandbox)
    failures: list[object] = []
    session.coordinator.lookupFailed.connect(failures.append)
    session.outbox.noteFailed.connect(lambda *args: failures.append(args))

    async def pop_note_quit() -> None:
        session.coordinator.pop(PopRequest(KNOWN, source="test"))
        target = session.coordinator.note_target()
        assert target is not None
        session.outbox.add_note(target, "Asked for a callback")
        await session.aclose()

    try:
        run_async(pop_note_quit())
    finally:
        keyring.release.set()
    assert failures == []
    with sqlite3.connect(session.profile_dir / "screenpop.sqlite3") as db:
        assert db.execute("SELECT attempts, last_error FROM outbox").fetchall() == [(0, "")]
        # Not an error, and not "loading" for ever either: the app quit before it ended.
        assert db.execute("SELECT status FROM pop_history").fetchall() == [("cancelled",)]


def test_a_pop_superseded_while_loading_ends_as_such_in_the_history(
        make_session: SessionFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    session = make_session(**_saved_demo_account(sandbox))
    # Only the first pop; far longer than the test (it ends when the second pop is found, and
    # the first is cancelled with it), so a slow machine never sees it answer first.
    sandbox.add_fault("latency", action="contactInfo", ms=30_000, times=1)

    async def slow_pop_then_another() -> dict[str, Any]:
        session.coordinator.pop(PopRequest(UNKNOWN, source="first"))
        await wait_until(lambda: any(r.action == "contactInfo" for r in sandbox.requests()))
        session.coordinator.pop(PopRequest(KNOWN, source="second"))
        await wait_until(lambda: session.state()["status"] == "found", 10)
        await quiesce()
        # What `screenpop state` prints: asked over the app's own socket, as that command does.
        return await asyncio.to_thread(exchange, session.profile_dir, STATE_LINE)

    reply = run_async(slow_pop_then_another())
    history = reply["state"]["history"]
    assert isinstance(history, list)
    assert [(h["number"], h["status"], h["source"]) for h in history] == [
        (KNOWN, "found", "second"), (UNKNOWN, "superseded", "first")]


# A malformed DeepCall address saved in settings.ini (a hand edit, an older version): the app
# starts, opens Settings with the reason, refuses to save it, and works once it is corrected.
@pytest.mark.parametrize(("address", "reason"), [
    ("http://[::1", "closing bracket"),
    ("https://v4-api.deepcall.com:99999", "port"),
])
def test_a_bad_saved_address_opens_settings_with_the_reason(
        make_session: SessionFactory, run_async: RunAsync, sandbox: SandboxServer,
        tmp_path: Path, address: str, reason: str) -> None:
    secrets = MemorySecretStore()
    secrets.store("token", DEMO_TOKEN)
    session = make_session(secrets=secrets,
                           stored={"brand_url": address, "user_id": DEMO_USER_ID})
    assert session.client is None
    dialogs = [d for d in session.window.findChildren(SettingsDialog) if d.isVisible()]
    assert len(dialogs) == 1, "Settings did not open"
    dialog = dialogs[0]
    assert reason in dialog.error.text()
    assert dialog.error.isVisibleTo(dialog)
    assert dialog.brand_url.text() == address  # shown as saved, to be corrected

    dialog.save()  # unchanged: refused, the dialog stays with its reason
    assert dialog.isVisible()
    assert reason in dialog.error.text()

    async def correct_and_save() -> None:
        dialog.brand_url.setText(sandbox.base_url)
        dialog.save()
        await wait_until(lambda: session.client is not None)
        await quiesce()  # the new client's first counters refresh ends inside the loop

    run_async(correct_and_save())
    assert session.settings.brand_url == sandbox.base_url
