"""The whole app object graph in-process: first start, demo simulate, mapping editor, crashes,
accessibility of every input, pop behaviour, and the one shutdown path."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer, QUrl
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

from app.sandbox.accounts import DEMO_TOKEN, DEMO_USER_ID
from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_UNKNOWN_NUMBER
from app.sandbox.server import SandboxServer
from app.services.credentials import CredentialOverrides
from app.services.logs import setup_logging
from app.services.pop_coordinator import SimplePopRequest
from app.services.secrets import MemorySecretStore
from app.ui.error_banner import ErrorAction
from app.ui.mapping_editor import DISPLAY, LABEL
from app.ui.session import AppSession, SessionOptions
from app.ui.settings_dialog import SettingsDialog
from tests.fixtures.qt_async import wait_signal, wait_until
from tests.ui.conftest import quiesce

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]
KNOWN = "+" + DEMO_KNOWN_NUMBER
UNKNOWN = "+" + DEMO_UNKNOWN_NUMBER
SessionFactory = Callable[..., AppSession]


@pytest.fixture
def make_session(tmp_path: Path, run_async: RunAsync) -> Iterator[SessionFactory]:
    QApplication.setQuitOnLastWindowClosed(False)
    made: list[AppSession] = []
    handlers: list[Any] = []

    def make(overrides: CredentialOverrides | None = None,
             demo_numbers: tuple[str, ...] = ()) -> AppSession:
        profile = tmp_path / f"profile{len(made)}"
        profile.mkdir()
        logs = setup_logging(profile)
        handlers.append(logs)
        session = AppSession(SessionOptions(
            profile_dir=profile, log_file=logs.log_file,
            overrides=overrides or CredentialOverrides(), secrets=MemorySecretStore(),
            demo=bool(demo_numbers), demo_numbers=demo_numbers))
        made.append(session)

        async def start() -> None:
            session.start()

        run_async(start())
        return session

    yield make

    async def close_all() -> None:
        for session in made:
            await session.aclose()

    run_async(close_all())
    for logs in handlers:
        logs.close()


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
    assert session.client is not None
    assert session.window.status == "idle"

    async def pop() -> None:
        session.coordinator.pop(SimplePopRequest(KNOWN))
        await wait_until(lambda: session.window.status == "found")
        await quiesce()

    run_async(pop())
    assert session.window.header.caller_name.text() == "Aarav Mehta"
    assert DEMO_TOKEN not in (session.profile_dir / "settings.ini").read_text()


def test_a_pop_before_settings_points_to_settings(make_session: SessionFactory,
                                                  run_async: RunAsync) -> None:
    session = make_session()

    async def pop() -> None:
        session.coordinator.pop(SimplePopRequest(KNOWN))
        await wait_until(lambda: session.window.status == "error")

    run_async(pop())
    assert session.window.banner.settings_button.isVisibleTo(session.window)


def test_fixing_the_settings_looks_up_the_waiting_caller(make_session: SessionFactory,
                                                         run_async: RunAsync,
                                                         sandbox: SandboxServer) -> None:
    session = make_session()

    async def pop() -> None:
        session.coordinator.pop(SimplePopRequest(KNOWN))
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
    assert session.window.number == KNOWN
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
            seen.add(session.window.number)

    run_async(simulate_twice())
    assert seen == {KNOWN, UNKNOWN}  # never the same caller twice in a row


def test_mapping_editor_changes_the_form(make_session: SessionFactory, run_async: RunAsync,
                                         sandbox: SandboxServer) -> None:
    session = make_session(_demo_overrides(sandbox))

    async def pop() -> None:
        session.coordinator.pop(SimplePopRequest(KNOWN))
        await wait_until(lambda: session.window.status == "found")
        await quiesce()

    run_async(pop())
    assert "City" in session.window.form.values()
    editor = session.open_mapping_editor()
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
        session.coordinator.pop(SimplePopRequest(KNOWN))
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
    session.window.showMinimized()

    async def pop() -> None:
        session.coordinator.pop(SimplePopRequest(KNOWN))
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
        session.coordinator.pop(SimplePopRequest(KNOWN))
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
        session.coordinator.pop(SimplePopRequest(KNOWN))  # still in flight at quit
        session.window.close()  # closing the window asks for the one shutdown path
        assert session.finished.is_set()
        await session.aclose()
        await quiesce(1.0)

    run_async(pop_then_quit())
    assert client.is_closed
    assert not session.server.is_listening()


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
    assert session.coordinator.snapshot()["number"] == KNOWN
    assert session.coordinator.snapshot()["source"] == "tel-link"


def test_saving_settings_mid_lookup_does_not_break_the_lookup(make_session: SessionFactory,
                                                              run_async: RunAsync,
                                                              sandbox: SandboxServer) -> None:
    # Saving Settings rebuilds the DeepCall client; the old one must not be closed under the
    # lookup still running on it (that surfaced as "something unexpected went wrong").
    session = make_session(_demo_overrides(sandbox))
    sandbox.add_fault("latency", action="contactInfo", ms=600)
    old = session.client

    async def pop_then_save() -> None:
        session.coordinator.pop(SimplePopRequest(KNOWN))
        await wait_until(lambda: any(r.action == "contactInfo" for r in sandbox.requests()))
        dialog = session.open_settings()
        dialog.brand_url.setText(sandbox.base_url)
        dialog.user_id.setText(DEMO_USER_ID)
        dialog.secret.setText(DEMO_TOKEN)
        dialog.save()
        assert session.client is not old
        await wait_until(lambda: session.window.status in ("found", "error"), 10)
        await quiesce()

    run_async(pop_then_save())
    assert session.window.status == "found", session.coordinator.snapshot()
    assert old is not None
    assert old.is_closed  # closed once its lookup had ended
