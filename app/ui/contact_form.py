"""The contact panel: renders the core's ContactView and reports what the agent typed.

No HTTP here. Sections follow the field mapping (standard, then custom); when the response has
more than one group, each further group gets its own box so every group stays visible.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette, QRegularExpressionValidator
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

from app.core.contact_view import ContactView, FieldKey, FieldView

_EMAIL = r"[^@\s]*(@[^@\s]*)?"  # lenient while typing; the save validates properly
_PHONE = r"[+0-9 ()\-]*"
_DATE = r"[0-9\-/]*"


def boxes_for(view: ContactView) -> list[tuple[str, list[FieldView]]]:
    """(title, fields) per box: each mapping section, split by group after the first group."""
    groups: list[str] = []
    for f in view.fields():
        if f.group not in groups:
            groups.append(f.group)
    primary = groups[0] if groups else ""
    boxes: list[tuple[str, list[FieldView]]] = []
    for section in view.sections:
        for group in groups:
            fields = [f for f in section.fields if f.group == group]
            if not fields:
                continue
            title = section.title if group == primary else f"{section.title} — {group}"
            boxes.append((title, fields))
    return boxes


Editor = QLineEdit | QPlainTextEdit


def _editor_for(field: FieldView) -> Editor:
    editor: Editor
    if field.input_type == "multiline":
        editor = QPlainTextEdit()
        editor.setPlainText(field.value)
        editor.setTabChangesFocus(True)  # Tab moves on, as in every other field
        # Three lines tall in the current font: scales with the user's DPI and font size.
        line = editor.fontMetrics().lineSpacing()
        editor.setMinimumHeight(line * 3 + 12)
        editor.setMaximumHeight(line * 4 + 12)
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
    if field.read_only:
        # Looks like text on the window, not like an input: nobody tries to type into it.
        palette = editor.palette()
        palette.setColor(QPalette.ColorRole.Base, palette.color(QPalette.ColorRole.Window))
        editor.setPalette(palette)
        editor.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # still reachable to read/copy
    description = field.display_name + (" (read-only)" if field.read_only else "")
    editor.setAccessibleName(field.display_name)
    editor.setAccessibleDescription(description)
    target = f" → {field.directory_key}" if field.directory_key else " (not written back)"
    editor.setToolTip(f"DeepCall label: {field.group} / {field.label}{target}")
    return editor


def _set_text(editor: Editor, text: str) -> None:
    if isinstance(editor, QPlainTextEdit):
        editor.setPlainText(text)
    else:
        editor.setText(text)


def _text_of(editor: Editor) -> str:
    return editor.toPlainText() if isinstance(editor, QPlainTextEdit) else editor.text()


class ContactForm(QScrollArea):
    """Sections of labelled inputs; scrolls when the window is small or the font is large."""

    field_edited = Signal(str, str, str)  # group, label, new text

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setAccessibleName("Contact details")
        self._editors: dict[FieldKey, Editor] = {}
        self._fields: dict[FieldKey, FieldView] = {}
        self.view: ContactView | None = None
        self._placeholder = QLabel()
        self.clear()

    # --- rendering ----------------------------------------------------------------------
    def clear(self, message: str | None = None) -> None:
        self._editors.clear()
        self._fields.clear()
        self.view = None
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

    def show_view(self, view: ContactView) -> None:
        """Render ``view``. The same caller again (a background refresh, a new mapping) keeps
        what the agent is typing: an identical view changes nothing, a changed one is rebuilt
        with the agent's edits and focus carried over."""
        if view == self.view:
            return
        same_caller = self.view is not None and self.view.caller_number == view.caller_number
        carried = self.edits() if same_caller else {}
        focused = self._focused_key() if same_caller else None
        self._editors.clear()
        self._fields.clear()
        self.view = view
        container = QWidget()
        outer = QVBoxLayout(container)
        for title, fields in boxes_for(view):
            box = QGroupBox(title)
            box.setAccessibleName(title)
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
            for field in fields:
                editor = _editor_for(field)
                label = QLabel(field.display_name)
                label.setBuddy(editor)
                if not field.known:
                    label.setToolTip("Not in the field mapping: shown as DeepCall sent it")
                form.addRow(label, editor)
                self._editors[field.key] = editor
                self._fields[field.key] = field
                if not field.read_only:
                    self._connect(field, editor)
            outer.addWidget(box)
        outer.addStretch(1)
        self.setWidget(container)
        # Tab walks the fields in the order shown, box by box.
        for previous, editor in zip(self.inputs(), self.inputs()[1:], strict=False):
            QWidget.setTabOrder(previous, editor)
        for key, text in carried.items():
            kept = self._editors.get(key)
            if kept is not None and not kept.isReadOnly():
                _set_text(kept, text)
        if focused is not None and focused in self._editors:
            self._editors[focused].setFocus(Qt.FocusReason.OtherFocusReason)

    def _focused_key(self) -> FieldKey | None:
        return next((key for key, editor in self._editors.items() if editor.hasFocus()), None)

    def _connect(self, field: FieldView, editor: Editor) -> None:
        group, label = field.key
        if isinstance(editor, QPlainTextEdit):
            editor.textChanged.connect(
                lambda: self.field_edited.emit(group, label, editor.toPlainText()))
        else:
            editor.textEdited.connect(lambda text: self.field_edited.emit(group, label, text))

    # --- reading back -------------------------------------------------------------------
    def editor(self, label: str, group: str | None = None) -> Editor | None:
        """The input of ``label`` (in ``group``, or the first group that has it)."""
        for (g, lbl), editor in self._editors.items():
            if lbl == label and (group is None or g == group):
                return editor
        return None

    def values(self) -> dict[str, str]:
        """Every shown field by display name (as ``ContactView.display_values`` names them)."""
        result: dict[str, str] = {}
        for key, editor in self._editors.items():
            f = self._fields[key]
            name = f.display_name if f.display_name not in result \
                else f"{f.display_name} ({f.group})"
            result[name] = _text_of(editor)
        return result

    def edits(self) -> dict[FieldKey, str]:
        """Only what the agent changed: (group, label) -> new text."""
        return {key: _text_of(editor) for key, editor in self._editors.items()
                if _text_of(editor) != self._fields[key].value}

    def inputs(self) -> list[Editor]:
        return list(self._editors.values())
