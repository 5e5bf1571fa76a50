"""Connects the services to the window and the tray: it renders and relays, nothing more.

The only place that knows both sides' signals: the coordinator, the outbox, the account and
the counters poller emit; the presenter turns that into ``show_*`` calls. The window emits
requests; the presenter hands them to the service that owns them. Who the caller is, what is
queued and what is stale are the services' to know.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from app.api.errors import DeepCallApiError
from app.api.models import Counters, RecentCall
from app.core.caller_id import is_withheld_key
from app.core.contact_view import ContactView, FieldKey
from app.core.screen_text import caller_line
from app.services.account import Account, AccountProblem
from app.services.contact_edits import ContactEdits
from app.services.counters_poller import CountersPoller
from app.services.logs import log_event
from app.services.note_drafts import NoteDrafts
from app.services.outbox import Outbox
from app.services.pop_coordinator import PopCoordinator
from app.services.pop_result import PopResult
from app.services.settings import Settings
from app.services.state_snapshot import caller_state, edits_state
from app.services.store import FieldDraft
from app.ui.contact_form import FieldProblem
from app.ui.error_banner import ErrorAction, ErrorView
from app.ui.main_window import MainWindow
from app.ui.tray import NO_TRAY, NOT_YET_KNOWN, TRAY_ONLY, Tray

log = logging.getLogger(__name__)

# What was typed (fields and note) is written as a draft at most this long after a keystroke,
# however fast the agent goes on typing: a throttle, not a debounce (and at once when the
# caller changes or the app quits). Under the half second allowed, with room for the durable
# writes that follow (10-20 ms) and a busy event loop.
DRAFT_SAVE_DELAY_MS = 400
T = TypeVar("T")


class WindowPresenter(QObject):
    # The shown (or leaving) caller's typing was just written as drafts: the number. What is
    # pending for that caller (the history's "unsaved changes") may have changed.
    draftsWritten = Signal(str)

    def __init__(self, window: MainWindow, coordinator: PopCoordinator, outbox: Outbox,
                 drafts: NoteDrafts, account: Account, *, edits: ContactEdits | None = None,
                 poller: CountersPoller | None = None, tray: Tray | None = None,
                 settings: Settings | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.coordinator = coordinator
        self.outbox = outbox
        self.drafts = drafts
        self.edits = edits
        self.account = account
        self.tray = tray
        self.settings = settings
        self._waiting_message = ""
        self._tray_only_refused: set[str] = set()  # why "tray only" is not used, as said
        # (number, outbox id) of the note this box sent for the shown caller: only its fate
        # shows in the box, and "Retry sending note" sends that one again. An earlier call's
        # note of the same caller, retried meanwhile, is not the box's (the same words typed
        # on this call are a new note).
        self._box_note: tuple[str, int] | None = None

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
        # A save or note of the shown caller still in the outbox is wrap-up work unfinished:
        # a refusal must come back to a window the agent can see.
        window.wrap_up.add_busy_check(self._outbox_holds_shown_callers_writes)
        outbox.countsChanged.connect(window.wrap_up.check_again)
        window.note_send_requested.connect(self._on_send_note)
        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_SAVE_DELAY_MS)
        self._draft_timer.setTimerType(Qt.TimerType.PreciseTimer)  # a deadline, not a hint
        self._draft_timer.timeout.connect(self.keep_drafts)
        window.notes.editor.textChanged.connect(self._typed)
        window.field_edited.connect(self._typed)
        if edits is not None:
            window.save_requested.connect(self.save_contact)
            window.form.field_reverted.connect(self._on_field_reverted)
            window.form.conflict_resolved.connect(self._on_conflict_resolved)
            edits.problemsChanged.connect(self._on_problems_changed)
            outbox.saveWaiting.connect(self._on_save_waiting)
            outbox.saveDelivered.connect(self._on_save_delivered)
        if poller is not None:
            poller.countersChanged.connect(self._on_counters)
            poller.countersFailed.connect(self._on_counters_failed)
        # "tray only" that cannot work here is said now, not on a call; and again when macOS
        # answers whether its notifications may show (the answer comes after the start).
        self.pop_behaviour(starting=True)
        if tray is not None and tray.permission is not None:
            tray.permission.changed.connect(self.pop_behaviour)

    def state(self) -> dict[str, object]:
        """The ``screenpop state`` answer: the current caller plus what the window shows."""
        current = self.coordinator.current
        snapshot = caller_state(current)
        snapshot.update(edits_state(self._ask(
            lambda e: e.state(current.view if current is not None else None), None,
            "read the unsaved edits for `state`")))
        snapshot["window_visible"] = self.window.isVisible()
        snapshot["window_status"] = self.window.status
        return snapshot

    def pop_behaviour(self, starting: bool = False) -> str:
        behaviour = self.settings.pop_behaviour if self.settings is not None else "raise"
        if behaviour != TRAY_ONLY:
            return behaviour
        why = NO_TRAY if self.tray is None else self.tray.why_notices_unseen()
        if why is None:
            return behaviour
        # A notice nobody sees would be a missed caller: the window comes up instead. Each
        # reason said once; "not known yet" not at the start, where macOS answers at once.
        if why not in self._tray_only_refused and not (starting and why == NOT_YET_KNOWN):
            self._tray_only_refused.add(why)
            log_event(log, "tray_only_unavailable", tray=self.tray is not None
                      and self.tray.available(), why=why)
            self.window.notices.say(why)
        return "raise"

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
        self._keep_field_edits(number)
        self.drafts.save(number, self.window.notes.editor.toPlainText())
        self.draftsWritten.emit(number)

    def _on_pop_received(self, number: str, formatted: str, call_id: object) -> None:
        # First: emptying the form and the note box below must not finish the previous
        # call's wrap-up (and send the window away under the new caller).
        self.window.pop_arriving()
        self._box_note = None  # the box is reset for this caller
        withheld = is_withheld_key(number)  # the services' key of a withheld call, no number
        if withheld:
            self.window.show_withheld(call_id if isinstance(call_id, str) else None,
                                      note_draft=self.drafts.load(number))
        else:
            self.window.show_pop_received(formatted, note_draft=self.drafts.load(number))
        self._draft_timer.stop()  # the draft just shown is already saved
        behaviour = self.pop_behaviour()
        if self.tray is not None:
            self.tray.set_state("withheld" if withheld else "loading", formatted)
            if behaviour == "tray_only":
                self.tray.notify("Incoming call", formatted if withheld
                                 else f"{formatted} — looking up…")
        takes_focus = self.settings.pop_takes_focus if self.settings is not None else False
        self.window.pop_forward(behaviour, takes_focus)

    def _on_lookup_restarted(self, result: PopResult) -> None:
        self.keep_drafts()  # the form is emptied: what was typed comes back from the drafts
        self.window.show_lookup_restarted(result.formatted)
        if self.tray is not None:
            self.tray.set_state("loading", result.formatted)

    def _on_result(self, result: PopResult) -> None:
        if result.view is None:
            return
        view = result.view
        # What the agent typed is written against the values they saw before this answer
        # replaces them: those stay the edits' base, so a colleague's newer value is a
        # conflict, shown now, never quietly the base that Ctrl+S then overwrites.
        drafts: dict[FieldKey, FieldDraft] | None = {}  # the usual pop: none, nothing typed
        if self._keep_field_edits(result.number):
            self._ask(lambda e: e.note_changed_meanwhile(view), None,
                      "compare drafts and DeepCall")
            drafts = None  # read them again: the comparison may have marked conflicts
        calls: tuple[RecentCall, ...] | None = None if result.recent_calls_pending \
            else result.recent_calls
        self._show_caller(result.number, view, calls, drafts)
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

    # --- drafts -------------------------------------------------------------------------
    def _typed(self) -> None:
        # The first keystroke starts the clock; later ones do not push it back.
        if not self._draft_timer.isActive():
            self._draft_timer.start()

    def keep_drafts(self) -> None:
        """Write what was typed for the shown caller (fields and note) as drafts: they survive
        the next call, a crash and a refusal."""
        self._draft_timer.stop()
        current = self.coordinator.current
        if current is not None:
            self._keep_field_edits(current.number)
            self.drafts.save(current.number, self.window.notes.editor.toPlainText())
            self.draftsWritten.emit(current.number)

    def forget_typing(self, number: str) -> None:
        """The agent forgot ``number`` (history): if they are on screen, what was typed for
        them leaves the form and the note box unkept, or the next call or quitting would
        write it back as their drafts."""
        view = self.window.form.view
        if not self._is_shown(number) or view is None or view.caller_number != number:
            return
        self.window.notes.editor.clear()
        self.window.form.clear()
        self.window.form.show_view(view)  # the saved values, no edit carried over
        self._draft_timer.stop()  # clearing the note box counts as typing
        self._show_problems(number)

    def _keep_field_edits(self, number: str) -> bool:
        """Write what was typed into ``number``'s form as their drafts. False when they have
        no drafts and nothing was typed: most pops, which then skip writing and comparing
        drafts (each of those reads the outbox and walks every field)."""
        view = self.window.form.view
        shown = view is not None and view.caller_number == number
        edits = self.window.form.edits() if shown else {}
        # A draft with nothing typed is one typed back to its saved value: ``keep`` drops it.
        if not edits and not self._drafts(number):
            return False
        if view is not None and shown:
            self._ask(lambda e: e.keep(view, edits), None, "keep the edits as drafts")
        return True

    def _drafts(self, number: str) -> dict[FieldKey, FieldDraft]:
        none: dict[FieldKey, FieldDraft] = {}
        return self._ask(lambda e: e.drafts(number), none, "read the drafts")

    def _ask(self, call: Callable[[ContactEdits], T], fallback: T, what: str) -> T:
        """One question to ContactEdits; a failure there (a broken disk) must cost neither
        the pop nor the window: it is logged and ``fallback`` stands in."""
        if self.edits is None:
            return fallback
        try:
            return call(self.edits)
        except Exception:
            log.exception("could not %s", what)
            return fallback

    # --- editing the contact ------------------------------------------------------------
    def _show_caller(self, number: str, view: ContactView,
                     calls: tuple[RecentCall, ...] | None = None,
                     drafts: dict[FieldKey, FieldDraft] | None = None) -> None:
        """The form for ``number``: values waiting in the outbox count as saved; then this
        caller's drafts typed into their fields (a field the agent typed in since stays as
        typed), and the reasons of the last save."""
        form = self.window.form
        typed = form.edits() if form.view is not None and form.view.caller_number == number \
            else {}
        shown = self._ask(lambda e: e.view_for(view), view, "read the saves still waiting")
        self.window.show_contact(shown, calls)
        if drafts is None:
            drafts = self._drafts(number)
        form.restore_edits({key: d.value for key, d in drafts.items() if key not in typed})
        self._show_problems(number, drafts)

    def _show_problems(self, number: str,
                       drafts: dict[FieldKey, FieldDraft] | None = None,
                       extra: dict[FieldKey, str] | None = None, form_error: str = "") -> None:
        if drafts is None:
            drafts = self._drafts(number)
        problems = {key: FieldProblem(d.error, d.theirs) for key, d in drafts.items()
                    if d.error or d.theirs is not None}
        for key, message in (extra or {}).items():
            problems[key] = FieldProblem(message, problems.get(key, FieldProblem()).theirs)
        message = form_error or self._ask(lambda e: e.form_error(number), "",
                                          "read the last save's problem")
        self.window.show_edit_problems(problems, message)

    def _shown_view(self) -> ContactView | None:
        current = self.coordinator.current
        view = self.window.form.view
        if current is None or view is None or view.caller_number != current.number:
            return None
        return view

    def save_contact(self) -> None:
        """Ctrl+S / Save: what the agent changed goes to DeepCall (through the outbox)."""
        view = self._shown_view()
        current = self.coordinator.current
        if view is None or current is None or current.view is None:
            return
        self._draft_timer.stop()
        edits = self.window.form.edits()
        # save() keeps the edits as drafts first: a store that refuses them refuses the save.
        outcome = self._ask(lambda e: e.save(view, edits), None, "save the edits")
        if outcome is None:
            self._show_problems(current.number, form_error=(
                "The changes could not be kept on this computer, so nothing was sent. "
                "Your typing is still in the form."))
            return
        if outcome.outbox_id is not None:
            # What was just queued is now the form's saved value (not an edit any more).
            self._show_caller(current.number, current.view)
            self.window.statusBar().showMessage("Saving to DeepCall…", 5000)
        else:
            self._show_problems(current.number, extra=outcome.field_errors,
                                form_error=outcome.form_error)
        self._drop_outer_whitespace()

    def _drop_outer_whitespace(self) -> None:
        """After Save, a field whose text differs from its saved value only by outer
        whitespace shows the saved value: it was no edit (DeepCall trims, the save dropped
        its draft), and must not stay marked unsaved."""
        form = self.window.form
        view = form.view
        if view is None:
            return
        same = {key: field.value for key, text in form.edits().items()
                if (field := view.field(key)) is not None and not field.read_only
                and text.strip() == field.value.strip()}
        if same:
            form.restore_edits(same)

    def _on_field_reverted(self, group: str, label: str) -> None:
        current = self.coordinator.current
        if current is not None:
            self._ask(lambda e: e.revert(current.number, (group, label)), None,
                      "drop the field's draft")

    def _on_conflict_resolved(self, group: str, label: str, keep_mine: bool) -> None:
        view = self._shown_view()
        if view is None:
            return
        number, key = view.caller_number, (group, label)
        draft = self._drafts(number).get(key)
        field = view.field(key)
        self._ask(lambda e: e.resolve(number, key, keep_mine), None, "record the choice")
        if draft is None or draft.theirs is None or field is None or field.directory_key is None:
            self._show_problems(number)
            return
        if not keep_mine:
            self.window.form.restore_edits({key: draft.theirs})
        # Either way DeepCall's value is now known to be the saved one: the form, the cache
        # and the header show it, and a kept value of the agent's is an edit of it.
        self.coordinator.apply_saved(number, {field.directory_key: draft.theirs}, False)

    def _on_problems_changed(self, number: str) -> None:
        current = self.coordinator.current
        if self._shown_view() is not None and current is not None and current.view is not None \
                and current.number == number:
            self._show_caller(number, current.view)

    def _on_save_waiting(self, _item_id: int, number: str, message: str) -> None:
        if self._is_shown(number):
            self.window.statusBar().showMessage(
                f"Not saved in DeepCall yet: {message} Your changes are kept and sent again "
                "automatically.", 15000)

    def _on_save_delivered(self, _item_id: int, number: str, _saved: object,
                           kind: str) -> None:
        if self._is_shown(number):
            self.window.statusBar().showMessage(
                "Added to DeepCall." if kind == "create" else "Saved in DeepCall.", 8000)

    # --- notes --------------------------------------------------------------------------
    def save_note_draft(self) -> None:
        """Keep the note box's text as the shown caller's draft (survives a pop or a crash)."""
        self._draft_timer.stop()
        current = self.coordinator.current
        if current is not None:
            self.drafts.save(current.number, self.window.notes.editor.toPlainText())
            self.draftsWritten.emit(current.number)

    def _on_send_note(self, text: str) -> None:
        target = self.coordinator.note_target()
        if target is None:
            self.window.note_failed(self.coordinator.why_no_note_target())
            return
        try:
            sent = self._box_note
            again = sent[1] if sent is not None and sent[0] == target.number else None
            note_id = self.outbox.add_note(target, text, again=again)
            if note_id is not None:
                self._box_note = (target.number, note_id)
        except Exception:  # e.g. a full disk: the text stays in the box, the button works again
            log.exception("could not keep the note in the local outbox")
            self.window.note_failed("The note could not be saved on this computer, so it was "
                                    "not sent. Your text is still here.")

    def _outbox_holds_shown_callers_writes(self) -> bool:
        current = self.coordinator.current
        if current is None:
            return False
        return self._read_outbox(lambda: self.outbox.holds_writes_for(current.number))

    def _read_outbox(self, read: Callable[[], bool]) -> bool:
        try:
            return read()
        except Exception:  # a broken store: better the window stays than a refusal unseen
            log.exception("could not read the outbox for the wrap-up")
            return True

    def _is_shown(self, number: str) -> bool:
        current = self.coordinator.current
        return current is not None and current.number == number

    def _on_note_sent(self, _note_id: int, number: str, text: str) -> None:
        # Only the note box of the caller it belongs to changes: another caller's box may hold
        # the same words, still unsent.
        if self._is_shown(number):
            self.window.note_sent(text)

    def _on_note_failed(self, note_id: int, number: str, message: str) -> None:
        if self._is_shown(number) and self._box_note == (number, note_id):
            self.window.note_failed(message)
        elif self._is_shown(number):
            self.window.statusBar().showMessage(f"An earlier note of this caller: {message}",
                                                10000)
        else:
            self.window.statusBar().showMessage(f"An earlier caller's note: {message}", 10000)
