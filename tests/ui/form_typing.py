"""What an agent does to the contact form, with real key events: find a field, type into it,
read its label (with the unsaved mark) and the messages under it."""

from __future__ import annotations

from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit, QWidget

from app.core.contact_view import FieldKey
from app.ui.contact_form import ContactForm


def editor(form: ContactForm, key: FieldKey) -> QLineEdit:
    found = form.editor(key[1], key[0])
    assert isinstance(found, QLineEdit)
    return found


def type_into(form: ContactForm, key: FieldKey, text: str) -> None:
    """Replace the field's text as the agent would: focus, select all, type."""
    field = editor(form, key)
    field.setFocus()
    field.selectAll()
    QTest.keyClicks(field, text)


def label_text(form: ContactForm, key: FieldKey) -> str:
    field = editor(form, key)
    box = field.parentWidget()
    assert box is not None
    label = box.layout().labelForField(field)  # type: ignore[attr-defined]
    return str(label.full_text())


def problem_text(form: ContactForm, key: FieldKey) -> str:
    """Everything written under the field (its message, both values of a conflict); ""
    when nothing is."""
    row = form.problem_row(key)
    if row is None:
        return ""
    return " ".join(w.text() for w in row.findChildren(QWidget) if hasattr(w, "text"))
