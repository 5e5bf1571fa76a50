"""The contact form on its own: renders the core's view of a contact through the real mapping."""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QLabel, QLineEdit, QPlainTextEdit
from pytestqt.qtbot import QtBot

from app.core.contact import Contact, ContactGroup, UnknownCaller
from app.core.contact_view import build_contact_view
from app.core.field_mapping import default_mapping
from app.ui.contact_form import ContactForm

CONTACT = Contact("+919876543210", (
    ContactGroup("Cu", (("mobile", 919876543210), ("Name", "Aarav Mehta"),
                        ("Email", "aarav@example.com"), ("Address", "12 MG Road\nPune"),
                        ("city", "Pune"), ("tarun", "VIP"))),
    ContactGroup("Lead", (("Lead Source", "Website"), ("Lead Status", "New"))),
))


def _form(qtbot: QtBot, result: Contact | UnknownCaller = CONTACT) -> ContactForm:
    form = ContactForm()
    qtbot.addWidget(form)
    form.show_view(build_contact_view(result, default_mapping()))
    return form


def test_every_group_and_label_is_rendered(qtbot: QtBot) -> None:
    form = _form(qtbot)
    values = form.values()
    assert values["Name"] == "Aarav Mehta"
    assert values["City"] == "Pune"
    assert values["tarun"] == "VIP"  # not in the mapping: still shown
    assert values["Lead source"] == "Website"
    assert "+91" in values["Mobile"]
    assert values["Mobile"].replace(" ", "").endswith("9876543210")
    titles = [box.title() for box in form.findChildren(QGroupBox)]
    assert titles == ["Contact", "More details", "More details — Lead"]
    assert isinstance(form.editor("Address"), QPlainTextEdit)


def test_mobile_is_read_only_and_mapped_fields_editable(qtbot: QtBot) -> None:
    form = _form(qtbot)
    mobile, name = form.editor("mobile"), form.editor("Name")
    assert isinstance(mobile, QLineEdit)
    assert mobile.isReadOnly()
    assert isinstance(name, QLineEdit)
    assert not name.isReadOnly()


def test_typing_emits_an_edit_and_reports_only_changes(qtbot: QtBot) -> None:
    form = _form(qtbot)
    name = form.editor("Name")
    assert isinstance(name, QLineEdit)
    seen: list[tuple[str, str, str]] = []
    form.field_edited.connect(lambda group, label, text: seen.append((group, label, text)))
    name.selectAll()
    qtbot.keyClicks(name, "Aarav K. Mehta")
    assert seen[-1] == ("Cu", "Name", "Aarav K. Mehta")
    assert form.edits() == {("Cu", "Name"): "Aarav K. Mehta"}


def test_unknown_caller_gets_every_mapped_field_empty(qtbot: QtBot) -> None:
    form = _form(qtbot, UnknownCaller("+918302390884"))
    values = form.values()
    assert set(values) >= {"Name", "Email", "Address", "City", "Lead status"}
    assert all(text == "" for name, text in values.items() if name != "Mobile")


def test_every_input_has_an_accessible_name(qtbot: QtBot) -> None:
    form = _form(qtbot)
    assert form.inputs()
    assert all(editor.accessibleName() for editor in form.inputs())


def test_clear_shows_a_message_and_no_inputs(qtbot: QtBot) -> None:
    form = _form(qtbot)
    form.clear("Looking up")
    assert form.inputs() == []
    assert form.values() == {}


def test_between_callers_the_form_shows_the_latest_message_in_place_of_the_fields(
        qtbot: QtBot) -> None:
    form = _form(qtbot)
    form.show()
    view = build_contact_view(CONTACT, default_mapping())
    for message in ("Looking up the caller in DeepCall…", "No caller details: see above."):
        form.clear(message)
        page = form.widget()
        assert [label.text() for label in page.findChildren(QLabel)
                if label.isVisibleTo(form)] == [message]
        assert page.findChildren(QLineEdit) == []
        form.show_view(view)  # the next caller's fields take its place
        assert form.widget() is not page
        assert form.editor("Name") is not None


def test_a_refresh_of_the_same_caller_keeps_what_the_agent_typed(qtbot: QtBot) -> None:
    form = _form(qtbot)
    form.show()
    name = form.editor("Name")
    assert isinstance(name, QLineEdit)
    name.setFocus()
    name.end(False)
    qtbot.keyClicks(name, " Jr")
    # The background refresh brings the same answer: nothing is rebuilt, typing goes on.
    form.show_view(build_contact_view(CONTACT, default_mapping()))
    assert form.editor("Name") is name
    assert name.text() == "Aarav Mehta Jr"
    # DeepCall changed another field meanwhile: the form is rebuilt, the edit survives.
    changed = Contact(CONTACT.caller_number, (
        ContactGroup("Cu", (("mobile", 919876543210), ("Name", "Aarav Mehta"),
                            ("Email", "aarav@example.com"), ("Address", "12 MG Road\nPune"),
                            ("city", "Mumbai"), ("tarun", "VIP"))),
        CONTACT.groups[1]))
    form.show_view(build_contact_view(changed, default_mapping()))
    assert form.values()["City"] == "Mumbai"
    assert form.values()["Name"] == "Aarav Mehta Jr"
    assert form.edits() == {("Cu", "Name"): "Aarav Mehta Jr"}
    # Another caller: nothing carries over.
    other = Contact("+919812345678", (ContactGroup("Cu", (("Name", "Sneha Iyer"),)),))
    form.show_view(build_contact_view(other, default_mapping()))
    assert form.values()["Name"] == "Sneha Iyer"
