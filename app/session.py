"""The composition root of the desktop app: it builds the object graph, wires it, starts it and
closes it. It decides nothing: every rule lives in the object that owns it.

``build_session(options)`` is the one way the graph is made, for the app (``app.commands.gui``)
and for the tests, which pass test doubles (an in-memory keyring, an account with a client of
their own) instead of the real parts. A number's path: a source (local socket, clipboard,
``tel:`` link, demo) -> ``PopCoordinator.pop`` -> ``CallerLookup`` on the account's client ->
``PopResult`` -> ``WindowPresenter`` -> window. A note's path: window -> presenter ->
``Outbox.add_note`` (stored first) -> notesAdd. An edit's path: form -> presenter ->
``ContactEdits`` (drafts; Save queues them in the outbox) -> Directory update/create ->
``Outbox.saveDelivered`` -> ``PopCoordinator.apply_saved`` -> window.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from PySide6.QtWidgets import QApplication

from app.api.client import DeepCallClient
from app.core.network_folder import network_profile_notice
from app.services.account import ACCOUNT_SETTINGS, Account
from app.services.call_actions import CallActions
from app.services.call_tracker import CallTracker, waiting_message
from app.services.contact_edits import ContactEdits
from app.services.counters_poller import CountersPoller
from app.services.credentials import CredentialOverrides
from app.services.demo_calls import DemoCalls
from app.services.logs import number_masker
from app.services.lookup_cache import LookupCache
from app.services.mapping_store import ActiveMapping
from app.services.note_drafts import NoteDrafts
from app.services.outbox import CREATE, Outbox
from app.services.pop_coordinator import PopCoordinator
from app.services.pop_history import HistoryRetention, PopHistory
from app.services.preset import Preset
from app.services.secrets import SecretStore
from app.services.settings import Settings
from app.services.store import LocalStore
from app.sources.clipboard import ClipboardWatcher
from app.sources.local_server import LocalSocketServer
from app.sources.socket_keeper import SocketKeeper
from app.sources.url_open import UrlOpenFilter
from app.ui.crash_dialog import CrashReporter
from app.ui.dialogs import Dialogs
from app.ui.history_panel import HistoryController, install_history
from app.ui.macos_app_nap import AppNapGuard
from app.ui.main_window import MainWindow
from app.ui.outbox_status import OutboxStatus
from app.ui.presenter import WindowPresenter
from app.ui.screenshot_hook import ScreenshotHook
from app.ui.tray import Tray

log = logging.getLogger("app.session")

# How long the status bar says a call is waiting (it may ring that long, then end or wait on).
ANNOUNCEMENT_MS: Final = 30_000


@dataclass
class SessionOptions:
    profile_dir: Path
    log_file: Path
    overrides: CredentialOverrides = field(default_factory=CredentialOverrides)
    secrets: SecretStore = field(default_factory=SecretStore)
    demo: bool = False
    demo_numbers: Sequence[str] = ()  # E.164 numbers "Simulate incoming call" picks from
    preset: Preset | None = None  # the IT preset; None: the one this process finds


@dataclass
class AppSession:
    """Every part of one running app, and the one way to start and to end it."""

    options: SessionOptions
    settings: Settings
    store: LocalStore
    account: Account
    mapping: ActiveMapping
    history: PopHistory
    cache: LookupCache
    coordinator: PopCoordinator
    outbox: Outbox
    drafts: NoteDrafts
    edits: ContactEdits
    poller: CountersPoller
    window: MainWindow
    tray: Tray
    presenter: WindowPresenter
    dialogs: Dialogs
    crash: CrashReporter
    server: LocalSocketServer
    clipboard: ClipboardWatcher
    url_open: UrlOpenFilter
    demo: DemoCalls
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    _closing: bool = False
    _follows_app: QApplication | None = None  # whose end-of-session signals start() connected
    calls: CallTracker = field(init=False)
    actions: CallActions = field(init=False)
    # History retention and panel, what waits in the outbox (issue 10, part H).
    retention: HistoryRetention = field(init=False)
    history_ui: HistoryController = field(init=False)
    outbox_status: OutboxStatus = field(init=False)
    # The socket file kept where clients look for it, swept or not (issue 13, part MAC).
    keeper: SocketKeeper = field(init=False)
    app_nap: AppNapGuard = field(init=False)  # macOS: not napped while waiting for calls

    @property
    def profile_dir(self) -> Path:
        return self.options.profile_dir

    @property
    def client(self) -> DeepCallClient | None:
        return self.account.client

    def state(self) -> dict[str, object]:
        return {**self.presenter.state(), **self.calls.state(),
                **self.outbox_status.state(), "history": self.history.recent()}

    def start(self) -> None:
        self.crash.install(asyncio.get_running_loop())
        if not self.server.start():  # the server says why in plain words
            problem = self.server.errorString()
            said = f"{problem[:1].upper()}{problem[1:].rstrip('.')}."
            bar = self.window.statusBar()
            bar.showMessage(said)
            self.server.listening.connect(
                lambda: bar.clearMessage() if bar.currentMessage() == said else None)
        self.keeper.start()
        self.app_nap.hold()
        self.window.show()
        self.tray.show()
        self.clipboard.set_enabled(self.settings.clipboard_enabled)
        self.account.reload()  # the keyring is read off the UI thread; pops wait for it
        self.retention.start()
        # Qt's own quit (Windows' log-off or shut-down, an update's Restart Manager) ends the
        # app the way the tray's Quit does, never as a crash.
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.commitDataRequest.connect(self.desktop_session_ending)
            app.aboutToQuit.connect(self.request_quit)
            self._follows_app = app

    def request_quit(self) -> None:
        self.finished.set()

    def desktop_session_ending(self, _manager: object = None) -> None:
        """Windows asks before it ends the session: what was typed is written at once (the
        process may be ended when the end-of-session message returns), then the usual quit."""
        if not self._closing:
            self.presenter.keep_drafts()
        self.request_quit()

    async def aclose(self) -> None:
        """Stop taking input, cancel every task, close the HTTP clients; idempotent."""
        if self._closing:
            return
        self._closing = True
        # Inputs first: no pop, link or account change may start anything during shutdown.
        await self.account.stop()
        self.keeper.stop()  # closing removes the socket file: not a sweep to undo
        self.server.close()
        self.app_nap.release()
        self.clipboard.release()
        app = QApplication.instance()
        if app is not None:
            self.url_open.uninstall(app)
        if self._follows_app is not None:
            self._follows_app.commitDataRequest.disconnect(self.desktop_session_ending)
            self._follows_app.aboutToQuit.disconnect(self.request_quit)
            self._follows_app = None
        self.window.save_geometry()
        self.presenter.keep_drafts()
        self.window.quitting = True
        self.dialogs.close()
        self.retention.stop()
        self.outbox_status.close()
        self.window.close()
        self.tray.hide()
        await self.poller.shutdown()
        await self.coordinator.shutdown()
        await self.outbox.shutdown()
        await self.account.aclose()
        self.store.close()
        self.crash.uninstall()
        if app is not None:
            app.processEvents()


def build_session(options: SessionOptions, *, account: Account | None = None) -> AppSession:
    """The whole app for ``options``; ``account`` replaces the real one (tests)."""
    profile = options.profile_dir
    settings = Settings(profile, preset=options.preset)
    number_masker.set_full_numbers(settings.log_full_numbers)  # numbers in the logs: 4 digits
    settings.watch("log_full_numbers", number_masker.set_full_numbers)
    store = LocalStore.in_profile(profile)
    if account is None:
        account = Account(settings, options.secrets, options.overrides)
        for name in ACCOUNT_SETTINGS:
            settings.watch(name, lambda _value: account.reload())
    mapping = ActiveMapping(profile, preset=settings.preset)
    history = PopHistory(store)
    cache = LookupCache(settings.cache_seconds)
    coordinator = PopCoordinator(account, mapping.mapping, history, cache,
                                 dedupe_seconds=settings.dedupe_seconds)
    outbox = Outbox(store, account)
    drafts = NoteDrafts(store, outbox)
    edits = ContactEdits(store, outbox)
    poller = CountersPoller(None, settings.counters_refresh_seconds)
    window = MainWindow(settings, demo=options.demo)
    tray = Tray(demo=options.demo)
    presenter = WindowPresenter(window, coordinator, outbox, drafts, account, edits=edits,
                                poller=poller, tray=tray, settings=settings)
    dialogs = Dialogs(window, settings, options.secrets, account, mapping,
                      options.log_file.parent, demo=options.demo,
                      run_brand=None if options.demo else options.overrides.brand_url)
    crash = CrashReporter(options.log_file, lambda: window)
    server = LocalSocketServer(profile, lambda: session.state(),
                               default_region=settings.default_region)
    clipboard = ClipboardWatcher(mode=settings.clipboard_mode,
                                 default_region=settings.default_region, enabled=False)
    url_open = UrlOpenFilter(settings.default_region)
    demo = DemoCalls(coordinator, options.demo_numbers)
    session = AppSession(options, settings, store, account, mapping, history, cache,
                         coordinator, outbox, drafts, edits, poller, window, tray, presenter,
                         dialogs, crash, server, clipboard, url_open, demo)

    # Numbers in: every source hands its PopRequest (a call ringing) to the call tracker,
    # which pops it unless its call is known; the socket's call events go there too.
    session.calls = calls = CallTracker(coordinator, history)
    for source in (server, clipboard, url_open):
        source.popRequested.connect(calls.pop)
    server.callEventReceived.connect(calls.handle_event)
    # The shown call in the header; its end starts the wrap-up (the window may go back).
    calls.callChanged.connect(window.show_call)
    calls.callEnded.connect(window.wrap_up.call_ended)
    calls.callEnded.connect(window.pop_level.back_to_normal)  # macOS: no longer floats
    # A call ringing while the agent is in another is said, never shown over their call.
    calls.callWaiting.connect(lambda request: _announce(session, waiting_message(request)))
    session.actions = actions = CallActions(settings, coordinator, calls)
    calls.eventHandled.connect(actions.on_event)
    window.caller_page.use(actions)
    window.simulate_call_requested.connect(demo.simulate)
    tray.simulate_requested.connect(demo.simulate)
    # Each setting reaches the one object it configures.
    settings.watch("dedupe_seconds", coordinator.set_dedupe_seconds)
    settings.watch("cache_seconds", cache.set_seconds)
    settings.watch("counters_refresh_seconds", poller.set_interval)
    for consumer in (server, clipboard, url_open):
        settings.watch("default_region", consumer.set_default_region)
    settings.watch("clipboard_enabled", clipboard.set_enabled)
    settings.watch("clipboard_mode", clipboard.set_mode)
    account.changed.connect(lambda: poller.use_client(account.client))
    # DeepCall answered (a lookup, recent calls, the counters): what waits is sent at once.
    account.answered.connect(outbox.deepcall_answered)
    account.problem.connect(dialogs.open_settings_for)
    mapping.changed.connect(coordinator.set_mapping)
    # A save DeepCall accepted: the form, the cache and the header show the saved values.
    outbox.saveDelivered.connect(lambda _id, number, saved, kind: coordinator.apply_saved(
        number, saved, kind == CREATE))
    # The window's requests.
    window.settings_requested.connect(dialogs.open_settings)
    window.mapping_editor_requested.connect(dialogs.open_mapping_editor)
    window.open_log_folder_requested.connect(dialogs.open_log_folder)
    window.quit_requested.connect(session.request_quit)
    tray.show_requested.connect(window.show_and_raise)
    tray.settings_requested.connect(dialogs.open_settings)
    tray.quit_requested.connect(session.request_quit)
    server.showRequested.connect(window.show_and_raise)
    session.keeper = keeper = SocketKeeper(server)
    keeper.problem.connect(window.statusBar().showMessage)
    session.app_nap = AppNapGuard()
    url_open.linkRejected.connect(window.statusBar().showMessage)
    clipboard.notice.connect(window.notices.say)
    if mapping.warning:
        window.notices.say(mapping.warning)
    _say_if_the_profile_is_on_the_network(session)
    screenshots = ScreenshotHook.from_environment(window)
    if screenshots is not None:
        window.state_changed.connect(screenshots.on_state)
    _wire_history_and_outbox_status(session)
    # macOS hands tel: links to a running app as open-URL events, not on a command line;
    # installed before the loop runs so the link that launched the app is not missed. Only
    # there: a filter on the application sees every event of every object, a cost the other
    # platforms (tel: arrives as `screenpop tel:...`) have no reason to pay.
    app = QApplication.instance()
    if app is not None and sys.platform == "darwin":
        url_open.install(app)
    return session


def _say_if_the_profile_is_on_the_network(session: AppSession) -> None:
    """Once per start, in the log and the status bar: the store runs without WAL there, and
    IT should know what to change (after a mapping warning, never instead of it)."""
    location = session.store.network_location
    if not location:
        return
    notice = network_profile_notice(session.profile_dir, location,
                                    wal_left=session.store.wal_left)
    log.warning("%s", notice)
    session.window.notices.say(notice)


def _announce(session: AppSession, message: str) -> None:
    session.window.statusBar().showMessage(message, ANNOUNCEMENT_MS)
    session.tray.notify("Screen-Pop", message)


def _wire_history_and_outbox_status(session: AppSession) -> None:
    """The history panel (Ctrl+H) and its retention; the outbox's counts in the status bar,
    the tray and ``state`` (issue 10, part H)."""
    session.history.end_interrupted()  # before any pop: sources start in ``start()``
    session.retention = HistoryRetention(session.history, session.settings.history_days)
    session.settings.watch("history_days", session.retention.set_days)
    session.history_ui = install_history(session.window, session.history, session.coordinator)
    session.history_ui.callerForgotten.connect(session.presenter.forget_typing)
    session.outbox.countsChanged.connect(session.history_ui.refresh_if_shown)
    # "unsaved changes" follows the drafts: written while typing, or back after a refusal.
    session.presenter.draftsWritten.connect(session.history_ui.refresh_marks_if_shown)
    session.edits.problemsChanged.connect(session.history_ui.refresh_marks_if_shown)
    session.history_ui.callerForgotten.connect(session.cache.forget)
    session.outbox_status = OutboxStatus(session.outbox, session.window, session.tray)
