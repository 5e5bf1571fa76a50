"""Seed data, generated in code from a fixed random seed: the same contacts on every run.

Well-known numbers (digits with country code, the form the app sends) that tests and the demo
can rely on are the module constants below; the other contacts are generated.
"""

from __future__ import annotations

import hashlib
import random
from datetime import date, datetime, timedelta

from app.sandbox.accounts import ALT, DEMO, EMPTY, SUSPENDED
from app.sandbox.records import AccountData, CallRecord, ContactRecord, Note

# --- numbers others may rely on ----------------------------------------------------------------
DEMO_UNKNOWN_NUMBER = "918302390884"  # the seed document's number: unknown on the demo account
DEMO_KNOWN_NUMBER = "919876543210"  # Aarav Mehta: every field, a Lead group, recent calls, notes
DEMO_LEAD_NUMBER = "919812345678"  # Sneha Iyer: a Lead group, no calls
DEMO_PLAIN_NUMBER = "919988776655"  # Rohan Gupta: Cu only, some fields empty, calls without notes
DEMO_UK_NUMBER = "447911123456"  # a valid UK mobile range (07700 900xxx is reserved for drama)
DEMO_US_NUMBER = "12025550147"
DEMO_UAE_NUMBER = "971501234567"
DEMO_SG_NUMBER = "6591234567"  # exact 10 digits: wins over the Indian reading of the same digits
# Calls whose caller withheld their number, filed under WITHHELD_CALLER (notesAdd takes them).
WITHHELD_CALLER = "anonymous"
DEMO_WITHHELD_CALL_IDS = ("dcwithheld000001", "dcwithheld000002")
ALT_KNOWN_NUMBER = "919845012345"
EMPTY_KNOWN_NUMBER = "919700011122"
SUSPENDED_KNOWN_NUMBER = "919600033344"

SEED = 20241122
CALLS_END = datetime(2026, 11, 27, 18, 30, 0)  # fixed, so recentCalls is the same on every run

_FIRST = ["Aarav", "Vivaan", "Aditya", "Vihaan", "Arjun", "Sai", "Reyansh", "Krishna", "Ishaan",
          "Shaurya", "Ananya", "Diya", "Aadhya", "Saanvi", "Pari", "Kavya", "Meera", "Riya",
          "Nisha", "Pooja", "Rakesh", "Suresh", "Manoj", "Deepak", "Lakshmi", "Harpreet",
          "Gurpreet", "Farhan", "Zoya", "Imran", "Joseph", "Mary", "Venkat", "Srinivas", "Kiran"]
_LAST = ["Sharma", "Verma", "Patel", "Reddy", "Nair", "Iyer", "Gupta", "Singh", "Khan", "Das",
         "Banerjee", "Chatterjee", "Mukherjee", "Joshi", "Kulkarni", "Deshpande", "Menon", "Pillai",
         "Rao", "Naidu", "Agarwal", "Bansal", "Malhotra", "Kapoor", "Chopra", "Sethi", "D'Souza",
         "Fernandes", "Gill", "Sandhu"]
_CITIES = [("Mumbai", "Andheri East"), ("Delhi", "Karol Bagh"), ("Bengaluru", "Koramangala"),
           ("Chennai", "T. Nagar"), ("Hyderabad", "Banjara Hills"), ("Pune", "Kothrud"),
           ("Kolkata", "Salt Lake"), ("Ahmedabad", "Navrangpura"), ("Jaipur", "Malviya Nagar"),
           ("Lucknow", "Gomti Nagar"), ("Kochi", "Kakkanad"), ("Indore", "Vijay Nagar"),
           ("Chandigarh", "Sector 17"), ("Nagpur", "Dharampeth"), ("Surat", "Adajan")]
_COMPANIES = ["Tata Consultancy Services", "Infosys", "Reliance Retail", "HDFC Bank",
              "Mahindra Logistics", "Wipro", "Zomato", "Apollo Hospitals", "Bajaj Finserv",
              "Asian Paints", "Godrej Properties", "Larsen & Toubro", "Sharma Traders",
              "Sunrise Textiles", "Nair Exports", ""]
_DESIGNATIONS = ["Manager", "Senior Engineer", "Proprietor", "Accountant", "Sales Executive",
                 "Director", "Team Lead", "Consultant", "Doctor", "Teacher", "Student", ""]
_TIERS = ["Gold", "Silver", "Bronze", "Platinum"]
_LANGUAGES = ["Hindi", "English", "Marathi", "Tamil", "Telugu", "Kannada", "Bengali",
              "Malayalam", "Gujarati", "Punjabi"]
