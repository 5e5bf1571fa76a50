"""The contact form on its own: renders sections, read-only mobile, edits, accessibility."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit, QPlainTextEdit
from pytestqt.qtbot import QtBot

from app.ui.contact_form import ContactForm, FormField, FormSection

SECTIONS = (
    FormSection("Contact", (
        FormField("mobile", "Mobile", "+91 98765 43210", "phone", read_only=True),
        FormField("Name", "Name", "Aarav Mehta", key="name"),
        FormField("Address", "Address", "12 MG Road\nPune", "multiline", key="address"),
        FormField("Email", "Email", "aarav@example.com", "email", key="email"),
    )),
    FormSection("Custom fields", (
        FormField("city", "City", "Pune", key="custom_field_1"),
        FormField("tarun", "tarun", ""),
    )),
)


def test_every_field_is_rendered_with_its_value(qtbot: QtBot) -> None:
    form = ContactForm()
    qtbot.addWidget(form)
    form.show_sections(SECTIONS)
    assert form.values() == {"mobile": "+91 98765 43210", "Name": "Aarav Mehta",
                             "Address": "12 MG Road\nPune", "Email": "aarav@example.com",
                             "city": "Pune", "tarun": ""}
    assert isinstance(form.editor("Address"), QPlainTextEdit)
    assert isinstance(form.editor("Name"), QLineEdit)


def test_mobile_is_read_only_and_the_rest_editable(qtbot: QtBot) -> None:
    form = ContactForm()
    qtbot.addWidget(form)
    form.show_sections(SECTIONS)
    mobile = form.editor("mobile")
    name = form.editor("Name")
    assert isinstance(mobile, QLineEdit)
    assert mobile.isReadOnly()
    assert isinstance(name, QLineEdit)
    assert not name.isReadOnly()


def test_typing_emits_an_edit_and_reports_only_changes(qtbot: QtBot) -> None:
    form = ContactForm()
    qtbot.addWidget(form)
    form.show_sections(SECTIONS)
    name = form.editor("Name")
    assert isinstance(name, QLineEdit)
    name.selectAll()
    seen: list[tuple[str, str]] = []
    form.field_edited.connect(lambda label, text: seen.append((label, text)))
    qtbot.keyClicks(name, "Aarav K. Mehta")
    assert seen[-1] == ("Name", "Aarav K. Mehta")
    assert form.edits() == {"Name": "Aarav K. Mehta"}


def test_every_input_has_an_accessible_name(qtbot: QtBot) -> None:
    form = ContactForm()
    qtbot.addWidget(form)
    form.show_sections(SECTIONS)
    names = [editor.accessibleName() for editor in form.inputs()]
    assert names == ["Mobile", "Name", "Address", "Email", "City", "tarun"]


def test_clear_shows_a_message_and_no_inputs(qtbot: QtBot) -> None:
    form = ContactForm()
    qtbot.addWidget(form)
    form.show_sections(SECTIONS)
    form.clear("Looking up")
    assert form.inputs() == []
    assert form.values() == {}
