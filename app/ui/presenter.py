"""Connects the services to the window and the tray: it renders and relays, nothing more.

The only place that knows both sides' signals: the coordinator, the outbox, the account and
the counters poller emit; the presenter turns that into ``show_*`` calls. The window emits
requests; the presenter hands them to the service that owns them. Who the caller is, what is
queued and what is stale are the services' to know.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer

from app.api.errors import DeepCallApiError
from app.api.models import Counters, RecentCall
from app.core.screen_text import caller_line
from app.services.account import Account, AccountProblem
from app.services.counters_poller import CountersPoller
from app.services.note_drafts import NoteDrafts
from app.services.outbox import Outbox
from app.services.pop_coordinator import PopCoordinator
from app.services.pop_result import PopResult
from app.services.settings import Settings
from app.services.state_snapshot import caller_state
from app.ui.error_banner import ErrorAction, ErrorView
from app.ui.main_window import MainWindow
from app.ui.tray import Tray

log = logging.getLogger(__name__)

# Save the note draft this long after the last keystroke (and at once when the caller changes).
DRAFT_SAVE_DELAY_MS = 500


class WindowPresenter(QObject):
    def __init__(self, window: MainWindow, coordinator: PopCoordinator, outbox: Outbox,
                 drafts: NoteDrafts, account: Account, *, poller: CountersPoller | None = None,
                 tray: Tray | None = None, settings: Settings | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.coordinator = coordinator
        self.outbox = outbox
        self.drafts = drafts
        self.account = account
        self.tray = tray
        self.settings = settings
        self._waiting_message = ""

        coordinator.callerLeaving.connect(self._on_caller_leaving)
        coordinator.popReceived.connect(self._on_pop_received)
        coordinator.contactFound.connect(self._on_result)
        coordinator.callerUnknown.connect(self._on_result)
        coordinator.lookupFailed.connect(self._on_failed)
        coordinator.recentCallsChanged.connect(self._on_recent_calls)
        coordinator.lookupRestarted.connect(self._on_lookup_restarted)
        outbox.noteSent.connect(self._on_note_sent)
        outbox.noteFailed.connect(self._on_note_failed)
        account.changed.connect(self._on_account_changed)
        account.problem.connect(self._on_account_problem)
        account.waiting.connect(self._on_account_waiting)
        account.settled.connect(self._on_account_settled)
        window.retry_requested.connect(coordinator.retry)
        window.note_send_requested.connect(self._on_send_note)
        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_SAVE_DELAY_MS)
        self._draft_timer.timeout.connect(self.save_note_draft)
        window.notes.editor.textChanged.connect(self._draft_timer.start)
        if poller is not None:
            poller.countersChanged.connect(self._on_counters)
            poller.countersFailed.connect(self._on_counters_failed)

    def state(self) -> dict[str, object]:
        """The ``screenpop state`` answer: the current caller plus what the window shows."""
        snapshot = caller_state(self.coordinator.current)
        snapshot["window_visible"] = self.window.isVisible()
        snapshot["window_status"] = self.window.status
        return snapshot

    def pop_behaviour(self) -> str:
        behaviour = self.settings.pop_behaviour if self.settings is not None else "raise"
        if behaviour == "tray_only" and (self.tray is None or not self.tray.available()):
            return "raise"  # no tray on this desktop: a silent pop would be a missed caller
        return behaviour

    # --- account -> window ----------------------------------------------------------------
    def _on_account_changed(self) -> None:
        if self.account.client is not None and self.coordinator.current is None:
            self.window.show_idle()  # set up now: "waiting for a call", not "not set up"

    def _on_account_waiting(self, message: str) -> None:
        self._waiting_message = message
        self.window.statusBar().showMessage(message)

    def _on_account_settled(self) -> None:
        status = self.window.statusBar()
        if self._waiting_message and status.currentMessage() == self._waiting_message:
            status.clearMessage()  # the keyring answered: the notice is no longer true
        self._waiting_message = ""

    def _on_account_problem(self, problem: AccountProblem) -> None:
        self.window.show_setup_needed(ErrorView(problem.message, ErrorAction.OPEN_SETTINGS))
        self.window.counters.show_unavailable(problem.message)

    # --- coordinator -> window ----------------------------------------------------------
    def _on_caller_leaving(self, number: str) -> None:
        self._draft_timer.stop()
        self.drafts.save(number, self.window.notes.editor.toPlainText())

    def _on_pop_received(self, number: str, formatted: str, _call_id: object) -> None:
        self.window.show_pop_received(formatted, note_draft=self.drafts.load(number))
        self._draft_timer.stop()  # the draft just shown is already saved
        behaviour = self.pop_behaviour()
        if self.tray is not None:
            self.tray.set_state("loading", formatted)
            if behaviour == "tray_only":
                self.tray.notify("Incoming call", f"{formatted} — looking up…")
        self.window.bring_forward(behaviour)

    def _on_lookup_restarted(self, result: PopResult) -> None:
        self.window.show_lookup_restarted(result.formatted)
        if self.tray is not None:
            self.tray.set_state("loading", result.formatted)

    def _on_result(self, result: PopResult) -> None:
        if result.view is None:
            return
        calls: tuple[RecentCall, ...] | None = None if result.recent_calls_pending \
            else result.recent_calls
        self.window.show_contact(result.view, calls)
        if result.recent_calls_error is not None and not result.recent_calls_pending:
            self.window.show_recent_calls_unavailable(result.recent_calls_error.user_message)
        if self.tray is not None:
            who = result.caller_name or ("New caller" if result.status == "unknown" else "")
            last = caller_line(who, result.formatted)
            self.tray.set_state(result.status, last)
            if self.pop_behaviour() == "tray_only":
                self.tray.notify("Caller", last)

    def _on_failed(self, result: PopResult) -> None:
        if result.error is None:
            return
        self.window.show_error(result.error)
        if self.tray is not None:
            self.tray.set_state("error", result.formatted)
            if self.pop_behaviour() == "tray_only":
                # The message itself: the banner's text has break points for a narrow window.
                view = self.window.error_view
                self.tray.notify("Lookup failed", f"{result.formatted}: "
                                 f"{view.message if view is not None else ''}")

    def _on_recent_calls(self, _number: str, calls: tuple[RecentCall, ...]) -> None:
        current = self.coordinator.current
        error = current.recent_calls_error if current is not None else None
        if error is not None and not calls:
            self.window.show_recent_calls_unavailable(error.user_message)
        else:
            self.window.show_recent_calls(calls)

    def _on_counters(self, counters: Counters) -> None:
        self.window.counters.show_counters(counters)

    def _on_counters_failed(self, error: DeepCallApiError) -> None:
        self.window.counters.show_unavailable(getattr(error, "user_message", str(error)))

    # --- notes --------------------------------------------------------------------------
    def save_note_draft(self) -> None:
        """Keep the note box's text as the shown caller's draft (survives a pop or a crash)."""
        self._draft_timer.stop()
        current = self.coordinator.current
        if current is not None:
            self.drafts.save(current.number, self.window.notes.editor.toPlainText())

    def _on_send_note(self, text: str) -> None:
        target = self.coordinator.note_target()
        if target is None:
            self.window.note_failed("There is no caller to attach the note to yet.")
            return
        try:
            self.outbox.add_note(target, text)
        except Exception:  # e.g. a full disk: the text stays in the box, the button works again
            log.exception("could not keep the note in the local outbox")
            self.window.note_failed("The note could not be saved on this computer, so it was "
                                    "not sent. Your text is still here.")

    def _is_shown(self, number: str) -> bool:
        current = self.coordinator.current
        return current is not None and current.number == number

    def _on_note_sent(self, _note_id: int, number: str, text: str) -> None:
        # Only the note box of the caller it belongs to changes: another caller's box may hold
        # the same words, still unsent.
        if self._is_shown(number):
            self.window.note_sent(text)

    def _on_note_failed(self, _note_id: int, number: str, message: str) -> None:
        if self._is_shown(number):
            self.window.note_failed(message)
        else:
            self.window.statusBar().showMessage(f"An earlier caller's note: {message}", 10000)
