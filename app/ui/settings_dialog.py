"""The settings dialog: DeepCall account, sign-in, numbers, pop behaviour, clipboard.

Opened with ``open()`` (never ``exec()``: a nested loop inside qasync re-enters coroutines).
The token/ssid goes only to the secret store (the OS keyring; an in-memory one in demo mode)
and is never shown back: the field stays empty with a note that a secret is saved. Every
keyring read and write runs on a worker thread: an unlock prompt must not freeze the window.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.api.auth import Auth, SsidAuth, TokenAuth
from app.api.errors import DeepCallApiError, InvalidBrandUrl
from app.api.models import Counters
from app.api.transport import api_base
from app.core.caller_actions import ActionSetupError, ProgramCommand, UrlTemplate, parse_events
from app.core.phone import is_supported_region
from app.core.pop_request import CALL_EVENTS
from app.services.background import in_daemon_thread
from app.services.errors import SecretsUnavailable
from app.services.preset_check import agents_half_problem
from app.services.secrets import SecretKind
from app.services.settings import Settings
from app.services.tasks import OwnedTasks
from app.ui.error_banner import CREDENTIAL_CODES, describe_error
from app.ui.managed_marks import locked
from app.ui.plain_text import set_wrapped_text
from app.ui.tray import NOT_BUNDLED, offered_pop_choices

log = logging.getLogger(__name__)

POP_CHOICES = (("raise", "Bring the window to the front"),
               ("raise_on_top", "Bring to the front and keep it on top"),
               ("tray_only", "Only notify in the tray"))
CLIPBOARD_CHOICES = (("whole", "Only when the whole copied text is a number"),
                     ("first", "The first number found in short copied text"))
AUTH_CHOICES = (("token", "User ID + API token"), ("ssid", "Panel session (ssid)"))
OPEN_URL_CHOICES = (("button", "Only with the button (Ctrl+O)"),
                    ("ringing", "When a call rings (and the button)"),
                    ("answered", "When a call is answered (and the button)"))


class SecretStoreLike(Protocol):
    def load(self, kind: SecretKind) -> str | None: ...
    def store(self, kind: SecretKind, value: str) -> None: ...
    def clear(self, kind: SecretKind) -> None: ...


ConnectionTester = Callable[[str, Auth], Awaitable[Counters]]


def _combo(choices: tuple[tuple[str, str], ...], current: str, name: str) -> QComboBox:
    combo = QComboBox()
    for value, text in choices:
        combo.addItem(text, value)
    index = combo.findData(current)
    combo.setCurrentIndex(max(0, index))
    combo.setAccessibleName(name)
    return combo


def _keep_saved_choice(combo: QComboBox, choices: tuple[tuple[str, str], ...], saved: str,
                       suffix: str, why: str) -> None:
    """A saved choice not offered here (tray only, saved in the .app, read by a run from
    Python) stays selected, visible but not selectable, saying why: a Save keeps it."""
    text = dict(choices).get(saved)
    if text is None or combo.findData(saved) >= 0:
        return
    combo.addItem(text + suffix, saved)
    index = combo.count() - 1
    combo.setItemData(index, why, Qt.ItemDataRole.ToolTipRole)
    item = combo.model().item(index)  # type: ignore[attr-defined]  # QStandardItemModel
    item.setEnabled(False)
    combo.setCurrentIndex(index)


def _test_failure_message(error: DeepCallApiError) -> str:
    """What the connection test found, worded for someone already in Settings."""
    code = getattr(error, "code", None)
    if code in CREDENTIAL_CODES:
        return (f"DeepCall refused the sign-in: the token is invalid or missing (code {code}). "
                "Check the user ID and token, then test again.")
    return describe_error(error).message


class SettingsDialog(QDialog):
    saved = Signal()
    test_finished = Signal(bool, str)  # ok, message (also shown in the dialog)

    def __init__(self, settings: Settings, secrets: SecretStoreLike,
                 tester: ConnectionTester | None = None, parent: QWidget | None = None,
                 first_start: bool = False, run_brand: str | None = None) -> None:
        """``run_brand``: the address given with ``--brand`` for this run only."""
        super().__init__(parent)
        self.setWindowTitle("Screen-Pop settings")
        self.setModal(True)
        self._settings = settings
        self._secrets = secrets
        self._tester = tester
        self._tasks = OwnedTasks(log, "a settings dialog task")
        self._saving = False
        # What the IT preset sets: shown locked, never written back, never checked here
        # (the agent could not fix it; the app warned IT in its log).
        self._managed = {info.name for info in Settings.declared()
                         if settings.managed_by(info.name) is not None}

        intro = QLabel("Welcome! Enter your DeepCall account to start popping callers."
                       if first_start else "Changes apply when you press Save.")
        intro.setWordWrap(True)
        if self._managed:
            set_wrapped_text(intro, f"{intro.text()} Some settings are set by your IT "
                             f"department ({settings.preset.path}) and cannot be changed here.")

        self.brand_url = QLineEdit(settings.brand_url)
        self.brand_url.setPlaceholderText("https://v4-api.deepcall.com")
        self.brand_url.setAccessibleName("DeepCall API address")
        self.auth_mode = _combo(AUTH_CHOICES, settings.auth_mode, "Sign-in method")
        self.user_id = QLineEdit(settings.user_id)
        self.user_id.setAccessibleName("DeepCall user ID")
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setAccessibleName("API token or session ID")
        self.secret_note = QLabel()
        set_wrapped_text(self.secret_note, "")
        self.region = QLineEdit(settings.default_region)
        self.region.setMaxLength(2)
        self.region.setAccessibleName("Default country code for numbers")
        self.region.setToolTip("Two-letter country code, e.g. IN for India")
        self.pop_behaviour = _combo(offered_pop_choices(POP_CHOICES), settings.pop_behaviour,
                                    "When a call arrives")
        _keep_saved_choice(self.pop_behaviour, POP_CHOICES, settings.pop_behaviour,
                           " (not on this Mac)", NOT_BUNDLED)
        self.dedupe = QSpinBox()
        self.dedupe.setRange(0, 600)
        self.dedupe.setSuffix(" s")
        self.dedupe.setValue(settings.dedupe_seconds)
        self.dedupe.setAccessibleName("Ignore the same number again within seconds")
        self.history_days = QSpinBox()
        declared = Settings.history_days
        self.history_days.setRange(int(declared.minimum or 1), int(declared.maximum or 3650))
        self.history_days.setSuffix(" days")
        self.history_days.setValue(settings.history_days)
        self.history_days.setAccessibleName("Keep the call history for days")
        self.history_days.setToolTip(declared.description)
        self.takes_focus = QCheckBox("Pops take the &keyboard focus")
        self.takes_focus.setChecked(settings.pop_takes_focus)
        self.takes_focus.setAccessibleName("Pops take the keyboard focus")
        self.takes_focus.setToolTip(Settings.pop_takes_focus.description)
        self.return_after = QSpinBox()
        returning = Settings.return_after_call_seconds
        self.return_after.setRange(int(returning.minimum or 0), int(returning.maximum or 3600))
        self.return_after.setSuffix(" s")
        self.return_after.setSpecialValueText("Never")  # 0: the window stays after the call
        self.return_after.setValue(settings.return_after_call_seconds)
        self.return_after.setAccessibleName("Put the window back seconds after a call ends")
        self.return_after.setToolTip(returning.description)
        self.clipboard_enabled = QCheckBox("Pop numbers &copied to the clipboard")
        self.clipboard_enabled.setChecked(settings.clipboard_enabled)
        self.clipboard_enabled.setAccessibleName("Pop numbers copied to the clipboard")
        self.clipboard_mode = _combo(CLIPBOARD_CHOICES, settings.clipboard_mode,
                                     "Which copied text pops")
        self.clipboard_enabled.toggled.connect(
            lambda on: self._enable(self.clipboard_mode, "clipboard_mode", on))
        self._enable(self.clipboard_mode, "clipboard_mode", settings.clipboard_enabled)

        account = QGroupBox("DeepCall account")
        form = QFormLayout(account)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._add_row(form, "API &address:", self.brand_url, "brand_url")
        self.run_brand_note = QLabel()
        self.run_brand_note.setAccessibleName("Address used for this run")
        set_wrapped_text(self.run_brand_note, "" if not run_brand else
                         f"This run uses {run_brand}, given with --brand (not saved); the "
                         "address set here is used when Screen-Pop starts without --brand.")
        self.run_brand_note.setVisible(bool(run_brand))
        form.addRow("", self.run_brand_note)
        self._add_row(form, "Sign-&in method:", self.auth_mode, "auth_mode")
        self.user_id_label = self._add_row(form, "&User ID:", self.user_id, "user_id")
        self.secret_label = self._add_row(form, "API &token:", self.secret)
        form.addRow("", self.secret_note)

        self.test_button = QPushButton("T&est connection")
        self.test_button.setAccessibleName("Test the connection to DeepCall")
        self.test_button.clicked.connect(self.start_connection_test)
        self.test_result = QLabel()
        set_wrapped_text(self.test_result, "")
        self.test_result.setAccessibleName("Connection test result")
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_result, 1)
        form.addRow(test_row)

        behaviour = QGroupBox("Calls")
        form2 = QFormLayout(behaviour)
        form2.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._add_row(form2, "Default &country:", self.region, "default_region")
        self._add_row(form2, "When a call &arrives:", self.pop_behaviour, "pop_behaviour")
        form2.addRow(self._field(self.takes_focus, "pop_takes_focus"))
        self._add_row(form2, "Put the window &back after a call ends:", self.return_after,
                      "return_after_call_seconds")
        self._add_row(form2, "Ignore repeats &within:", self.dedupe, "dedupe_seconds")
        self._add_row(form2, "Keep call &history:", self.history_days, "history_days")
        form2.addRow(self._field(self.clipboard_enabled, "clipboard_enabled"))
        self._add_row(form2, "Clipboard &mode:", self.clipboard_mode, "clipboard_mode")

        actions = self._build_call_actions(settings)

        self.error = QLabel()
        set_wrapped_text(self.error, "")
        self.error.setAccessibleName("Settings problem")
        self.error.hide()

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(account)
        layout.addWidget(behaviour)
        layout.addWidget(actions)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

        self.auth_mode.currentIndexChanged.connect(self._update_auth_fields)
        self._update_auth_fields()

    def _build_call_actions(self, settings: Settings) -> QGroupBox:
        """The caller's page in another program, and a program run on call events."""
        self.open_url_template = QLineEdit(settings.open_url_template)
        self.open_url_template.setPlaceholderText("https://crm.example.com/search?q={e164}")
        self.open_url_template.setAccessibleName("Caller page address")
        self.open_url_template.setToolTip(Settings.open_url_template.description)
        self.open_url_when = _combo(OPEN_URL_CHOICES, settings.open_url_when,
                                    "When the caller page opens")
        self.run_program = QLineEdit(settings.run_program)
        self.run_program.setAccessibleName("Program to run on call events")
        self.run_program.setToolTip(Settings.run_program.description)
        self.run_program_args = QLineEdit(settings.run_program_args)
        # Values glued to their options: a call id starting with "-" is no option then.
        self.run_program_args.setPlaceholderText("--caller={e164} --call={call_id}")
        self.run_program_args.setAccessibleName("The program's arguments")
        self.run_program_args.setToolTip(Settings.run_program_args.description)
        try:
            chosen = parse_events(settings.run_program_on)
        except ActionSetupError:
            chosen = frozenset()  # said below with the rest of what is wrong
        self.run_program_on = {event: QCheckBox(event) for event in CALL_EVENTS}
        events_box = QWidget()
        events = QHBoxLayout(events_box)
        events.setContentsMargins(0, 0, 0, 0)
        for event, box in self.run_program_on.items():
            box.setChecked(event in chosen)
            box.setAccessibleName(f"Run the program when a call is {event}"
                                  if event != "ringing" else
                                  "Run the program when a call rings")
            events.addWidget(box)
        events.addStretch(1)
        self.call_actions_note = QLabel()
        self.call_actions_note.setAccessibleName("Call actions problem")
        group = QGroupBox("Call actions")
        form = QFormLayout(group)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._add_row(form, "Caller pa&ge:", self.open_url_template, "open_url_template")
        self._add_row(form, "&Open it:", self.open_url_when, "open_url_when")
        self._add_row(form, "Run a &program:", self.run_program, "run_program")
        self._add_row(form, "Its a&rguments:", self.run_program_args, "run_program_args")
        form.addRow("On call events:", self._field(events_box, "run_program_on"))
        form.addRow(self.call_actions_note)
        # What IT preset and the rules refuse is said at once, not only on Save.
        preset = self._call_actions_problem() or (
            "" if chosen or not settings.run_program_on.strip()
            else "Unknown call events in the settings file were left out.")
        set_wrapped_text(self.call_actions_note, preset)
        self.call_actions_note.setVisible(bool(preset))
        return group

    def _call_actions_problem(self, agents_only: bool = False) -> str | None:
        """What is wrong with the call actions; ``agents_only``: only in what the agent can
        change (a preset's own mistake must not block saving the rest)."""
        if not agents_only:
            managed: set[str] = set()
        else:
            managed = self._managed & {"open_url_template", "run_program", "run_program_args"}
        program_managed = managed & {"run_program", "run_program_args"}
        try:
            if "open_url_template" not in managed:
                UrlTemplate.parse(self.open_url_template.text())
            if not program_managed:
                ProgramCommand.parse(self.run_program.text(), self.run_program_args.text())
        except ActionSetupError as exc:
            return str(exc)
        if not program_managed:
            return None
        # One half of the program is IT's: the agent's half is checked alone (IT's half,
        # and how the two go together, are not the agent's to fix).
        halves = {"run_program": self.run_program, "run_program_args": self.run_program_args}
        problems = (agents_half_problem(half, field.text()) for half, field in halves.items()
                    if half not in program_managed)
        return next((problem for problem in problems if problem is not None), None)

    def _add_row(self, form: QFormLayout, text: str, widget: QWidget,
                 setting: str | None = None) -> QLabel:
        label = QLabel(text)
        label.setBuddy(widget)
        form.addRow(label, widget if setting is None else self._field(widget, setting))
        return label

    def _field(self, widget: QWidget, setting: str) -> QWidget:
        """``widget``, or it locked with its note when the IT preset sets ``setting``."""
        preset = self._settings.managed_by(setting)
        return widget if preset is None else locked(widget, preset)

    def _enable(self, widget: QWidget, setting: str, on: bool) -> None:
        widget.setEnabled(on and setting not in self._managed)

    # --- auth mode ----------------------------------------------------------------------
    def mode(self) -> str:
        return str(self.auth_mode.currentData())

    def _secret_kind(self) -> SecretKind:
        return "ssid" if self.mode() == "ssid" else "token"

    def _update_auth_fields(self) -> None:
        token_mode = self.mode() == "token"
        self._enable(self.user_id, "user_id", token_mode)
        self.user_id_label.setEnabled(token_mode)
        self.secret_label.setText("API &token:" if token_mode else "&Session ID (ssid):")
        self.secret.setAccessibleName("API token" if token_mode else "Session ID")
        self.secret_note.setText("Checking the system keyring…")
        self._tasks.spawn(self._show_whether_a_secret_is_saved(self._secret_kind()))

    async def _show_whether_a_secret_is_saved(self, kind: SecretKind) -> None:
        try:
            saved = await in_daemon_thread(self._secrets.load, kind) is not None
        except SecretsUnavailable as exc:
            set_wrapped_text(self.secret_note, exc.user_message)
            return
        if kind != self._secret_kind():
            return  # the agent switched the sign-in method meanwhile
        what = "token" if kind == "token" else "session ID"
        self.secret_note.setText(
            f"A {what} is saved in the system keyring; leave this empty to keep it."
            if saved else f"No {what} saved yet. It is kept only in the system keyring.")
        self.secret.setPlaceholderText("•••••• (saved)" if saved else "")

    async def _current_auth(self) -> Auth | None:
        """The auth the dialog's fields describe (typed secret, else the saved one)."""
        secret = self.secret.text().strip()
        if not secret:
            try:
                saved: str | None = await in_daemon_thread(self._secrets.load,
                                                           self._secret_kind())
            except SecretsUnavailable:
                saved = None
            secret = saved or ""
        if not secret:
            return None
        if self.mode() == "ssid":
            return SsidAuth(secret)
        return TokenAuth(self.user_id.text().strip(), secret)

    # --- validation and saving ----------------------------------------------------------
    def problem(self) -> str | None:
        """What the agent must fix before saving (what IT preset is not theirs to fix)."""
        url = self.brand_url.text().strip()
        if "brand_url" not in self._managed:
            if not url:
                return "Enter the DeepCall API address of your account (ask your administrator)."
            try:
                api_base(url)  # the client's rule: https, or plain http only to this computer
            except InvalidBrandUrl as exc:
                return exc.problem  # not "correct it in Settings": this is Settings
        if (self.mode() == "token" and not self.user_id.text().strip()
                and "user_id" not in self._managed):
            return "Enter your DeepCall user ID, or switch the sign-in method to session ID."
        region = self.region.text().strip()
        if "default_region" not in self._managed and (
                len(region) != 2 or not region.isalpha() or not is_supported_region(region)):
            return "The default country is a two-letter country code, for example IN."
        return self._call_actions_problem(agents_only=True)

    def show_problem(self, message: str) -> None:
        set_wrapped_text(self.error, message)
        self.error.show()

    def save(self) -> None:
        problem = self.problem()
        if problem:
            self.show_problem(problem)
            return
        # What was checked is what gets written, whatever is typed while the keyring works.
        values = self._values()
        secret = self.secret.text().strip()
        if not secret:
            self._write_settings(values)  # the saved secret stays: no keyring access needed
            return
        self._saving = True
        self.buttons.setEnabled(False)
        self.error.hide()
        self.secret_note.setText("Saving to the system keyring…")
        self._tasks.spawn(self._store_secret_then_save(self._secret_kind(), secret, values))

    def _values(self) -> dict[str, object]:
        """What Save writes: every setting shown here but those the IT preset sets."""
        shown: dict[str, object] = {
            "brand_url": self.brand_url.text().strip().rstrip("/"),
            "auth_mode": self.mode(),
            "user_id": self.user_id.text().strip(),
            "default_region": self.region.text().strip().upper(),
            "pop_behaviour": str(self.pop_behaviour.currentData()),
            "pop_takes_focus": self.takes_focus.isChecked(),
            "return_after_call_seconds": self.return_after.value(),
            "dedupe_seconds": self.dedupe.value(),
            "history_days": self.history_days.value(),
            "clipboard_enabled": self.clipboard_enabled.isChecked(),
            "clipboard_mode": str(self.clipboard_mode.currentData()),
            "open_url_template": self.open_url_template.text().strip(),
            "open_url_when": str(self.open_url_when.currentData()),
            "run_program": self.run_program.text().strip(),
            "run_program_args": self.run_program_args.text().strip(),
            "run_program_on": ",".join(event for event, box in self.run_program_on.items()
                                       if box.isChecked()),
        }
        return {name: value for name, value in shown.items() if name not in self._managed}

    async def _store_secret_then_save(self, kind: SecretKind, secret: str,
                                      values: dict[str, object]) -> None:
        try:
            await in_daemon_thread(self._secrets.store, kind, secret)
        except SecretsUnavailable as exc:
            self.show_problem(exc.user_message)  # nothing saved: the agent loses nothing
            self.secret_note.setText("")
            return
        finally:
            self._saving = False
            self.buttons.setEnabled(True)
        self._write_settings(values)

    def _write_settings(self, values: dict[str, object]) -> None:
        for name, value in values.items():
            self._settings.set_value(name, value)
        self.secret.clear()
        self.error.hide()
        self.saved.emit()
        self.accept()

    def reject(self) -> None:
        if self._saving:
            return  # the secret is on its way to the keyring: the settings must follow it
        super().reject()

    # --- test connection ----------------------------------------------------------------
    def start_connection_test(self) -> None:
        problem = self.problem()
        if problem is not None:
            self._finish_test(False, problem)
            return
        if self._tester is None:
            self._finish_test(False, "Testing is not available here.")
            return
        self.test_button.setEnabled(False)
        self.test_result.setText("Testing…")
        self._tasks.spawn(self._run_test(self.brand_url.text().strip()))

    async def _run_test(self, url: str) -> None:
        assert self._tester is not None
        auth = await self._current_auth()
        if auth is None:
            self._finish_test(False, "Enter the token (or session ID) to test with.")
            return
        try:
            counters = await self._tester(url.rstrip("/"), auth)
        except DeepCallApiError as exc:
            self._finish_test(False, _test_failure_message(exc))
        except Exception as exc:  # a test must always end with a message, never hang
            log.warning("connection test failed: %s", type(exc).__name__)
            self._finish_test(False, describe_error(exc).message)
        else:
            status = counters.agent_status or "unknown"
            calls = "?" if counters.total_calls is None else counters.total_calls
            self._finish_test(True, f"Connected. Agent status: {status}, {calls} calls today.")

    def _finish_test(self, ok: bool, message: str) -> None:
        self.test_button.setEnabled(True)
        # DeepCall's words (agent status, error messages) are in it: plain and bounded.
        set_wrapped_text(self.test_result, ("✔ " if ok else "✖ ") + message)
        self.test_finished.emit(ok, message)

    def done(self, result: int) -> None:
        self._tasks.cancel()
        super().done(result)
