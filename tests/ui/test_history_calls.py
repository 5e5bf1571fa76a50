"""The history panel and the settings dialog for the calls around the pops (issue 11): the
line that rang beside the call, a withheld caller's rows (shown as such, never popped again
as a lookup), and the two window settings."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from app.core.caller_id import WITHHELD_LABEL
from app.sandbox.accounts import DEMO_TOKEN, DEMO_USER_ID
from app.services.pop_history import NOT_SHOWN
from app.services.secrets import MemorySecretStore
from app.services.settings import Settings
from app.services.store import PopRecord
from app.ui.history_panel import COLUMNS, NOT_REPOPPABLE, HistoryPanel, HistoryRow
from app.ui.settings_dialog import SettingsDialog
from tests.fixtures.qt_async import wait_signal

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]


def test_the_line_is_beside_the_call_and_withheld_rows_pop_nobody(qtbot: QtBot) -> None:
    panel = HistoryPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.show_rows([
        HistoryRow.of(PopRecord(2, "withheld:c9", 1.7e9, "withheld", "", "c9", "softphone",
                                 "Support"), None),
        HistoryRow.of(PopRecord(1, "+919876543210", 1.7e9, "found", "Aarav Mehta", "c1",
                                 "softphone", "Sales IN"), None),
    ])
    withheld, known = panel.list.topLevelItem(0), panel.list.topLevelItem(1)
    line = COLUMNS.index("Line")
    assert (known.text(line), withheld.text(line)) == ("Sales IN", "Support")
    assert withheld.text(COLUMNS.index("Number")) == WITHHELD_LABEL
    assert withheld.text(COLUMNS.index("Name")) == ""
    asked: list[tuple[str, object]] = []
    panel.repop_requested.connect(lambda number, call_id: asked.append((number, call_id)))
    panel._repop(withheld)
    assert asked == []
    assert panel.problem.text() == NOT_REPOPPABLE
    panel._repop(known)
    assert asked == [("+919876543210", "c1")]


def test_a_call_that_was_not_popped_says_why_in_the_name_column(qtbot: QtBot) -> None:
    panel = HistoryPanel()
    qtbot.addWidget(panel)
    panel.show_rows([HistoryRow.of(PopRecord(1, "+919876543210", 1.7e9, NOT_SHOWN, "", "c4",
                                             "softphone", "Sales IN"), None)])
    assert panel.list.topLevelItem(0).text(COLUMNS.index("Name")) == (
        "Not popped: another call or already over")


def test_the_focus_and_return_settings_are_in_the_dialog(
        qtbot: QtBot, tmp_path: Path, run_async: RunAsync) -> None:
    secrets = MemorySecretStore()
    secrets.store("token", DEMO_TOKEN)
    dialog = SettingsDialog(Settings(tmp_path), secrets, lambda *_: None)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.open()
    assert not dialog.takes_focus.isChecked()
    assert dialog.return_after.value() == 0
    assert dialog.return_after.text() == "Never"
    dialog.brand_url.setText("https://v4-api.deepcall.com")
    dialog.user_id.setText(DEMO_USER_ID)
    dialog.takes_focus.setChecked(True)
    dialog.return_after.setValue(20)
    run_async(wait_signal(dialog.saved, 10, trigger=dialog.save))
    saved = Settings(tmp_path)
    assert saved.pop_takes_focus
    assert saved.return_after_call_seconds == 20
