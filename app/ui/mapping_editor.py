"""The field mapping editor: a table of labels and how each is shown and written back.

Admins edit rows, add/remove labels, import a mapping file or export the current one. The table
is validated by core (``mapping_from_json``) on Save; a bad row is explained, nothing is lost.
Opened with ``open()``; the saved mapping is delivered by the ``mapping_saved`` signal.
A mapping set by the IT preset is shown read-only, saying so (it can still be exported).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.field_mapping import (
    INPUT_TYPES,
    SECTIONS,
    FieldMapping,
    FieldMappingError,
    load_mapping,
    mapping_from_json,
    save_mapping,
)
from app.services.preset import MANAGED_NOTE
from app.ui.managed_marks import managed_note
from app.ui.plain_text import set_wrapped_text

COLUMNS = ("DeepCall label", "Section", "Shown as", "Order", "Input type", "Directory key",
           "Pattern", "Pattern hint")
LABEL, SECTION, DISPLAY, ORDER, INPUT, KEY, PATTERN, HINT = range(len(COLUMNS))
READ_ONLY_KEY = ""  # an empty Directory key: shown read-only, never written back


class MappingEditor(QDialog):
    mapping_saved = Signal(object)  # FieldMapping

    def __init__(self, mapping: FieldMapping, parent: QWidget | None = None, *,
                 managed_by: Path | None = None) -> None:
        """``managed_by``: the IT preset's path when it sets the mapping (read-only then)."""
        super().__init__(parent)
        self.setWindowTitle("Field mapping")
        self.setModal(True)
        intro = QLabel("How each label DeepCall sends is shown in the form and which Directory "
                       "field it writes to. Leave “Directory key” empty for a read-only field. An "
                       "optional “Pattern” (a regular expression the whole value must match "
                       "before it is saved) comes with a “Pattern hint” such as AB-1234; an "
                       "empty value is not checked, so a field can still be cleared.")
        intro.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setAccessibleName("Field mapping table")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)

        self.add_button = QPushButton("&Add label")
        self.add_button.setAccessibleName("Add a label")
        self.add_button.clicked.connect(self.add_row)
        self.remove_button = QPushButton("&Remove label")
        self.remove_button.setAccessibleName("Remove the selected label")
        self.remove_button.clicked.connect(self.remove_selected)
        self.import_button = QPushButton("&Import…")
        self.import_button.setAccessibleName("Import a field mapping file")
        self.import_button.clicked.connect(self._choose_import)
        self.export_button = QPushButton("E&xport…")
        self.export_button.setAccessibleName("Export the field mapping to a file")
        self.export_button.clicked.connect(self._choose_export)
        row = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.import_button,
                       self.export_button):
            row.addWidget(button)
        row.addStretch(1)

        self.message = QLabel()
        set_wrapped_text(self.message, "")  # file and label names come from outside
        self.message.setAccessibleName("Field mapping problem")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        self.managed_by = managed_by

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.load(mapping)
        if managed_by is not None:
            self._lock(managed_by, row)
        em = self.fontMetrics().horizontalAdvance("M")
        self.resize(em * 60, em * 36)

    def _lock(self, preset: Path, buttons_row: QHBoxLayout) -> None:
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for row in range(self.table.rowCount()):
            for column in (SECTION, INPUT):
                widget = self.table.cellWidget(row, column)
                if widget is not None:
                    widget.setEnabled(False)
        for button in (self.add_button, self.remove_button, self.import_button,
                       self.buttons.button(QDialogButtonBox.StandardButton.Save)):
            button.setEnabled(False)
        buttons_row.insertWidget(0, managed_note(preset))
        set_wrapped_text(self.message, f"{MANAGED_NOTE}: this field mapping comes from "
                         f"{preset} and cannot be changed here. Export still works.")

    # --- table <-> mapping --------------------------------------------------------------
    def load(self, mapping: FieldMapping) -> None:
        self.table.setRowCount(0)
        for spec in mapping.fields:
            self.add_row(spec.label, spec.section, spec.display_name, spec.order,
                         spec.input_type, spec.directory_key or READ_ONLY_KEY, spec.pattern,
                         spec.pattern_hint)

    def add_row(self, label: str = "", section: str = "custom", display: str = "",
                order: int | None = None, input_type: str = "text", key: str = "",
                pattern: str = "", hint: str = "") -> None:
        row = self.table.rowCount()
        if order is None:
            order = (row + 1) * 10
        self.table.insertRow(row)
        label_item = QTableWidgetItem(label)
        self.table.setItem(row, LABEL, label_item)
        self.table.setItem(row, DISPLAY, QTableWidgetItem(display))
        self.table.setItem(row, ORDER, QTableWidgetItem(str(order)))
        self.table.setItem(row, KEY, QTableWidgetItem(key))
        self.table.setItem(row, PATTERN, QTableWidgetItem(pattern))
        self.table.setItem(row, HINT, QTableWidgetItem(hint))
        self.table.setCellWidget(row, SECTION, self._combo(SECTIONS, section, "Section"))
        self.table.setCellWidget(row, INPUT, self._combo(INPUT_TYPES, input_type, "Input type"))
        if not label:
            self.table.setCurrentCell(row, LABEL)
            self.table.editItem(label_item)

    @staticmethod
    def _combo(choices: tuple[str, ...], current: str, name: str) -> QComboBox:
        combo = QComboBox()
        combo.addItems(list(choices))
        combo.setCurrentText(current)
        combo.setAccessibleName(name)
        return combo

    def remove_selected(self) -> None:
        rows = sorted({index.row() for index in self.table.selectedIndexes()}, reverse=True)
        for row in rows:
            self.table.removeRow(row)

    def _text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text().strip() if item is not None else ""

    def _choice(self, row: int, column: int) -> str:
        widget = self.table.cellWidget(row, column)
        return widget.currentText() if isinstance(widget, QComboBox) else ""

    def to_mapping(self) -> FieldMapping:
        """The table as a validated mapping; FieldMappingError names the row and the problem."""
        fields: list[dict[str, object]] = []
        for row in range(self.table.rowCount()):
            label = self._text(row, LABEL)
            if not label:
                continue  # an empty new row is not an error, just nothing
            order_text = self._text(row, ORDER) or "0"
            try:
                order = int(order_text)
            except ValueError:
                raise FieldMappingError(f"row {row + 1} ({label!r}): the order must be a whole "
                                        f"number (got {order_text!r})") from None
            fields.append({"label": label, "section": self._choice(row, SECTION),
                           "display_name": self._text(row, DISPLAY) or label, "order": order,
                           "input_type": self._choice(row, INPUT),
                           "directory_key": self._text(row, KEY) or None,
                           "pattern": self._text(row, PATTERN),
                           "pattern_hint": self._text(row, HINT)})
        return mapping_from_json({"version": 1, "fields": fields})

    # --- actions ------------------------------------------------------------------------
    def save(self) -> None:
        if self.managed_by is not None:
            return  # Save is disabled; a keyboard shortcut must not get round it either
        try:
            mapping = self.to_mapping()
        except FieldMappingError as exc:
            set_wrapped_text(self.message, f"Not saved: {exc}")
            return
        self.mapping_saved.emit(mapping)
        self.accept()

    def import_file(self, path: Path) -> bool:
        try:
            mapping = load_mapping(path)
        except FieldMappingError as exc:
            set_wrapped_text(self.message, f"Not imported: {exc}")
            return False
        self.load(mapping)
        set_wrapped_text(self.message, f"Imported {len(mapping.fields)} labels from "
                         f"{path.name}. Press Save to use them.")
        return True

    def export_file(self, path: Path) -> bool:
        try:
            save_mapping(self.to_mapping(), path)
        except FieldMappingError as exc:
            set_wrapped_text(self.message, f"Not exported: {exc}")
            return False
        except OSError as exc:
            set_wrapped_text(self.message, f"Could not write {path}: {exc.strerror or exc}")
            return False
        set_wrapped_text(self.message, f"Exported to {path}.")
        return True

    def _choose_import(self) -> None:
        dialog = QFileDialog(self, "Import field mapping", "", "Field mapping (*.json)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda name: self.import_file(Path(name)))
        dialog.open()

    def _choose_export(self) -> None:
        dialog = QFileDialog(self, "Export field mapping", "field_mapping.json",
                             "Field mapping (*.json)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("json")
        dialog.fileSelected.connect(lambda name: self.export_file(Path(name)))
        dialog.open()
