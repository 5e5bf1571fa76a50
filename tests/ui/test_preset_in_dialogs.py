"""What the IT preset sets shows as managed and locked: in the settings dialog ("Set by your IT
department", the preset's path in the tooltip, never written back) and in the field mapping
editor (read-only). Real preset files, the real Settings and ActiveMapping."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QComboBox, QDialogButtonBox, QLabel, QWidget
from pytestqt.qtbot import QtBot

from app.core.field_mapping import FieldMapping, FieldSpec, default_mapping, save_mapping
from app.services.mapping_store import ActiveMapping, save_active_mapping
from app.services.preset import PRESET_ENV, ManagedByPreset
from app.services.secrets import MemorySecretStore
from app.services.settings import Settings
from app.services.settings_file import SETTINGS_FILE_NAME, read_settings_file
from app.ui.mapping_editor import SECTION, MappingEditor
from app.ui.settings_dialog import SettingsDialog

IT = "https://it.example"
NOTE = "Set by your IT department"


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    folder = tmp_path / "profile"
    folder.mkdir()
    return folder


def preset_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "it"
    folder.mkdir(exist_ok=True)
    path = folder / "preset.ini"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv(PRESET_ENV, str(path))
    return path


def open_dialog(qtbot: QtBot, settings: Settings, run_brand: str | None = None
                ) -> SettingsDialog:
    dialog = SettingsDialog(settings, MemorySecretStore(), run_brand=run_brand)
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


def shown(text: str) -> str:
    """Label or tooltip text as read: without the break points long words get."""
    return html.unescape(text).replace("\u200b", "")


def note_beside(widget: QWidget) -> QLabel | None:
    """The managed note in the same row as ``widget``, if any."""
    box = widget.parentWidget()
    notes = [] if box is None else box.findChildren(
        QLabel, "managedNote", Qt.FindChildOption.FindDirectChildrenOnly)
    return notes[0] if notes else None


def test_managed_settings_are_locked_and_say_who_set_them(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, profile: Path) -> None:
    path = preset_file(monkeypatch, tmp_path,
                       f"[General]\nbrand_url={IT}\npop_behaviour=tray_only\n"
                       "clipboard_enabled=true\nrun_program_on=ringing\nuser_id=7\n")
    dialog = open_dialog(qtbot, Settings(profile))
    events = dialog.run_program_on["ringing"].parentWidget()  # the row of event boxes
    assert events is not None
    managed = {"brand_url": dialog.brand_url, "pop_behaviour": dialog.pop_behaviour,
               "clipboard_enabled": dialog.clipboard_enabled, "run_program_on": events,
               "user_id": dialog.user_id}
    # Switching the sign-in method back and forth must not unlock the managed user ID.
    dialog.auth_mode.setCurrentIndex(dialog.auth_mode.findData("ssid"))
    dialog.auth_mode.setCurrentIndex(dialog.auth_mode.findData("token"))
    assert dialog.brand_url.text() == IT
    for name, widget in managed.items():
        assert not widget.isEnabled(), name
    assert not dialog.run_program_on["ringing"].isEnabled()
    for name, widget in managed.items():
        note = note_beside(widget)
        assert note is not None, name
        assert note.text() == NOTE
        assert note.isVisibleTo(dialog)
        assert str(path) in shown(note.toolTip())
        assert str(path) in shown(widget.toolTip())
    # What the preset leaves out stays the agent's, with no note.
    for widget in (dialog.auth_mode, dialog.region, dialog.dedupe, dialog.clipboard_mode):
        assert widget.isEnabled()
        assert note_beside(widget) is None
    assert str(path) in shown(dialog.findChildren(QLabel)[0].text())  # the intro says where


def test_save_writes_the_agents_settings_and_never_the_managed_ones(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, profile: Path) -> None:
    # A plain-http address to another computer is refused for an agent; from the preset it
    # must not stop the agent saving their own settings.
    preset_file(monkeypatch, tmp_path, "[General]\nbrand_url=http://crm.example\n"
                "auth_mode=token\nuser_id=\nrun_program=/usr/bin/true\nrun_program_args=\"\n")
    settings = Settings(profile)
    dialog = open_dialog(qtbot, settings)
    dialog.region.setText("gb")
    dialog.dedupe.setValue(42)
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        dialog.save()
    assert dialog.error.isHidden()
    saved = read_settings_file(profile / SETTINGS_FILE_NAME).values
    assert (saved["default_region"], saved["dedupe_seconds"]) == ("GB", "42")
    for name in ("brand_url", "auth_mode", "user_id", "run_program", "run_program_args"):
        assert name not in saved, name
    assert Settings(profile).default_region == "GB"


def test_the_run_brand_shows_beside_the_saved_address(qtbot: QtBot, profile: Path) -> None:
    settings = Settings(profile)
    settings.brand_url = "https://saved.example"
    dialog = open_dialog(qtbot, settings, run_brand="https://once.example")
    assert dialog.brand_url.text() == "https://saved.example"
    assert dialog.run_brand_note.isVisibleTo(dialog)
    assert "This run uses https://once.example, given with --brand" in (
        shown(dialog.run_brand_note.text()))
    assert not open_dialog(qtbot, settings).run_brand_note.isVisibleTo(dialog)


# --- the field mapping ----------------------------------------------------------------------

def it_mapping() -> FieldMapping:
    return default_mapping().with_field(
        FieldSpec("desk", "custom", "Desk", 5, "text", "custom_field_7"))


def test_a_preset_mapping_is_used_and_cannot_be_saved_over(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, profile: Path) -> None:
    (tmp_path / "it").mkdir()
    save_mapping(it_mapping(), tmp_path / "it" / "floor.json")
    path = preset_file(monkeypatch, tmp_path, "[General]\nfield_mapping=floor.json\n")
    save_active_mapping(profile, default_mapping())  # the agent's own, from before
    active = ActiveMapping(profile)
    assert active.mapping == it_mapping()
    assert (active.managed_by, active.warning) == (path, None)
    with pytest.raises(ManagedByPreset, match=f"set by your IT department in {path}"):
        active.save(default_mapping())
    assert active.mapping == it_mapping()


@pytest.mark.parametrize("content", ["{not json", None])
def test_a_preset_mapping_that_cannot_be_used_falls_back_and_says_where(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, profile: Path,
        content: str | None) -> None:
    (tmp_path / "it").mkdir()
    if content is not None:
        (tmp_path / "it" / "floor.json").write_text(content, encoding="utf-8")
    path = preset_file(monkeypatch, tmp_path, "[General]\nfield_mapping=floor.json\n")
    save_active_mapping(profile, it_mapping())
    active = ActiveMapping(profile)
    assert active.mapping == it_mapping()  # this computer's own mapping
    assert active.managed_by is None
    assert active.warning is not None
    assert f"the IT preset {path}" in active.warning
    active.save(default_mapping())  # the agent's own mapping stays theirs to change


def test_the_mapping_editor_is_read_only_for_a_preset_mapping(
        qtbot: QtBot, tmp_path: Path) -> None:
    preset = tmp_path / "preset.ini"
    editor = MappingEditor(it_mapping(), managed_by=preset)
    qtbot.addWidget(editor)
    assert editor.table.editTriggers() == QAbstractItemView.EditTrigger.NoEditTriggers
    section = editor.table.cellWidget(0, SECTION)
    assert isinstance(section, QComboBox)
    assert not section.isEnabled()
    for button in (editor.add_button, editor.remove_button, editor.import_button,
                   editor.buttons.button(QDialogButtonBox.StandardButton.Save)):
        assert not button.isEnabled()
    assert editor.export_button.isEnabled()
    text = shown(editor.message.text())
    assert NOTE in text
    assert str(preset) in text
    emitted: list[object] = []
    editor.mapping_saved.connect(emitted.append)
    editor.save()
    assert emitted == []
    exported = tmp_path / "out.json"
    assert editor.export_file(exported)
    assert json.loads(exported.read_text(encoding="utf-8"))["fields"]
    editable = MappingEditor(it_mapping())
    qtbot.addWidget(editable)
    assert editable.add_button.isEnabled()
    assert editable.findChildren(QLabel, "managedNote") == []


def test_a_preset_args_mistake_never_blocks_saving_the_agents_own_settings(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, profile: Path) -> None:
    preset_file(monkeypatch, tmp_path, "[General]\nrun_program_args=--caller={phone}\n")
    (profile / SETTINGS_FILE_NAME).write_text(
        f"[General]\nbrand_url={IT}\nuser_id=5\nrun_program=/usr/bin/true\n", encoding="utf-8")
    settings = Settings(profile)
    assert settings.managed_by("run_program_args") is None  # refused when read: dropped
    dialog = open_dialog(qtbot, settings)
    dialog.region.setText("GB")
    dialog.save()
    assert dialog.error.isHidden(), dialog.error.text()
    assert read_settings_file(profile / SETTINGS_FILE_NAME).values["default_region"] == "GB"


def test_with_its_arguments_preset_the_agent_may_clear_their_program(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, profile: Path) -> None:
    preset_file(monkeypatch, tmp_path, "[General]\nrun_program_args=--caller={e164}\n")
    (profile / SETTINGS_FILE_NAME).write_text(
        f"[General]\nbrand_url={IT}\nuser_id=5\nrun_program=/usr/bin/true\n", encoding="utf-8")
    settings = Settings(profile)
    assert settings.managed_by("run_program_args") is not None  # a good pair: IT's
    dialog = open_dialog(qtbot, settings)
    # "Arguments set but no program": IT's half makes it so; not the agent's to fix.
    dialog.run_program.setText("")
    dialog.save()
    assert dialog.error.isHidden(), dialog.error.text()
    assert settings.run_program == ""
    # The agent's own half is still checked: a control character in their program path.
    reopened = open_dialog(qtbot, settings)
    reopened.run_program.setText("/usr/bin/tr\x01ue")
    reopened.save()
    assert not reopened.error.isHidden()
    assert "control characters" in reopened.error.text()