_LEAD_SOURCES = ["Website", "Referral", "IndiaMART", "Google Ads", "JustDial", "Walk-in"]
_LEAD_STATUSES = ["New", "Contacted", "Qualified", "Follow-up", "Converted", "Lost"]
_MAIL_DOMAINS = ["gmail.com", "yahoo.co.in", "outlook.com", "rediffmail.com"]
_CAMPAIGNS = ["Inbound Support", "Sales Outbound", "Renewals"]
_MOBILE_PREFIXES = ["98", "99", "97", "96", "95", "94", "93", "91", "90", "89", "88", "87", "86",
                    "85", "84", "83", "82", "81", "80", "79", "78", "77", "76", "75", "74", "73",
                    "70", "63", "62"]
_COLLEAGUES = ["Neha Kapoor", "Amit Joshi", "Farah Siddiqui"]

GENERATED_DEMO_CONTACTS = 52


def _values(**values: str) -> dict[str, str]:
    return dict(values)


def _fixed_demo_contacts() -> dict[str, ContactRecord]:
    return {
        DEMO_KNOWN_NUMBER: ContactRecord(_values(
            name="Aarav Mehta", email="aarav.mehta@gmail.com",
            address="12, Hill Road, Bandra West", company="Mehta Electronics",
            designation="Proprietor", dob="14-03-1986", custom_field_1="Mumbai",
            custom_field_2="Gold", custom_field_3="Hindi", custom_field_4="Referral",
            custom_field_5="Qualified")),
        DEMO_LEAD_NUMBER: ContactRecord(_values(
            name="Sneha Iyer", email="sneha.iyer@outlook.com", address="4th Cross, Indiranagar",
            company="Infosys", designation="Team Lead", dob="02-11-1991",
            custom_field_1="Bengaluru", custom_field_2="Silver", custom_field_3="Tamil",
            custom_field_4="Website", custom_field_5="New")),
        DEMO_PLAIN_NUMBER: ContactRecord(_values(
            name="Rohan Gupta", email="", address="", company="Gupta Hardware",
            designation="", dob="", custom_field_1="Delhi", custom_field_2="Bronze",
            custom_field_3="Hindi")),
        DEMO_UK_NUMBER: ContactRecord(_values(
            name="Oliver Bennett", email="oliver.bennett@example.co.uk",
            address="221 Baker Street", company="Bennett & Co.", designation="Director",
            dob="21-07-1979", custom_field_1="London", custom_field_2="Platinum",
            custom_field_3="English")),
        DEMO_US_NUMBER: ContactRecord(_values(
            name="Emily Carter", email="emily.carter@example.com",
            address="1600 Pennsylvania Ave NW", company="Carter Imports", designation="Buyer",
            dob="09-12-1984", custom_field_1="Washington", custom_field_2="Gold",
            custom_field_3="English")),
        DEMO_UAE_NUMBER: ContactRecord(_values(
            name="Fatima Al Mansoori", email="fatima.mansoori@example.ae",
            address="Al Wasl Road, Jumeirah", company="Gulf Trading LLC",
            designation="Procurement Head", dob="30-05-1988", custom_field_1="Dubai",
            custom_field_2="Platinum", custom_field_3="English", custom_field_4="Google Ads",
            custom_field_5="Follow-up")),
        DEMO_SG_NUMBER: ContactRecord(_values(
            name="Wei Ling Tan", email="weiling.tan@example.sg", address="10 Anson Road",
            company="Straits Shipping", designation="Operations Manager", dob="17-01-1990",
            custom_field_1="Singapore", custom_field_2="Silver", custom_field_3="English")),
    }


def _generated_demo_contacts(rng: random.Random, taken: set[str]) -> dict[str, ContactRecord]:
    contacts: dict[str, ContactRecord] = {}
    while len(contacts) < GENERATED_DEMO_CONTACTS:
        number = "91" + rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        if number in taken or number in contacts:
            continue
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        name = f"{first} {last}".replace("'", "")  # Directory names allow letters, space, dot
        city, area = rng.choice(_CITIES)
        handle = f"{first}.{last}".lower().replace("'", "")
        born = date(1955, 1, 1) + timedelta(days=rng.randrange(365 * 47))
        values = {
            "name": name,
            "email": f"{handle}{rng.randrange(1, 99)}@{rng.choice(_MAIL_DOMAINS)}"
            if rng.random() < 0.8 else "",
            "address": f"{rng.randrange(1, 400)}, {area}" if rng.random() < 0.7 else "",
            "company": rng.choice(_COMPANIES),
            "designation": rng.choice(_DESIGNATIONS),
            "dob": born.strftime("%d-%m-%Y") if rng.random() < 0.6 else "",
            "custom_field_1": city,
            "custom_field_2": rng.choice(_TIERS),
            "custom_field_3": rng.choice(_LANGUAGES),
        }
        if rng.random() < 0.3:
            values["custom_field_4"] = rng.choice(_LEAD_SOURCES)
            values["custom_field_5"] = rng.choice(_LEAD_STATUSES)
        contacts[number] = ContactRecord(values)
    return contacts


def _call_id(number: str, index: int) -> str:
    digest = hashlib.sha1(f"{number}/{index}".encode(), usedforsecurity=False).hexdigest()
    return "dc" + digest[:14]


