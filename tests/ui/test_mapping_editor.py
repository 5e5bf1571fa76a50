"""The field mapping editor: edit, validate, import and export through core's file format."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import QComboBox, QTableWidgetItem
from pytestqt.qtbot import QtBot

from app.core.field_mapping import FieldMapping, default_mapping, load_mapping
from app.ui.mapping_editor import DISPLAY, HINT, KEY, LABEL, PATTERN, SECTION, MappingEditor


def _editor(qtbot: QtBot) -> MappingEditor:
    editor = MappingEditor(default_mapping())
    qtbot.addWidget(editor)
    return editor


def _row_of(editor: MappingEditor, label: str) -> int:
    for row in range(editor.table.rowCount()):
        item = editor.table.item(row, LABEL)
        if item is not None and item.text() == label:
            return row
    raise AssertionError(f"no row for {label!r}")


def test_the_table_round_trips_the_default_mapping(qtbot: QtBot) -> None:
    editor = _editor(qtbot)
    assert editor.table.rowCount() == len(default_mapping().fields)
    assert editor.to_mapping() == default_mapping()


def test_an_edit_is_saved_as_a_new_mapping(qtbot: QtBot) -> None:
    editor = _editor(qtbot)
    editor.table.setItem(_row_of(editor, "city"), DISPLAY, QTableWidgetItem("Town"))
    editor.add_row("tarun", "custom", "Tarun's field", 99, "text", "custom_field_9")
    with qtbot.waitSignal(editor.mapping_saved) as saved:
        editor.save()
    mapping = saved.args[0]
    assert isinstance(mapping, FieldMapping)
    city = mapping.lookup("city")
    tarun = mapping.lookup("TARUN")
    assert city is not None
    assert city.display_name == "Town"
    assert tarun is not None
    assert tarun.directory_key == "custom_field_9"


def test_a_bad_row_is_explained_and_nothing_is_saved(qtbot: QtBot) -> None:
    editor = _editor(qtbot)
    emitted: list[object] = []
    editor.mapping_saved.connect(emitted.append)
    editor.table.setItem(_row_of(editor, "city"), KEY, QTableWidgetItem("name"))
    editor.save()
    assert emitted == []
    assert "both write to Directory key 'name'" in editor.message.text()
    assert editor.table.rowCount() == len(default_mapping().fields)  # nothing lost


def test_export_then_import_restores_the_table(qtbot: QtBot, tmp_path: Path) -> None:
    editor = _editor(qtbot)
    combo = editor.table.cellWidget(_row_of(editor, "Company"), SECTION)
    assert isinstance(combo, QComboBox)
    combo.setCurrentText("custom")
    path = tmp_path / "mapping.json"
    assert editor.export_file(path)
    company = load_mapping(path).lookup("Company")
    assert company is not None
    assert company.section == "custom"

    other = _editor(qtbot)
    assert other.import_file(path)
    assert other.to_mapping() == editor.to_mapping()


def test_a_broken_import_keeps_the_current_table(qtbot: QtBot, tmp_path: Path) -> None:
    editor = _editor(qtbot)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps({"version": 1, "fields": [{"label": "x", "section": "odd"}]}))
    assert not editor.import_file(path)
    assert "section" in editor.message.text()
    assert editor.to_mapping() == default_mapping()


def test_every_input_has_an_accessible_name(qtbot: QtBot) -> None:
    editor = _editor(qtbot)
    for widget in (editor.table, editor.add_button, editor.remove_button,
                   editor.import_button, editor.export_button):
        assert widget.accessibleName()
    combos = editor.table.findChildren(QComboBox)
    assert combos
    assert all(c.accessibleName() for c in combos)


def test_a_pattern_and_its_hint_are_edited_in_the_table(qtbot: QtBot) -> None:
    editor = _editor(qtbot)
    editor.add_row("Customer ID", "custom", "Customer ID", 99, "text", "custom_field_9",
                   "[A-Z]{2}-[0-9]{4}", "AB-1234")
    with qtbot.waitSignal(editor.mapping_saved) as saved:
        editor.save()
    spec = saved.args[0].lookup("Customer ID")
    assert (spec.pattern, spec.pattern_hint) == ("[A-Z]{2}-[0-9]{4}", "AB-1234")
    editor.load(saved.args[0])  # and shown again as it was saved
    row = _row_of(editor, "Customer ID")
    assert [editor._text(row, c) for c in (PATTERN, HINT)] == ["[A-Z]{2}-[0-9]{4}", "AB-1234"]


def test_a_broken_pattern_is_explained_and_nothing_is_saved(qtbot: QtBot) -> None:
    editor = _editor(qtbot)
    emitted: list[object] = []
    editor.mapping_saved.connect(emitted.append)
    editor.table.setItem(_row_of(editor, "city"), PATTERN, QTableWidgetItem("[A-Z"))
    editor.save()
    assert emitted == []
    assert "'pattern' is not a valid regular expression" in editor.message.text()


def test_a_pattern_that_could_freeze_the_app_is_refused_and_nothing_is_saved(
        qtbot: QtBot) -> None:
    editor = _editor(qtbot)
    emitted: list[object] = []
    editor.mapping_saved.connect(emitted.append)
    editor.table.setItem(_row_of(editor, "city"), PATTERN,
                         QTableWidgetItem("([A-Z0-9]+)+-(?=[0-9])[0-9]{4}"))
    editor.save()
    assert emitted == []
    said = " ".join(editor.message.text().replace("\u200b", "").split())
    assert "'pattern' cannot be used: it uses a look-ahead or look-behind" in said
