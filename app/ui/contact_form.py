"""The contact panel: renders a form model and reports what the agent typed. No HTTP here.

The form model (``FormSection``/``FormField``) is what the window builds from the services'
contact view: one section per group/part, each field with its display name, input type and
whether the agent may edit it. The form only draws that and emits edits.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

INPUT_TYPES = ("text", "multiline", "email", "phone", "date")
_EMAIL = r"[^@\s]*(@[^@\s]*)?"  # lenient while typing; the save validates properly
_PHONE = r"[+0-9 ()\-]*"
_DATE = r"[0-9\-/]*"


@dataclass(frozen=True)
class FormField:
    label: str  # the label DeepCall sent (the state query reports it)
    display_name: str
    value: str
    input_type: str = "text"
    read_only: bool = False
    key: str | None = None  # Directory key it writes back to, when mapped


@dataclass(frozen=True)
class FormSection:
    title: str
    fields: tuple[FormField, ...]


Editor = QLineEdit | QPlainTextEdit


def _editor_for(field: FormField) -> Editor:
    editor: Editor
    if field.input_type == "multiline":
        editor = QPlainTextEdit()
        editor.setPlainText(field.value)
        editor.setTabChangesFocus(True)  # Tab moves on, as in every other field
        # Three lines tall in the current font: scales with the user's DPI and font size.
        line = editor.fontMetrics().lineSpacing()
        editor.setMinimumHeight(line * 3 + 12)
        editor.setMaximumHeight(line * 5 + 12)
        editor.setReadOnly(field.read_only)
    else:
        editor = QLineEdit(field.value)
        editor.setReadOnly(field.read_only)
        editor.setCursorPosition(0)
        pattern = {"email": _EMAIL, "phone": _PHONE, "date": _DATE}.get(field.input_type)
        if pattern and not field.read_only:
            editor.setValidator(QRegularExpressionValidator(pattern, editor))
        if field.input_type == "date":
            editor.setPlaceholderText("dd-mm-yyyy")
        elif field.input_type == "email":
            editor.setPlaceholderText("name@example.com")
        hints = {"email": Qt.InputMethodHint.ImhEmailCharactersOnly,
                 "phone": Qt.InputMethodHint.ImhDialableCharactersOnly,
                 "date": Qt.InputMethodHint.ImhDate}.get(field.input_type)
        if hints is not None:
            editor.setInputMethodHints(hints)
    description = field.display_name + (" (read-only)" if field.read_only else "")
    editor.setAccessibleName(field.display_name)
    editor.setAccessibleDescription(description)
    editor.setToolTip(f"DeepCall label: {field.label}" + (f" → {field.key}" if field.key else ""))
    return editor


def _text_of(editor: Editor) -> str:
    return editor.toPlainText() if isinstance(editor, QPlainTextEdit) else editor.text()


class ContactForm(QScrollArea):
    """Sections of labelled inputs; scrolls when the window is small or the font is large."""

    field_edited = Signal(str, str)  # label, new text

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setAccessibleName("Contact details")
        self._editors: dict[str, Editor] = {}
        self._originals: dict[str, str] = {}
        self._sections: tuple[FormSection, ...] = ()
        self._placeholder = QLabel()
        self.clear()

    # --- rendering ----------------------------------------------------------------------
    def clear(self, message: str | None = None) -> None:
        self._editors.clear()
        self._originals.clear()
        self._sections = ()
        container = QWidget()
        layout = QVBoxLayout(container)
        self._placeholder = QLabel(message or "Waiting for a call. Numbers arrive from your "
                                   "softphone, the clipboard or “Simulate incoming call”.")
        self._placeholder.setWordWrap(True)
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(1)
        layout.addWidget(self._placeholder)
        layout.addStretch(2)
        self.setWidget(container)

    def show_sections(self, sections: tuple[FormSection, ...] | list[FormSection]) -> None:
        self._editors.clear()
        self._originals.clear()
        self._sections = tuple(sections)
        container = QWidget()
        outer = QVBoxLayout(container)
        for section in self._sections:
            box = QGroupBox(section.title)
            box.setAccessibleName(section.title)
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
            for field in section.fields:
                editor = _editor_for(field)
                label = QLabel(field.display_name)
                label.setBuddy(editor)
                form.addRow(label, editor)
                self._editors[field.label] = editor
                self._originals[field.label] = field.value
                if not field.read_only:
                    self._connect(field.label, editor)
            outer.addWidget(box)
        outer.addStretch(1)
        self.setWidget(container)
        # Tab walks the fields in the order shown, section by section.
        for previous, editor in zip(self.inputs(), self.inputs()[1:], strict=False):
            QWidget.setTabOrder(previous, editor)

    def _connect(self, label: str, editor: Editor) -> None:
        if isinstance(editor, QPlainTextEdit):
            editor.textChanged.connect(lambda: self.field_edited.emit(label, editor.toPlainText()))
        else:
            editor.textEdited.connect(lambda text: self.field_edited.emit(label, text))

    # --- reading back -------------------------------------------------------------------
    def editor(self, label: str) -> Editor | None:
        return self._editors.get(label)

    def values(self) -> dict[str, str]:
        """Every shown field: DeepCall label -> current text."""
        return {label: _text_of(editor) for label, editor in self._editors.items()}

    def edits(self) -> dict[str, str]:
        """Only what the agent changed: DeepCall label -> new text."""
        return {label: text for label, text in self.values().items()
                if text != self._originals.get(label)}

    def sections(self) -> tuple[FormSection, ...]:
        return self._sections

    def inputs(self) -> list[Editor]:
        return list(self._editors.values())

