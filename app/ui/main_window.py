"""The screen-pop window. It renders states it is told about and emits what the agent asks for.

Who the caller is and everything that talks to DeepCall live in the services (the pop
coordinator owns the current caller); the presenter (``app.ui.presenter``) turns their signals
into the ``show_*`` calls here and relays this window's requests back. ``status`` is only which
state the window is rendering.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QByteArray, QEvent, Qt, Signal
from PySide6.QtGui import (
    QAccessible,
    QAccessibleEvent,
    QAction,
    QCloseEvent,
    QGuiApplication,
    QKeySequence,
    QPalette,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.api.models import RecentCall
from app.core.caller_id import WITHHELD_LABEL
from app.core.contact_view import ContactView, FieldKey
from app.core.profile import DEMO_TRY_COMMAND
from app.services.call_tracker import ShownCall
from app.services.settings import Settings, screen_setup_key
from app.ui.caller_header import CallerHeader
from app.ui.caller_page import CallerPageButton
from app.ui.contact_form import ContactForm, FieldProblem
from app.ui.counters_bar import CountersLabel
from app.ui.error_banner import ErrorBanner, ErrorView, describe_error
from app.ui.macos_activation import PopLevel
from app.ui.notes_box import NotesBox
from app.ui.plain_text import set_wrapped_text
from app.ui.recent_calls import LOADING_CALLS, RecentCallsList
from app.ui.resources import icon
from app.ui.status_notices import StatusNotices
from app.ui.window_focus import BringForward, apply_plan, plan_bring_forward, window_platform
from app.ui.wrap_up import WrapUpReturn

POP_BEHAVIOURS = ("raise", "raise_on_top", "tray_only")
SAVE_TEXT = "&Save to DeepCall"
ADD_TEXT = "&Add to DeepCall"  # an unknown caller: the same form creates the contact


def current_screen_key() -> str:
    screens = QGuiApplication.screens()
    return screen_setup_key((g.x(), g.y(), g.width(), g.height())
                            for g in (s.geometry() for s in screens))


def caller_name(view: ContactView) -> str:
    """The name to headline; "Unnamed contact" when DeepCall knows the number but no name."""
    return view.caller_name or "Unnamed contact"


class MainWindow(QMainWindow):
    # requests to the rest of the app (wired by the bootstrap)
    retry_requested = Signal()
    settings_requested = Signal()
    mapping_editor_requested = Signal()
    simulate_call_requested = Signal()
    note_send_requested = Signal(str)
    field_edited = Signal(str, str, str)  # group, label, text
    save_requested = Signal()  # Ctrl+S or the Save button: the form's edits to DeepCall
    quit_requested = Signal()
    open_log_folder_requested = Signal()
    # emitted after each state change (the state query, tray, tests)
    state_changed = Signal(str)

    def __init__(self, settings: Settings | None = None, demo: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self.demo = demo
        self.setWindowTitle("DeepCall Screen-Pop" + (" — demo" if demo else ""))
        self.setWindowIcon(icon("app"))
        self.setAccessibleName("DeepCall Screen-Pop")
        self.quitting = False
        self.platform = window_platform()  # how a pop comes forward without taking the keys

        self.status = "idle"  # the state rendered: idle, loading, found, unknown, error, withheld
        self.error_view: ErrorView | None = None

        self.header = CallerHeader()
        self.banner = ErrorBanner()
        self.banner.retry_requested.connect(self.retry_requested)
        self.banner.settings_requested.connect(self.settings_requested)
        self.form = ContactForm()
        self.form.field_edited.connect(self.field_edited)
        self.form.edits_changed.connect(self._update_save)
        self.form.hint.connect(lambda text: self.statusBar().showMessage(text, 8000))
        # Start-up notices, one after another (not one over another) in the status bar.
        self.notices = StatusNotices(self.statusBar())
        # The form-level problem of a save (DeepCall's refusal, nothing to save), above the form.
        self.form_message = QLabel()
        set_wrapped_text(self.form_message, "")
        self.form_message.setAccessibleName("Problem saving the contact")
        self.form_message.setForegroundRole(QPalette.ColorRole.Link)  # stands out, light or dark
        self.form_message.hide()
        self.save_button = QPushButton(SAVE_TEXT)
        self.save_button.setToolTip(QKeySequence(QKeySequence.StandardKey.Save).toString(
            QKeySequence.SequenceFormat.NativeText))
        self.save_button.clicked.connect(self.save_requested)
        self.caller_page = CallerPageButton(self)  # the call actions' page (issue 11)
        self.recent = RecentCallsList()
        self.notes = NotesBox()
        self.notes.send_requested.connect(self.note_send_requested)

        recent_box = QWidget()
        recent_layout = QVBoxLayout(recent_box)
        recent_layout.setContentsMargins(0, 0, 0, 0)
        # Atop this narrow column, not beside Save: the form side would grow wider.
        recent_layout.addWidget(self.caller_page, 0, Qt.AlignmentFlag.AlignLeft)
        recent_label = QLabel("Rec&ent calls")
        recent_label.setBuddy(self.recent)
        recent_layout.addWidget(recent_label)
        recent_layout.addWidget(self.recent, 3)
        recent_layout.addWidget(self.notes, 2)

        form_box = QWidget()
        form_layout = QVBoxLayout(form_box)
        form_layout.setContentsMargins(0, 0, 0, 0)
        form_layout.addWidget(self.form_message)
        form_layout.addWidget(self.form, 1)
        save_row = QHBoxLayout()
        save_row.addStretch(1)
        save_row.addWidget(self.save_button)
        form_layout.addLayout(save_row)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(form_box)
        splitter.addWidget(recent_box)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.splitter = splitter

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.header)
        layout.addWidget(self.banner)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(central)

        self.counters = CountersLabel()
        self.statusBar().addPermanentWidget(self.counters, 1)
        self._build_menus()
        self.setTabOrder(self.form, self.save_button)
        self.setTabOrder(self.save_button, self.recent)
        self.setTabOrder(self.recent, self.notes.editor)
        self.setTabOrder(self.notes.editor, self.notes.send_button)
        self._update_save()
        self._restore_geometry()
        self.wrap_up = WrapUpReturn(self, self._return_after_call_seconds,
                                    self.has_unfinished_work)
        self.pop_level = PopLevel(self)  # macOS 14+: a pop floats over the agent's apps
        # What keeps the window from going back may clear: look again then.
        self.form.edits_changed.connect(self.wrap_up.check_again)
        self.notes.editor.textChanged.connect(self.wrap_up.check_again)
        # The agent's own edits: also when the keys reach a field without passing through
        # the window's native window (as Qt's test tools send them).
        for agents_edit in (self.form.field_edited, self.form.field_reverted,
                            self.form.conflict_resolved):
            agents_edit.connect(self.wrap_up.agent_came)

    def _return_after_call_seconds(self) -> int:
        return self._settings.return_after_call_seconds if self._settings is not None else 0

    def has_unfinished_work(self) -> bool:
        """Unsaved edits in the form, or a note in the box: the window must stay."""
        return self.form.has_edits() or bool(self.notes.editor.toPlainText().strip())

    # --- menus and shortcuts ------------------------------------------------------------
    def _build_menus(self) -> None:
        calls = self.menuBar().addMenu("&Call")
        self.simulate_action = QAction("Simulate &incoming call", self)
        self.simulate_action.setShortcut(QKeySequence("Ctrl+I"))
        self.simulate_action.triggered.connect(self.simulate_call_requested)
        self.simulate_action.setVisible(self.demo)
        calls.addAction(self.simulate_action)
        self.retry_action = QAction("&Look up again", self)
        self.retry_action.setShortcut(QKeySequence.StandardKey.Refresh)
        self.retry_action.triggered.connect(self.retry_requested)
        calls.addAction(self.retry_action)
        edit_contact = QAction("&Edit the contact", self)
        # Ctrl+E as before, and F2: the spreadsheet's "edit this cell".
        edit_contact.setShortcuts([QKeySequence("Ctrl+E"), QKeySequence(Qt.Key.Key_F2)])
        self.form.give_keys_to_the_window(tuple(edit_contact.shortcuts()))
        edit_contact.triggered.connect(self.focus_first_field)
        calls.addAction(edit_contact)
        self.save_action = QAction(SAVE_TEXT, self)
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)  # Cmd+S on macOS
        self.save_action.triggered.connect(self._request_save)
        calls.addAction(self.save_action)
        focus_note = QAction("Write a &note", self)
        focus_note.setShortcut(QKeySequence("Ctrl+N"))
        focus_note.triggered.connect(lambda: self.notes.editor.setFocus())
        calls.addAction(focus_note)
        calls.addAction(self.caller_page.action)
        calls.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.quit_requested)
        calls.addAction(quit_action)

        tools = self.menuBar().addMenu("&Tools")
        settings_action = QAction("&Settings…", self)
        settings_action.setShortcut(QKeySequence("Ctrl+,"))
        settings_action.triggered.connect(self.settings_requested)
        tools.addAction(settings_action)
        mapping_action = QAction("Field &mapping…", self)
        mapping_action.triggered.connect(self.mapping_editor_requested)
        tools.addAction(mapping_action)
        tools.addAction("Open &log folder", self.open_log_folder_requested.emit)

        if self.demo:
            toolbar = self.addToolBar("Demo")
            toolbar.setObjectName("demoToolbar")
            toolbar.addAction(self.simulate_action)
            toolbar.addWidget(QLabel(f"  Or from a terminal: {DEMO_TRY_COMMAND}"))

    def focus_first_field(self) -> None:
        """Ctrl+E or F2: straight into the first field the agent may edit."""
        editable = [e for e in self.form.inputs() if not e.isReadOnly()]
        if not editable:
            return
        first = editable[0]
        first.setFocus(Qt.FocusReason.ShortcutFocusReason)
        # "Edit here", as F2 in a spreadsheet: the caret at the end, not the whole value
        # selected for the next key to wipe out.
        if isinstance(first, QLineEdit):
            first.deselect()
            first.end(False)
        else:
            first.moveCursor(QTextCursor.MoveOperation.End)

    # --- saving the contact -------------------------------------------------------------
    def _request_save(self) -> None:
        # The shortcut works wherever the focus is; with nothing changed it does nothing.
        if self.save_action.isEnabled():
            self.save_requested.emit()

    def _update_save(self) -> None:
        """"Add to DeepCall" for a new caller, "Save to DeepCall" otherwise; only when
        something differs from what DeepCall holds."""
        view = self.form.view
        text = ADD_TEXT if view is not None and view.is_new else SAVE_TEXT
        enabled = view is not None and self.form.has_edits()
        for widget in (self.save_button, self.save_action):
            widget.setText(text)
            widget.setEnabled(enabled)

    def _clear_form(self, message: str | None = None) -> None:
        self.form.clear(message)
        self.show_edit_problems({}, "")

    def show_edit_problems(self, problems: dict[FieldKey, FieldProblem],
                           form_message: str = "") -> None:
        """Why edits were not saved: under each field, and the form-level reason above it."""
        fresh = form_message != self.form_message.accessibleDescription()
        new = [key for key, problem in problems.items()
               if self.form.problem(key).theirs != problem.theirs
               or (problem.error and not self.form.problem(key).error)]
        self.form.show_problems(problems)
        set_wrapped_text(self.form_message, form_message)
        self.form_message.setAccessibleDescription(form_message)  # the name hides the text
        self.form_message.setVisible(bool(form_message))
        # A refusal or a conflict can come back long after Ctrl+S, with the focus elsewhere:
        # a screen reader says it now (moving the focus would steal the agent's typing).
        said = self.form_message if form_message and fresh else next(
            (row for row in map(self.form.problem_row, new) if row is not None), None)
        if said is not None:
            QAccessible.updateAccessibility(QAccessibleEvent(said, QAccessible.Event.Alert))

    # --- states -------------------------------------------------------------------------
    def _set_status(self, status: str) -> None:
        self.status = status
        self.state_changed.emit(status)

    def show_idle(self) -> None:
        """Nothing to show (e.g. the settings were just fixed): back to "waiting for a call"."""
        self.error_view = None
        self.banner.clear()
        self.header.set_state("idle")
        self._clear_form()
        self._set_status("idle")

    def show_pop_received(self, formatted: str, note_draft: str = "") -> None:
        """The instant a number arrives, before any HTTP: number, "looking up", empty form,
        and the note box with this caller's own draft."""
        self.error_view = None
        self.banner.clear()
        self.header.set_state("loading", formatted, "")
        self._clear_form("Looking up the caller in DeepCall…")
        self.recent.show_loading()
        self.notes.reset_for_new_call(note_draft)
        self.notes.set_enabled_for_call(True)
        self._set_status("loading")

    def show_withheld(self, call_id: str | None, note_draft: str = "") -> None:
        """A caller who withheld their number: nothing to look up, nobody to match; a note
        still goes under the call, when the softphone named it."""
        self.error_view = None
        self.banner.clear()
        self.header.set_state("withheld", WITHHELD_LABEL,
                              "The caller withheld their number")
        self._clear_form("The caller withheld their number: there is nothing to look up.")
        self.recent.show_placeholder("No recent calls: the caller's number is withheld.")
        self.notes.reset_for_new_call(note_draft)
        self.allow_notes_for_withheld(call_id)
        self._set_status("withheld")

    def allow_notes_for_withheld(self, call_id: str | None) -> None:
        """A withheld caller's note needs the call's id (DeepCall files it under the call)."""
        self.notes.set_enabled_for_call(
            call_id is not None, "" if call_id else
            "A note for a withheld number needs the call's ID, and the phone did not send "
            "one: your text stays here.")

    def show_call(self, call: ShownCall | None) -> None:
        """The shown call's state, line and transfer (``CallTracker.callChanged``)."""
        self.header.call.show_call(call)
        if self.status == "withheld" and call is not None and call.call_id is not None:
            self.allow_notes_for_withheld(call.call_id)  # an event named the call now

    def show_lookup_restarted(self, formatted: str) -> None:
        """The same caller looked up again from scratch (Retry, another account): "looking
        up" and an empty form, so nothing of the earlier answer stays on screen. The note box
        is the caller's and is left as it is."""
        self.error_view = None
        self.banner.clear()
        self.header.set_state("loading", formatted, "")
        self._clear_form("Looking up the caller in DeepCall…")
        self.recent.show_loading()
        self._set_status("loading")

    def show_contact(self, view: ContactView, calls: Sequence[RecentCall] | None = None) -> None:
        """A lookup finished: the form for a known caller or the empty "new caller" form."""
        self.banner.clear()
        self.error_view = None
        known = not view.is_new
        shown_name = caller_name(view) if known else \
            "New caller — not in your DeepCall directory yet"
        self.header.set_state("found" if known else "unknown", None, shown_name)
        self.form.show_view(view)
        if calls is not None:
            self.recent.show_calls(calls)
        self._set_status("found" if known else "unknown")

    def show_recent_calls(self, calls: Sequence[RecentCall]) -> None:
        self.recent.show_calls(calls)

    def show_recent_calls_unavailable(self, message: str) -> None:
        self.recent.show_placeholder(f"Recent calls could not be loaded: {message}")

    def show_setup_needed(self, view: ErrorView) -> None:
        """No working DeepCall account (first start, settings to fix): nothing has failed
        yet, so the header says "not set up" rather than "lookup failed"."""
        self.error_view = view
        self.header.set_state("setup", None, "")
        self.banner.show_error(view)
        if not self.form.inputs():
            self._clear_form("Set up your DeepCall account to start: Tools → Settings (Ctrl+,).")
        self._set_status(self.status)

    def show_error(self, error: BaseException | ErrorView) -> None:
        view = error if isinstance(error, ErrorView) else describe_error(error)
        self.error_view = view
        self.header.set_state("error", None, "")
        self.banner.show_error(view)
        if not self.form.inputs():
            self._clear_form("No caller details: see the message above.")
        if self.recent.placeholder_text() == LOADING_CALLS:
            self.recent.show_placeholder("No recent calls: the lookup did not finish.")
        self._set_status("error")

    # --- notes --------------------------------------------------------------------------
    def note_sent(self, text: str) -> None:
        self.notes.note_sent(text)

    def note_failed(self, message: str) -> None:
        self.notes.note_failed(message)

    # --- pop behaviour ------------------------------------------------------------------
    def show_and_raise(self) -> None:
        """The tray's "Show", the ``show`` command and a second start: the agent asked for
        the window, so it takes the keys."""
        self.bring_forward("raise", takes_focus=True, agent_asked=True)

    def pop_arriving(self) -> None:
        """A new call, before anything of it is shown: the previous call's wrap-up ends
        here, so emptying the form for the new caller cannot send the window back."""
        self.wrap_up.remember_place()

    def pop_forward(self, behaviour: str, takes_focus: bool) -> None:
        """A pop (after ``pop_arriving``): to the front as ``behaviour`` says."""
        plan = self.bring_forward(behaviour, takes_focus)
        self.wrap_up.popped(plan.show or plan.restore or plan.activate)
        if plan.raise_window:
            self.pop_level.float_for_pop()

    def bring_forward(self, behaviour: str, takes_focus: bool = False,
                      agent_asked: bool = False) -> BringForward:
        """A pop (``takes_focus``: the ``pop_takes_focus`` setting) or the agent's request:
        to the front, with or without the keyboard focus (``app.ui.window_focus``)."""
        plan = plan_bring_forward(self.platform, takes_focus, behaviour, self.isHidden(),
                                  self.isMinimized(), agent_asked=agent_asked)
        apply_plan(self, plan)
        return plan

    # --- geometry per screen setup ------------------------------------------------------
    def _restore_geometry(self) -> None:
        geometry = self._settings.window_geometry(current_screen_key()) if self._settings else None
        if geometry is None or not self.restoreGeometry(QByteArray(geometry)):
            # A first start: a comfortable size in the user's own font units, within the screen.
            em = self.fontMetrics().horizontalAdvance("M")
            width, height = em * 100, em * 72
            screen = QGuiApplication.primaryScreen()
            if screen is not None:
                available = screen.availableGeometry()
                width = min(width, int(available.width() * 0.9))
                height = min(height, int(available.height() * 0.9))
            self.resize(width, height)

    def save_geometry(self) -> None:
        if self._settings is not None:
            self._settings.set_window_geometry(current_screen_key(),
                                               bytes(self.saveGeometry().data()))

    def changeEvent(self, event: QEvent) -> None:
        # The OS switched light/dark mid-shift: the state colours are style sheets, which do
        # not follow the palette by themselves.
        if event.type() == QEvent.Type.PaletteChange:
            self.header.restyle()
            if self.banner.view is not None:
                self.banner.restyle()
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_geometry()
        if not self.quitting:
            # Closing the window quits the app; the bootstrap runs the one shutdown path.
            event.ignore()
            self.quit_requested.emit()
            return
        super().closeEvent(event)
