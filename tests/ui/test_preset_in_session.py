"""The IT preset through the real session (``build_session``, as the app builds it): a
preset's field mapping reaches the mapping editor the window opens as read-only, and a
``--brand`` for one run is said in the settings dialog the window opens."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QAbstractItemView, QDialogButtonBox
from pytestqt.qtbot import QtBot

from app.core.field_mapping import save_mapping
from app.sandbox.accounts import DEMO_TOKEN, DEMO_USER_ID
from app.services.credentials import CredentialOverrides
from app.services.preset import PRESET_ENV
from app.services.secrets import MemorySecretStore
from app.session import AppSession, SessionOptions, build_session
from tests.ui.conftest import close_when_the_test_ends
from tests.ui.test_preset_in_dialogs import IT, NOTE, it_mapping, shown

RunAsync = Callable[..., Any]
RUN_BRAND = "https://run.example"


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, run_async: RunAsync,
            request: pytest.FixtureRequest) -> AppSession:
    folder = tmp_path / "it"
    folder.mkdir()
    save_mapping(it_mapping(), folder / "floor.json")
    preset = folder / "preset.ini"
    preset.write_text(f"[General]\nbrand_url={IT}\nuser_id=5\nfield_mapping=floor.json\n",
                      encoding="utf-8")
    monkeypatch.setenv(PRESET_ENV, str(preset))
    profile = tmp_path / "profile"
    profile.mkdir()
    built = build_session(SessionOptions(
        profile_dir=profile, log_file=profile / "logs" / "screenpop.log",
        overrides=CredentialOverrides(brand_url=RUN_BRAND, user_id=DEMO_USER_ID,
                                      token=DEMO_TOKEN),
        secrets=MemorySecretStore()))
    close_when_the_test_ends(request, lambda: run_async(built.aclose()))
    return built


def test_the_sessions_mapping_editor_is_read_only_for_a_preset_mapping(
        qtbot: QtBot, session: AppSession, tmp_path: Path) -> None:
    assert session.mapping.mapping == it_mapping()
    editor = session.dialogs.open_mapping_editor()
    qtbot.addWidget(editor)
    assert editor.table.editTriggers() == QAbstractItemView.EditTrigger.NoEditTriggers
    assert not editor.buttons.button(QDialogButtonBox.StandardButton.Save).isEnabled()
    assert NOTE in shown(editor.message.text())
    assert str(tmp_path / "it" / "preset.ini") in shown(editor.message.text())


def test_the_sessions_settings_dialog_says_the_run_brand(qtbot: QtBot,
                                                        session: AppSession) -> None:
    dialog = session.dialogs.open_settings()
    assert dialog.brand_url.text() == IT  # the preset's, locked
    assert not dialog.run_brand_note.isHidden()
    assert f"This run uses {RUN_BRAND}, given with --brand" in shown(dialog.run_brand_note.text())
