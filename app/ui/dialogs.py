"""The Tools menu's windows: Settings, the field mapping editor, the log folder.

Dialogs are opened with ``open()`` plus signals, never ``exec()`` (a nested loop inside qasync
re-enters coroutines). What they produce goes straight to the service that owns it: saved
settings make the account reload, a saved mapping goes to the active mapping.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QDesktopServices

from app.core.field_mapping import FieldMapping
from app.services.account import Account, AccountProblem
from app.services.logs import log_event
from app.services.mapping_store import ActiveMapping
from app.services.secrets import SecretStore
from app.services.settings import Settings
from app.ui.main_window import MainWindow
from app.ui.mapping_editor import MappingEditor
from app.ui.settings_dialog import SettingsDialog

log = logging.getLogger(__name__)


class Dialogs(QObject):
    def __init__(self, window: MainWindow, settings: Settings, secrets: SecretStore,
                 account: Account, mapping: ActiveMapping, log_folder: Path, *,
                 demo: bool = False, run_brand: str | None = None) -> None:
        super().__init__(window)
        self._window = window
        self._settings = settings
        self._secrets = secrets
        self._account = account
        self._mapping = mapping
        self._log_folder = log_folder
        self._demo = demo
        self._run_brand = run_brand  # --brand: this run's address, shown beside the saved one
        self.settings_dialog: SettingsDialog | None = None

    def open_settings(self, first_start: bool = False) -> SettingsDialog:
        dialog = self.settings_dialog
        if dialog is not None and dialog.isVisible():
            dialog.raise_()
            return dialog
        dialog = SettingsDialog(self._settings, self._secrets, self._account.test_connection,
                                self._window,
                                first_start=first_start or not self._settings.is_configured(),
                                run_brand=self._run_brand)
        if self._demo:
            dialog.setWindowTitle("Screen-Pop settings (demo: the sandbox account is used)")
        dialog.saved.connect(self._on_settings_saved)
        self.settings_dialog = dialog
        dialog.open()
        return dialog

    def open_settings_for(self, problem: AccountProblem) -> None:
        """Nothing set up yet, or a saved setting (the address) is unusable: Settings opens,
        saying what is wrong, instead of the app failing."""
        if problem.first_start:
            self.open_settings(first_start=True)
        elif problem.in_settings:
            self.open_settings().show_problem(problem.message)

    def _on_settings_saved(self) -> None:
        log_event(log, "settings_saved")
        self._account.reload()  # the secret may have changed, which no setting shows

    def open_mapping_editor(self) -> MappingEditor:
        editor = MappingEditor(self._mapping.mapping, self._window,
                               managed_by=self._mapping.managed_by)
        editor.mapping_saved.connect(self._on_mapping_saved)
        editor.open()
        return editor

    def _on_mapping_saved(self, mapping: FieldMapping) -> None:
        try:
            path = self._mapping.save(mapping)
        except OSError as exc:
            self._window.statusBar().showMessage(
                f"The field mapping could not be saved: {exc.strerror or exc}")
            return
        self._window.statusBar().showMessage(f"Field mapping saved to {path}", 8000)

    def open_log_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._log_folder)))

    def close(self) -> None:
        if self.settings_dialog is not None:
            self.settings_dialog.done(0)
