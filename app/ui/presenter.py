"""Connects the pop coordinator and counters poller to the window and the tray.

The only place that knows both sides' signals: the coordinator emits results, the presenter
turns them into ``show_*`` calls; the window emits requests, the presenter forwards them.
Widgets stay thin and the coordinator stays free of widgets.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer

from app.api.errors import DeepCallApiError
from app.api.models import Counters, RecentCall
from app.services.counters_poller import CountersPoller
from app.services.pop_coordinator import PopCoordinator, PopResult
from app.services.settings import Settings
from app.ui.main_window import MainWindow
from app.ui.tray import Tray

log = logging.getLogger(__name__)

# Save the note draft this long after the last keystroke (and at once when the caller changes).
DRAFT_SAVE_DELAY_MS = 500


class WindowPresenter(QObject):
    def __init__(self, window: MainWindow, coordinator: PopCoordinator,
                 poller: CountersPoller | None = None, tray: Tray | None = None,
                 settings: Settings | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.coordinator = coordinator
        self.poller = poller
        self.tray = tray
        self.settings = settings
        # (caller number, note text) -> outbox id, for Retry: the same words typed for another
        # caller are that caller's own note, never a retry of this one.
        self._failed_notes: dict[tuple[str, str], int] = {}
        self._note_numbers: dict[int, str] = {}  # outbox id -> caller, for notes sent from here

        coordinator.popReceived.connect(self._on_pop_received)
        coordinator.contactFound.connect(self._on_result)
        coordinator.callerUnknown.connect(self._on_result)
        coordinator.lookupFailed.connect(self._on_failed)
        coordinator.recentCallsChanged.connect(self._on_recent_calls)
        coordinator.noteSent.connect(self._on_note_sent)
        coordinator.noteFailed.connect(self._on_note_failed)
        window.retry_requested.connect(self._on_retry)
        window.note_send_requested.connect(self._on_send_note)
        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_SAVE_DELAY_MS)
        self._draft_timer.timeout.connect(self.save_note_draft)
        window.notes.editor.textChanged.connect(self._draft_timer.start)
        if poller is not None:
            poller.countersChanged.connect(self._on_counters)
            poller.countersFailed.connect(self._on_counters_failed)

    def pop_behaviour(self) -> str:
        behaviour = self.settings.pop_behaviour if self.settings is not None else "raise"
        if behaviour == "tray_only" and (self.tray is None or not self.tray.available()):
            return "raise"  # no tray on this desktop: a silent pop would be a missed caller
        return behaviour

    # --- coordinator -> window ----------------------------------------------------------
    def _on_pop_received(self, number: str, formatted: str, call_id: object) -> None:
        self.save_note_draft()  # the previous caller's half-typed note stays with them
        self.window.show_pop_received(number, formatted,
                                      call_id if isinstance(call_id, str) else None,
                                      note_draft=self._load_draft(number))
        self._draft_timer.stop()  # the draft just shown is already saved
        behaviour = self.pop_behaviour()
        if self.tray is not None:
            self.tray.set_state("loading", formatted)
            if behaviour == "tray_only":
                self.tray.notify("Incoming call", f"{formatted} — looking up…")
        self.window.bring_forward(behaviour)

    def _on_result(self, result: PopResult) -> None:
        if result.number != self.window.number or result.view is None:
            return
        calls: tuple[RecentCall, ...] | None = None if result.recent_calls_pending \
            else result.recent_calls
        self.window.show_contact(result.view, calls)
        if result.recent_calls_error is not None and not result.recent_calls_pending:
            self.window.show_recent_calls_unavailable(result.recent_calls_error.user_message)
        if self.tray is not None:
            who = result.caller_name or ("New caller" if result.status == "unknown" else "")
            last = f"{who} ({result.formatted})" if who else result.formatted
            self.tray.set_state(result.status, last)
            if self.pop_behaviour() == "tray_only":
                self.tray.notify("Caller", last)

    def _on_failed(self, result: PopResult) -> None:
        if result.number != self.window.number or result.error is None:
            return
        self.window.show_error(result.error)
        if self.tray is not None:
            self.tray.set_state("error", result.formatted)
            if self.pop_behaviour() == "tray_only":
                self.tray.notify("Lookup failed", f"{result.formatted}: "
                                 f"{self.window.banner.message.text()}")

    def _on_recent_calls(self, number: str, calls: object) -> None:
        if number != self.window.number or not isinstance(calls, tuple):
            return
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
        number = self.window.number
        if not number:
            return
        try:
            text = self.window.notes.editor.toPlainText()
            store = self.coordinator.store
            if text.strip() and any(note.content == text.strip()
                                    for note in store.pending_notes(number)):
                # Already in the outbox (sending, or failed and kept): as a draft too it would
                # come back in the box once sent, and be sent a second time.
                text = ""
            store.save_draft(number, text)
        except Exception:  # a draft is a convenience; the text is still in the box
            log.exception("could not save the note draft")

    def _load_draft(self, number: str) -> str:
        try:
            return self.coordinator.store.load_draft(number)
        except Exception:
            log.exception("could not read the note draft")
            return ""

    def _on_send_note(self, text: str) -> None:
        failed_id = self._failed_notes.pop((self.window.number, text), None)
        if failed_id is not None and self.coordinator.store.note(failed_id) is not None:
            # This caller's same text already waits in the outbox: send that one again,
            # never twice.
            self.coordinator.retry_notes()
            return
        try:
            note_id = self.coordinator.add_note(text)
        except Exception:  # e.g. a full disk: the text stays in the box, the button works again
            log.exception("could not keep the note in the local outbox")
            self.window.note_failed("The note could not be saved on this computer, so it was "
                                    "not sent. Your text is still here.")
            return
        if note_id is None:
            self.window.note_failed("There is no caller to attach the note to yet.")
        else:
            self._note_numbers[note_id] = self.window.number

    def _on_note_sent(self, note_id: int, text: str) -> None:
        self._failed_notes = {k: v for k, v in self._failed_notes.items() if v != note_id}
        # Only the note box of the caller it belongs to changes: another caller's box may hold
        # the same words, still unsent.
        if self._note_numbers.pop(note_id, None) == self.window.number:
            self.window.note_sent(text)

    def _on_note_failed(self, note_id: int, message: str) -> None:
        note = self.coordinator.store.note(note_id)
        if note is None:
            return
        self._failed_notes[(note.number, note.content)] = note_id
        self._note_numbers[note_id] = note.number
        if note.number == self.window.number:
            self.window.note_failed(message)
        else:
            self.window.statusBar().showMessage(f"An earlier caller's note: {message}", 10000)

    # --- window -> coordinator ----------------------------------------------------------
    def _on_retry(self) -> None:
        self.coordinator.retry()
