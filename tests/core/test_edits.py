"""Contact view (every group, mapping order, unknown caller) and the edit diff/validation."""

from __future__ import annotations

import pytest

from app.core.contact import Contact, ContactGroup, UnknownCaller
from app.core.contact_view import ContactView, build_contact_view, display_text, format_mobile
from app.core.edits import diff_edits, validate_value
from app.core.field_mapping import FieldSpec, default_mapping

NUMBER = "+918302390884"


def _contact() -> Contact:
    return Contact(NUMBER, (
        ContactGroup("Cu", (
            ("mobile", 918302390884), ("Name", "Asha Iyer"), ("Email", "asha@example.in"),
            ("Address", "12 MG Road\nBengaluru"), ("Company", "Iyer Textiles"),
            ("Designation", ""), ("DOB", "14-03-1986"), ("city", "Bengaluru"),
            ("Customer Tier", "Gold"), ("Preferred Language", None), ("tarun", 42),
        )),
        ContactGroup("Lead", (("Lead Status", "Hot"), ("Lead Source", "Web"),
                              ("efwf", ["a", 1]))),
    ))


def test_every_group_and_label_is_shown_in_mapping_order() -> None:
    view = build_contact_view(_contact(), default_mapping())
    assert not view.is_new
    assert [s.name for s in view.sections] == ["standard", "custom"]
    standard, custom = view.sections
    assert [f.label for f in standard.fields] == [
        "mobile", "Name", "Email", "Address", "Company", "Designation", "DOB"]
    # Mapped custom fields by order (Lead Source before Lead Status though the server sent
    # them the other way round), then labels the mapping does not know, in server order.
    assert [f.label for f in custom.fields] == [
        "city", "Customer Tier", "Preferred Language", "Lead Source", "Lead Status",
        "tarun", "efwf"]
    assert [f.group for f in custom.fields][-3:] == ["Lead", "Cu", "Lead"]
    assert len(view.fields()) == len(_contact().labels())


def test_values_become_display_text_losing_nothing() -> None:
    view = build_contact_view(_contact(), default_mapping())
    values = view.display_values()
    assert values["Name"] == "Asha Iyer"
    assert values["Address"] == "12 MG Road\nBengaluru"
    assert values["Preferred language"] == ""
    assert values["tarun"] == "42"
    assert values["efwf"] == '["a", 1]'
    assert "".join(ch for ch in values["Mobile"] if ch.isdigit()) == "918302390884"
    assert display_text(123456789012345678) == "123456789012345678"
    assert display_text(True) == "yes"
    assert display_text(2.5) == "2.5"


def test_mobile_is_read_only_and_formatted() -> None:
    view = build_contact_view(_contact(), default_mapping())
    mobile = view.field(("Cu", "mobile"))
    assert mobile is not None
    assert mobile.read_only
    assert mobile.directory_key is None
    digits = "".join(ch for ch in mobile.value if ch.isdigit())
    assert digits == "918302390884"
    assert mobile.value.startswith("+")
    assert format_mobile("", NUMBER).startswith("+")
    assert format_mobile(None, "") == ""


def test_unknown_labels_are_read_only_and_mapped_ones_editable() -> None:
    view = build_contact_view(_contact(), default_mapping())
    tarun = view.field(("Cu", "tarun"))
    name = view.field(("Cu", "Name"))
    assert tarun is not None
    assert name is not None
    assert tarun.read_only
    assert not tarun.known
    assert tarun.section == "custom"
    assert not name.read_only
    assert name.directory_key == "name"
    assert view.field(("Cu", "Address")).input_type == "multiline"  # type: ignore[union-attr]


def test_unknown_caller_gets_every_mapped_field_empty() -> None:
    blank = UnknownCaller(NUMBER, (ContactGroup("Cu", (
        ("mobile", 918302390884), ("Name", ""), ("Email", ""), ("test", ""))),))
    view = build_contact_view(blank, default_mapping())
    assert view.is_new
    labels = [f.label for f in view.fields()]
    for spec in default_mapping().fields:
        assert spec.label in labels
    assert "test" in labels  # what the server sent is kept too
    assert all(f.value == "" for f in view.fields() if f.label != "mobile")
    assert "918302390884" in view.field(("Cu", "mobile")).value.replace(" ", "")  # type: ignore[union-attr]

    nothing = build_contact_view(UnknownCaller(NUMBER), default_mapping())
    assert [f.label for f in nothing.fields()] == [f.label for f in default_mapping().fields]
    assert nothing.fields()[0].value.startswith("+")


def test_diff_sends_only_changed_keys() -> None:
    view = build_contact_view(_contact(), default_mapping())
    edited = {f.key: f.value for f in view.fields()}
    edited[("Cu", "Name")] = "  Asha R. Iyer "
    edited[("Cu", "Designation")] = "Owner"
    edited[("Cu", "city")] = "Bengaluru"  # unchanged
    edited[("Cu", "mobile")] = "+1 555 0100"  # read-only: ignored
    edited[("Cu", "tarun")] = "43"  # not mapped: ignored
    edited[("Lead", "Lead Status")] = "Cold"
    result = diff_edits(view, edited)
    assert result.ok
    assert result.contactinfo == {"name": "Asha R. Iyer", "designation": "Owner",
                                  "custom_field_5": "Cold"}


