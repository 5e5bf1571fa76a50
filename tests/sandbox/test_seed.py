"""Seed data: deterministic, big and varied enough, and valid by the sandbox's own rules."""

from __future__ import annotations

import pytest

from app.sandbox import seed
from app.sandbox.accounts import ACCOUNTS, DEMO, Account
from app.sandbox.directory import validate_contactinfo
from app.sandbox.numbers import candidate_keys, new_contact_key
from app.sandbox.seed import build_all


def test_seed_is_the_same_on_every_build() -> None:
    assert build_all() == build_all()


def test_demo_has_at_least_50_contacts_mostly_indian_some_foreign() -> None:
    contacts = build_all()["demo"].contacts
    assert len(contacts) >= 50
    indian = [n for n in contacts if n.startswith("91") and len(n) == 12]
    assert len(indian) >= 45
    for number in (seed.DEMO_UK_NUMBER, seed.DEMO_US_NUMBER, seed.DEMO_UAE_NUMBER,
                   seed.DEMO_SG_NUMBER):
        assert number in contacts
    assert seed.DEMO_UNKNOWN_NUMBER not in contacts


def test_demo_has_leads_calls_and_notes() -> None:
    demo = build_all()["demo"]
    leads = [r for r in demo.contacts.values() if r.values.get("custom_field_4")]
    assert len(leads) >= 5
    assert len({c.number for c in demo.calls}) >= 5
    # Every call is with a contact, but those whose caller withheld their number.
    assert {c.number for c in demo.calls} - {seed.WITHHELD_CALLER} <= set(demo.contacts)
    assert {c.call_id for c in demo.calls if c.number == seed.WITHHELD_CALLER} == set(
        seed.DEMO_WITHHELD_CALL_IDS)
    assert len({c.call_id for c in demo.calls}) == len(demo.calls)
    assert all(n.call_id in {c.call_id for c in demo.calls} for n in demo.notes)


@pytest.mark.parametrize("account", ACCOUNTS, ids=[a.name for a in ACCOUNTS])
def test_every_seeded_contact_passes_directory_validation(account: Account) -> None:
    data = build_all()[account.name]
    for number, record in data.contacts.items():
        assert candidate_keys(number)[0] == number
        validate_contactinfo(account, record.values)
        assert set(record.values) <= set(account.directory_keys())


def test_demo_account_mapping_is_the_briefs() -> None:
    assert [(f.group, f.label, f.key) for f in DEMO.fields] == [
        ("Cu", "Name", "name"), ("Cu", "Email", "email"), ("Cu", "Address", "address"),
        ("Cu", "Company", "company"), ("Cu", "Designation", "designation"), ("Cu", "DOB", "dob"),
        ("Cu", "city", "custom_field_1"), ("Cu", "Customer Tier", "custom_field_2"),
        ("Cu", "Preferred Language", "custom_field_3"), ("Lead", "Lead Source", "custom_field_4"),
        ("Lead", "Lead Status", "custom_field_5")]


@pytest.mark.parametrize(("raw", "keys"), [
    ("919876543210", ("919876543210",)),
    ("+919876543210", ("919876543210",)),
    ("9876543210", ("9876543210", "919876543210")),
    ("+6591234567", ("6591234567",)),
    ("447911123456", ("447911123456",)),
    ("0987654321", ()),
    ("98765-43210", ()),
    ("", ()),
    ("1234567", ()),
    ("1234567890123456", ()),
])
def test_number_forms(raw: str, keys: tuple[str, ...]) -> None:
    assert candidate_keys(raw) == keys


def test_a_new_ten_digit_number_is_filed_as_indian() -> None:
    assert new_contact_key("9876543210") == "919876543210"
    assert new_contact_key("+6591234567") == "6591234567"
    assert new_contact_key("abc") is None


def test_every_seeded_number_is_one_the_app_accepts() -> None:
    # The demo pops seeded callers; a number the app's own validation refuses could never
    # reach the sandbox from a softphone, the clipboard or `screenpop pop`.
    from app.core.phone import normalise

    refused = [number for data in build_all().values() for number in data.contacts
               if normalise("+" + number) != "+" + number]
    assert refused == []
