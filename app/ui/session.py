"""One running app: builds the object graph around the window and owns its single shutdown.

The bootstrap (``app.commands.gui``) parses arguments, claims the single instance and starts the
event loop; this class does the rest: credentials -> DeepCall client -> coordinator/poller ->
window, tray, local socket, dialogs, and ``aclose()``, the one path that ends it all.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sys
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication

from app.api.auth import Auth
from app.api.client import DeepCallClient, Timeouts
from app.api.errors import DeepCallApiError
from app.api.models import Counters
from app.core.field_mapping import FieldMapping
from app.core.pop_request import PopRequest
from app.services.counters_poller import CountersPoller
from app.services.credentials import (
    CredentialOverrides,
    CredentialsMissing,
    ResolvedCredentials,
    resolve_credentials,
)
from app.services.logs import log_event, register_secrets
from app.services.mapping_store import load_active_mapping, save_active_mapping
from app.services.pop_coordinator import PopCoordinator, SimplePopRequest
from app.services.secrets import SecretStore, SecretsUnavailable
from app.services.settings import Settings
from app.services.store import LocalStore
from app.sources.clipboard import ClipboardWatcher, background_note
from app.sources.clipboard_filter import WatchMode
from app.sources.local_server import LocalSocketServer
from app.sources.url_open import UrlOpenFilter
from app.ui.crash_dialog import CrashReporter
from app.ui.error_banner import ErrorAction, ErrorView
from app.ui.main_window import MainWindow
from app.ui.mapping_editor import MappingEditor
from app.ui.presenter import WindowPresenter
from app.ui.screenshot_hook import ScreenshotHook
from app.ui.settings_dialog import SettingsDialog
from app.ui.tray import Tray

log = logging.getLogger(__name__)


@dataclass
class SessionOptions:
    profile_dir: Path
    log_file: Path
    overrides: CredentialOverrides = field(default_factory=CredentialOverrides)
    secrets: SecretStore = field(default_factory=SecretStore)
    demo: bool = False
    demo_numbers: Sequence[str] = ()  # E.164 numbers "Simulate incoming call" picks from


class AppSession(QObject):
    def __init__(self, options: SessionOptions) -> None:
        super().__init__()
        self.options = options
        self.profile_dir = options.profile_dir
        self.settings = Settings(options.profile_dir)
        self.secrets = options.secrets
        self.client: DeepCallClient | None = None
        self.finished = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._random = random.Random()  # picks demo callers: nothing secret
        self._dialog: SettingsDialog | None = None
        self._closing = False

        mapping, mapping_warning = load_active_mapping(options.profile_dir)
        self.store = LocalStore.in_profile(options.profile_dir)
        s = self.settings
        self.coordinator = PopCoordinator(None, mapping, self.store,
                                          dedupe_seconds=s.dedupe_seconds,
                                          cache_seconds=s.cache_seconds)
        self.poller = CountersPoller(None, s.counters_refresh_seconds)
        self.window = MainWindow(s, demo=options.demo)
        self.tray = Tray(demo=options.demo)
        self.presenter = WindowPresenter(self.window, self.coordinator, self.poller, self.tray, s)
        self.crash = CrashReporter(options.log_file, lambda: self.window)
        self.server = LocalSocketServer(options.profile_dir, self.state,
                                        default_region=s.default_region)
        self.clipboard = ClipboardWatcher(mode=WatchMode(s.clipboard_mode),
                                          default_region=s.default_region,
                                          enabled=s.clipboard_enabled, parent=self)
        # macOS hands tel: links to a running app as open-URL events, not on a command line;
        # installed before the loop runs so the link that launched the app is not missed.
        # Only there: a filter on the application sees every event of every object, a cost
        # the other platforms (tel: arrives as `screenpop tel:...`) have no reason to pay.
        self.url_open = UrlOpenFilter(s.default_region, parent=self)
        app = QApplication.instance()
        if app is not None and sys.platform == "darwin":
            self.url_open.install(app)
        self.screenshots = ScreenshotHook.from_environment(self.window)
        self._connect()
        if mapping_warning:
            self.window.statusBar().showMessage(mapping_warning)

    # --- wiring -------------------------------------------------------------------------
    def _connect(self) -> None:
        w = self.window
        w.settings_requested.connect(self.open_settings)
        w.mapping_editor_requested.connect(self.open_mapping_editor)
        w.simulate_call_requested.connect(self.simulate_call)
        w.quit_requested.connect(self.request_quit)
        w.open_log_folder_requested.connect(self._open_log_folder)
        self.tray.show_requested.connect(lambda: w.bring_forward("raise"))
        self.tray.settings_requested.connect(self.open_settings)
        self.tray.simulate_requested.connect(self.simulate_call)
        self.tray.quit_requested.connect(self.request_quit)
        self.server.popRequested.connect(self._on_socket_pop)
        self.url_open.popRequested.connect(self._on_socket_pop)
        self.url_open.linkRejected.connect(w.statusBar().showMessage)
        self.server.showRequested.connect(lambda: w.bring_forward("raise"))
        self.clipboard.numberCopied.connect(self._on_number_copied)
        if self.screenshots is not None:
            w.state_changed.connect(self.screenshots.on_state)

    def state(self) -> dict[str, object]:
        """The ``screenpop state`` answer: the coordinator's view plus what the window shows."""
        snapshot = self.coordinator.snapshot()
        snapshot["window_visible"] = self.window.isVisible()
        snapshot["window_status"] = self.window.status
        return snapshot

    # --- start --------------------------------------------------------------------------
    def start(self) -> None:
        self.crash.install(asyncio.get_running_loop())
        if not self.server.start():
            self.window.statusBar().showMessage(
                "Another program holds this profile's socket: softphone pops and "
                "`screenpop state` will not reach this window.")
        self.window.show()
        self.tray.show()
        self._note_clipboard_limits()
        configured = self.configure()
        if not configured and not self.options.overrides.brand_url \
                and not self.settings.is_configured():
            self.open_settings(first_start=True)  # first start: the dialog, not a failure

    def _note_clipboard_limits(self) -> None:
        note = background_note() if self.settings.clipboard_enabled else None
        if note:
            self.window.statusBar().showMessage(note)

    def configure(self) -> bool:
        """(Re)build the DeepCall client from overrides, settings and the keyring."""
        try:
            credentials = resolve_credentials(self.options.overrides, self.settings,
                                              self.secrets)
        except (CredentialsMissing, SecretsUnavailable) as exc:
            self._set_client(None)
            self.window.show_setup_needed(ErrorView(exc.user_message, ErrorAction.OPEN_SETTINGS))
            self.window.counters.show_unavailable(exc.user_message)
            return False
        try:
            client = self._make_client(credentials.brand_url, credentials.auth)
        except DeepCallApiError as exc:  # e.g. a brand address that is not https
            self._set_client(None)
            self.window.show_setup_needed(ErrorView(exc.user_message, ErrorAction.OPEN_SETTINGS))
            self.window.counters.show_unavailable(exc.user_message)
            return False
        self._set_client(client, credentials)
        return True

    def _make_client(self, brand_url: str, auth: Auth) -> DeepCallClient:
        s = self.settings
        return DeepCallClient(brand_url, auth, timeouts=Timeouts(
            connect=s.connect_timeout_seconds, total=s.total_timeout_seconds))

    def _set_client(self, client: DeepCallClient | None,
                    credentials: ResolvedCredentials | None = None) -> None:
        old = self.client
        self.client = client
        if credentials is not None:
            register_secrets(credentials.auth.secrets())  # redacted from every log line
        self.coordinator.set_client(client)
        self.poller.set_client(client)
        if client is not None:
            self.poller.start()
            self.coordinator.retry_notes()  # notes a previous run could not send
            view = self.window.error_view
            # The account works now: look up the caller that could not be, if any.
            if view is not None and view.action is ErrorAction.OPEN_SETTINGS \
                    and not self.coordinator.retry():
                self.window.show_idle()
        else:
            self.poller.stop()
        if old is not None and old is not client:
            self._spawn(old.aclose_when_idle())  # a lookup or note may still be running on it

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- pops ---------------------------------------------------------------------------
    def _on_socket_pop(self, request: PopRequest) -> None:
        self.coordinator.pop(request)

    def _on_number_copied(self, e164: str) -> None:
        self.coordinator.pop(SimplePopRequest(e164, None, "clipboard"))

    def simulate_call(self) -> None:
        numbers = [n for n in self.options.demo_numbers if n != self.window.number]
        if not numbers:
            return
        number = self._random.choice(numbers)
        self.coordinator.pop(SimplePopRequest(number, None, "demo"))

    # --- dialogs (open() + signals: never exec() inside the running loop) ---------------
    def open_settings(self, first_start: bool = False) -> SettingsDialog:
        if self._dialog is not None and self._dialog.isVisible():
            self._dialog.raise_()
            return self._dialog
        dialog = SettingsDialog(self.settings, self.secrets, self.test_connection, self.window,
                                first_start=first_start or not self.settings.is_configured())
        if self.options.demo:
            dialog.setWindowTitle("Screen-Pop settings (demo: the sandbox account is used)")
        dialog.saved.connect(self._on_settings_saved)
        self._dialog = dialog
        dialog.open()
        return dialog

    def _on_settings_saved(self) -> None:
        s = self.settings
        self.coordinator.dedupe_seconds = s.dedupe_seconds
        self.coordinator.cache_seconds = s.cache_seconds
        self.poller.set_interval(s.counters_refresh_seconds)
        self.server.default_region = s.default_region
        self.url_open.set_default_region(s.default_region)
        self.clipboard.set_mode(WatchMode(s.clipboard_mode))
        self.clipboard.set_default_region(s.default_region)
        self.clipboard.set_enabled(s.clipboard_enabled)
        self._note_clipboard_limits()
        log_event(log, "settings_saved")
        self.configure()

    async def test_connection(self, brand_url: str, auth: Auth) -> Counters:
        register_secrets(auth.secrets())
        async with self._make_client(brand_url, auth) as client:
            return await client.counters()

    def open_mapping_editor(self) -> MappingEditor:
        editor = MappingEditor(self.coordinator.mapping, self.window)
        editor.mapping_saved.connect(self._on_mapping_saved)
        editor.open()
        return editor

    def _on_mapping_saved(self, mapping: FieldMapping) -> None:
        try:
            path = save_active_mapping(self.profile_dir, mapping)
        except OSError as exc:
            self.window.statusBar().showMessage(
                f"The field mapping could not be saved: {exc.strerror or exc}")
            return
        self.coordinator.set_mapping(mapping)
        self.window.statusBar().showMessage(f"Field mapping saved to {path}", 8000)

    def _open_log_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.options.log_file.parent)))

    # --- the one shutdown path ----------------------------------------------------------
    def request_quit(self) -> None:
        self.finished.set()

    async def aclose(self) -> None:
        """Stop taking input, cancel every task, close the HTTP client; idempotent."""
        if self._closing:
            return
        self._closing = True
        self.server.close()
        self.clipboard.release()
        self.window.save_geometry()
        self.presenter.save_note_draft()
        self.window.quitting = True
        if self._dialog is not None:
            self._dialog.done(0)
        self.window.close()
        self.tray.hide()
        await self.poller.shutdown()
        await self.coordinator.shutdown()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.client is not None:
            await self.client.aclose()
        self.store.close()
        self.crash.uninstall()
        app = QApplication.instance()
        if app is not None:
            self.url_open.uninstall(app)
            app.processEvents()