def test_clearing_a_field_is_an_edit_and_nothing_changed_is_empty() -> None:
    view = build_contact_view(_contact(), default_mapping())
    assert diff_edits(view, {}).contactinfo == {}
    assert not diff_edits(view, {("Cu", "Email"): "asha@example.in "}).changed
    assert diff_edits(view, {("Cu", "Email"): ""}).contactinfo == {"email": ""}


def test_new_contact_sends_only_filled_fields() -> None:
    view = build_contact_view(UnknownCaller(NUMBER), default_mapping())
    group = view.fields()[0].group
    result = diff_edits(view, {(group, "Name"): "Ravi Kumar", (group, "Email"): "",
                               (group, "DOB"): "01-02-1990"})
    assert result.contactinfo == {"name": "Ravi Kumar", "dob": "01-02-1990"}


def test_invalid_values_get_plain_messages_per_field() -> None:
    view = build_contact_view(_contact(), default_mapping())
    result = diff_edits(view, {
        ("Cu", "Name"): "R2-D2", ("Cu", "Email"): "asha@", ("Cu", "DOB"): "31-02-1990",
        ("Cu", "Company"): "Iyer & Sons"})
    assert not result.ok
    assert result.contactinfo == {"company": "Iyer & Sons"}  # valid edits are still kept
    assert result.errors[("Cu", "Name")] == "Name may contain only letters, spaces and dots."
    assert "valid email" in result.errors[("Cu", "Email")]
    assert "dd-mm-YYYY" in result.errors[("Cu", "DOB")]


@pytest.mark.parametrize(("key", "value", "ok"), [
    ("name", "Dr. A. P. J. Abdul Kalam", True),
    ("name", "प्रिया शर्मा", True),  # Devanagari with vowel signs
    ("name", "Priya_Sharma", False),
    ("name", "Priya 2", False),
    ("email", "a.b+c@mail.co.in", True),
    ("email", "a b@mail.com", False),
    ("email", "ab@mail", False),
    ("dob", "29-02-2024", True),
    ("dob", "29-02-2023", False),
    ("dob", "1-2-1990", False),
    ("dob", "1990-02-01", False),
    ("address", "x" * 255, True),
    ("address", "x" * 256, False),
    ("custom_field_3", "anything goes: 1/2 & more", True),
])
def test_validation_mirrors_deepcall(key: str, value: str, ok: bool) -> None:
    assert (validate_value(key, value) is None) is ok


def test_validation_agrees_with_the_sandbox() -> None:
    """The sandbox enforces the Directory rules: what we accept, it accepts, and vice versa."""
    from app.sandbox.accounts import DEMO
    from app.sandbox.directory import validate_contactinfo
    from app.sandbox.protocol import ApiError

    samples = [("name", "Dr. Rao"), ("name", "Rao2"), ("name", "प्रिया"), ("email", "x@y.in"),
               ("email", "x@y"), ("dob", "30-02-2000"), ("dob", "01-01-2000"),
               ("company", "c" * 256)]
    for key, value in samples:
        ours = validate_value(key, value) is None
        try:
            validate_contactinfo(DEMO, {key: value})
            theirs = True
        except ApiError:
            theirs = False
        assert ours == theirs, (key, value)


def _with_customer_id(hint: str = "AB-1234") -> ContactView:
    mapping = default_mapping().with_field(FieldSpec(
        "Customer ID", "custom", "Customer ID", 5, "text", "custom_field_9",
        pattern="[A-Z]{2}-[0-9]{4}", pattern_hint=hint))
    contact = Contact(NUMBER, (ContactGroup("Cu", (("Name", "Asha"), ("Customer ID", ""))),))
    return build_contact_view(contact, mapping)


def test_a_mapping_pattern_must_match_the_whole_value() -> None:
    view = _with_customer_id()
    key = ("Cu", "Customer ID")
    assert diff_edits(view, {key: "AB-1234"}).contactinfo == {"custom_field_9": "AB-1234"}
    for bad in ("ab-1234", "AB-1234x", "xAB-1234", "AB-12345"):
        result = diff_edits(view, {key: bad})
        assert result.contactinfo == {}, bad
        assert result.errors == {key: "Customer ID must look like AB-1234."}, bad
    assert diff_edits(view, {key: ""}).ok  # clearing stays allowed


def test_a_pattern_without_a_hint_still_says_what_is_expected() -> None:
    message = validate_value("custom_field_9", "x", "Customer ID", pattern="[0-9]+")
    assert message == "Customer ID must look like the pattern [0-9]+."
    assert validate_value("custom_field_9", "42", "Customer ID", pattern="[0-9]+") is None