def _calls(rng: random.Random, number: str, count: int, agent: str,
           start_index: int) -> list[CallRecord]:
    calls = []
    when = CALLS_END - timedelta(minutes=rng.randrange(5, 600))
    for i in range(count):
        status = rng.choice(["answered", "answered", "answered", "missed", "busy"])
        calls.append(CallRecord(
            call_id=_call_id(number, start_index + i), number=number,
            call_type=rng.choice(["inbound", "inbound", "outbound"]), status=status,
            duration=rng.randrange(20, 900) if status == "answered" else 0, start=when,
            agent_name=agent if rng.random() < 0.75 else rng.choice(_COLLEAGUES),
            campaign=rng.choice(_CAMPAIGNS)))
        when -= timedelta(hours=rng.randrange(3, 72), minutes=rng.randrange(60))
    return calls


def _stamp(record: ContactRecord, calls: list[CallRecord]) -> None:
    """Fill Directory metadata (``other``) the way DeepCall keeps it."""
    record.other = {
        "createtime": "01-06-2025",
        "updatetime": "01-06-2025",
        "lastcalltime": max(c.start for c in calls).strftime("%d-%m-%Y") if calls else "",
        "totalcalls": len(calls),
    }


def build_demo() -> AccountData:
    rng = random.Random(SEED)
    contacts = _fixed_demo_contacts()
    contacts.update(_generated_demo_contacts(rng, set(contacts)))
    calls = _calls(rng, DEMO_KNOWN_NUMBER, 6, DEMO.agent_name, 0)
    calls += _calls(rng, DEMO_PLAIN_NUMBER, 3, DEMO.agent_name, 0)
    calls += _calls(rng, DEMO_UK_NUMBER, 2, DEMO.agent_name, 0)
    generated = sorted(set(contacts) - set(_fixed_demo_contacts()))
    for number in rng.sample(generated, 8):
        calls += _calls(rng, number, rng.randrange(1, 5), DEMO.agent_name, 0)
    known_calls = [c for c in calls if c.number == DEMO_KNOWN_NUMBER]
    notes = [
        Note(known_calls[0].call_id, DEMO_KNOWN_NUMBER,
             "Asked about the annual maintenance contract; send the quote by Friday."),
        Note(known_calls[1].call_id, DEMO_KNOWN_NUMBER, "Prefers calls after 4 pm."),
    ]
    for number, record in contacts.items():
        _stamp(record, [c for c in calls if c.number == number])
    calls += [CallRecord(call_id=call_id, number=WITHHELD_CALLER, call_type="inbound",
                         status="answered", duration=60 * (i + 1),
                         start=CALLS_END - timedelta(minutes=10 * (i + 1)),
                         agent_name=DEMO.agent_name, campaign=_CAMPAIGNS[0])
              for i, call_id in enumerate(DEMO_WITHHELD_CALL_IDS)]
    return AccountData(contacts=contacts, calls=calls, notes=notes)


def build_alt() -> AccountData:
    rng = random.Random(SEED + 1)
    contacts = {
        ALT_KNOWN_NUMBER: ContactRecord(_values(
            name="Tarun Khanna", address="MG Road", custom_field_1="yes",
            custom_field_2="Gurugram", email="tarun.khanna@example.in", custom_field_3="42",
            custom_field_4="priority")),
    }
    for i in range(7):
        number = f"9194{rng.randrange(10**8):08d}"
        contacts[number] = ContactRecord(_values(
            name=f"{_FIRST[i * 3]} {_LAST[i * 2]}", address="", custom_field_1="",
            custom_field_2=_CITIES[i][0], email="", custom_field_3="", custom_field_4=""))
    calls = _calls(rng, ALT_KNOWN_NUMBER, 3, ALT.agent_name, 0)
    for number, record in contacts.items():
        _stamp(record, [c for c in calls if c.number == number])
    return AccountData(contacts=contacts, calls=calls)


def build_small(number: str, name: str, city: str, agent: str, seed: int) -> AccountData:
    rng = random.Random(seed)
    record = ContactRecord(_values(name=name, email="", address="", company="", designation="",
                                   dob="", custom_field_1=city, custom_field_2="Silver",
                                   custom_field_3="English"))
    calls = _calls(rng, number, 2, agent, 0)
    _stamp(record, calls)
    return AccountData(contacts={number: record}, calls=calls)


def build_all() -> dict[str, AccountData]:
    """Fresh seed data for every account, keyed by account name."""
    return {
        DEMO.name: build_demo(),
        ALT.name: build_alt(),
        EMPTY.name: build_small(EMPTY_KNOWN_NUMBER, "Kabir Malhotra", "Pune", EMPTY.agent_name,
                                SEED + 2),
        SUSPENDED.name: build_small(SUSPENDED_KNOWN_NUMBER, "Leela Menon", "Kochi",
                                    SUSPENDED.agent_name, SEED + 3),
    }
