"""The pop history against a real SQLite file: search by name or number digits, retention in
days, clearing and forgetting a caller — which never touch a queued save or note."""

from __future__ import annotations

import sqlite3
import time
import unicodedata
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.core.caller_id import withheld_key
from app.core.pop_request import PopRequest
from app.services import store_schema
from app.services.pop_history import DAY_SECONDS, HistoryRetention, PopHistory
from app.services.settings import Settings
from app.services.store import DATABASE_FILE_NAME, LocalStore

ASHA = "+918302390884"
OLGA = "+441632960961"
NOW = 1_750_000_000.0


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    opened = LocalStore.in_profile(tmp_path)
    yield opened
    opened.close()


def _pops(store: LocalStore) -> list[tuple[str, str]]:
    return [(r.number, r.name) for r in store.recent_pops(100)]


def _field_draft(store: LocalStore, number: str) -> None:
    """A field draft as schema v4 keeps it (the table is made here if this file predates it)."""
    db = sqlite3.connect(store.path)
    with db:
        db.execute("CREATE TABLE IF NOT EXISTS field_drafts (number TEXT NOT NULL, "
                   "grp TEXT NOT NULL, label TEXT NOT NULL, value TEXT NOT NULL, "
                   "base TEXT NOT NULL, theirs TEXT, error TEXT NOT NULL DEFAULT '', "
                   "updated REAL NOT NULL, PRIMARY KEY (number, grp, label))")
        db.execute("INSERT INTO field_drafts (number, grp, label, value, base, updated) "
                   "VALUES (?, 'Contact', 'Email', 'new@example.com', 'old@example.com', ?)",
                   (number, time.time()))
    db.close()


def _field_drafts(store: LocalStore) -> list[str]:
    db = sqlite3.connect(store.path)
    try:
        return [row[0] for row in db.execute("SELECT number FROM field_drafts ORDER BY number")]
    finally:
        db.close()


def test_search_finds_a_caller_by_name_in_any_case_or_by_the_digits_typed(
        store: LocalStore) -> None:
    store.record_pop(ASHA, "found", name="Asha Verma", source="softphone", call_id="c1")
    store.record_pop(OLGA, "found", name="ÅSA Öberg", source="clipboard")
    store.record_pop("+919000000001", "unknown", source="tel")

    def found(text: str) -> list[str]:
        return [r.number for r in store.search_pops(text)]

    assert found("") == ["+919000000001", OLGA, ASHA]  # everything, newest first
    assert found("verma") == [ASHA]
    assert found("åsa öb") == [OLGA]  # case folded beyond ASCII
    assert found("08302 390884") == [ASHA]  # as written nationally: trunk zero, a space
    assert found("+91 83023") == [ASHA]
    assert found("00 44 1632") == [OLGA]  # the international prefix
    assert found("٨٣٠٢٣٩") == [ASHA]  # Arabic-Indic digits are the same digits
    assert found("nobody") == []
    assert found("%") == []  # no wildcard: the text is matched as it is
    assert [r.call_id for r in store.search_pops("asha")] == ["c1"]


def test_pruning_removes_only_pops_older_than_the_retention(store: LocalStore) -> None:
    store.record_pop(ASHA, "found", name="old", at=NOW - 31 * DAY_SECONDS)
    store.record_pop(ASHA, "found", name="recent", at=NOW - 29 * DAY_SECONDS)
    store.record_pop(OLGA, "found", name="today", at=NOW - 60)

    assert PopHistory(store).prune(30, now=NOW) == 1
    assert _pops(store) == [(OLGA, "today"), (ASHA, "recent")]
    assert PopHistory(store).prune(1, now=NOW) == 1
    assert _pops(store) == [(OLGA, "today")]


def test_clearing_and_forgetting_never_delete_a_queued_save_or_note(tmp_path: Path) -> None:
    store = LocalStore.in_profile(tmp_path)
    history = PopHistory(store)
    for number in (ASHA, OLGA):
        store.record_pop(number, "found", name=number)
        store.save_draft(number, f"half-typed note for {number}")
        _field_draft(store, number)
    note = store.enqueue("note", ASHA, {"content": "Call back at 5"}, "c1")
    save = store.enqueue("update", ASHA, {"contactinfo": {"email": "new@example.com"}})

    assert history.forget(ASHA) == 1
    assert _pops(store) == [(OLGA, OLGA)]
    assert store.load_draft(ASHA) == ""  # the forgotten caller's drafts go with them
    assert _field_drafts(store) == [OLGA]
    assert store.load_draft(OLGA) == f"half-typed note for {OLGA}"  # nobody else's
    assert [i.id for i in store.outbox_items()] == [note, save]

    store.record_pop(OLGA, "found", name="again")
    assert history.clear() == 1  # Olga's latest call stays: the way back to her drafts
    store.close()
    reopened = LocalStore.in_profile(tmp_path)  # what is on disk, not what a cache says
    try:
        assert [(r.number, r.name) for r in reopened.recent_pops()] == [(OLGA, "again")]
        assert [(i.id, i.kind) for i in reopened.outbox_items()] == [
            (note, "note"), (save, "update")]
        assert reopened.load_draft(OLGA) == f"half-typed note for {OLGA}"  # drafts are kept
    finally:
        reopened.close()


def test_retention_prunes_at_start_when_the_setting_changes_and_daily(
        store: LocalStore, qtbot: QtBot) -> None:
    now = [NOW]
    retention = HistoryRetention(PopHistory(store), 30, clock=lambda: now[0], every_ms=50)
    store.record_pop(ASHA, "found", name="40 days ago", at=NOW - 40 * DAY_SECONDS)
    store.record_pop(ASHA, "found", name="10 days ago", at=NOW - 10 * DAY_SECONDS)
    store.record_pop(ASHA, "found", name="now", at=NOW)

    retention.start()
    assert [name for _, name in _pops(store)] == ["now", "10 days ago"]
    retention.set_days(7)  # a shorter period applies at once
    assert [name for _, name in _pops(store)] == ["now"]
    now[0] = NOW + 8 * DAY_SECONDS  # the app stayed open for a week: the timer's turn
    qtbot.waitUntil(lambda: _pops(store) == [], timeout=5000)
    retention.stop()


def test_history_days_defaults_to_30(tmp_path: Path) -> None:
    settings = Settings(tmp_path)
    assert settings.history_days == 30
    settings.history_days = 90
    assert Settings(tmp_path).history_days == 90


def test_a_caller_with_unsaved_or_waiting_work_keeps_their_latest_entry(
        store: LocalStore) -> None:
    """Clearing or pruning the history must not hide what the agent typed and has not
    saved: the caller's latest entry stays (with its marks, its re-pop), the others go."""
    drafted, noted, queued, nothing = "+919000000001", "+919000000002", "+919000000003", ASHA
    for number in (drafted, noted, queued, nothing):
        store.record_pop(number, "found", name=f"older {number}", at=NOW - 50 * DAY_SECONDS)
        store.record_pop(number, "found", name=f"old {number}", at=NOW - 40 * DAY_SECONDS)
    _field_draft(store, drafted)
    store.save_draft(noted, "half a note")
    store.enqueue("note", queued, {"content": "Call back at 5"})
    history = PopHistory(store)

    assert history.prune(30, now=NOW) == 5
    kept = {r.number: r.name for r in store.recent_pops(100)}
    assert kept == {drafted: f"old {drafted}", noted: f"old {noted}", queued: f"old {queued}"}

    store.record_pop(OLGA, "found", name="today", at=NOW)
    assert history.clear() == 1
    assert {r.number for r in store.recent_pops(100)} == {drafted, noted, queued}

    store.save_draft(noted, "")  # the note was sent after all: nothing keeps the entry now
    assert history.prune(30, now=NOW) == 1
    assert {r.number for r in store.recent_pops(100)} == {drafted, queued}


def test_the_row_cap_keeps_the_latest_entry_of_a_caller_with_unsaved_work(
        store: LocalStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.services.store_pops.HISTORY_LIMIT", 3)
    store.record_pop(ASHA, "found", name="drafted long ago")
    store.save_draft(ASHA, "half a note")
    for i in range(5):
        store.record_pop(f"+9190000000{i:02d}", "found", name=f"later {i}")
    assert [r.name for r in store.recent_pops(100)] == [
        "later 4", "later 3", "later 2", "drafted long ago"]


def test_a_search_of_a_name_and_digits_finds_the_callers_who_have_both(
        store: LocalStore) -> None:
    store.record_pop(ASHA, "found", name="Asha Rao")
    store.record_pop("+918302390885", "found", name="Vikram Shah")
    store.record_pop("+919876543210", "found", name="Aarav Mehta")
    store.record_pop(OLGA, "found", name="Olga 100%_off")

    def found(text: str) -> list[str]:
        return [r.name for r in store.search_pops(text)]

    assert found("Asha 83023") == ["Asha Rao"]  # not every 83023… caller as well
    assert found("Aarav 1632") == []  # Aarav's number has no 1632: nobody, not Olga
    assert found("rao asha") == ["Asha Rao"]  # words in any order
    assert found("olga 100%_off") == ["Olga 100%_off"]  # a word with letters is the name's


def test_a_search_folds_width_and_composed_letters(store: LocalStore) -> None:
    store.record_pop("+46701234567", "found", name=unicodedata.normalize("NFD", "Åsa Öberg"))
    store.record_pop("+81312345678", "found", name="Sato Kenji")
    assert [r.number for r in store.search_pops("åsa")] == ["+46701234567"]  # typed NFC
    assert [r.number for r in store.search_pops("ｓａｔｏ")] == ["+81312345678"]  # IME width


@pytest.mark.parametrize("written", ["0", "-3", "a month", "1e3"])
def test_a_hand_edited_retention_never_deletes_history_without_the_agent_asking(
        tmp_path: Path, store: LocalStore, qtbot: QtBot, caplog: pytest.LogCaptureFixture,
        written: str) -> None:
    (tmp_path / "settings.ini").write_text(f"[General]\nhistory_days={written}\n")
    settings = Settings(tmp_path)
    store.record_pop(ASHA, "found", name="ten days ago", at=time.time() - 10 * DAY_SECONDS)
    retention = HistoryRetention(PopHistory(store), settings.history_days)
    retention.start()
    retention.stop()
    assert retention.days == 30  # the default, not the nearest allowed value (1)
    assert [name for _, name in _pops(store)] == ["ten days ago"]
    assert any("history_days" in r.message and "using 30" in r.message
               for r in caplog.records)


def test_retention_runs_every_hour_and_prunes_pops_dated_in_the_future(
        store: LocalStore) -> None:
    retention = HistoryRetention(PopHistory(store), 30, clock=lambda: NOW)
    # Qt's timers stop while a laptop sleeps: hourly, the wall clock's cutoff is at most an
    # hour late after a night's suspend (a daily timer would be days late).
    assert retention.interval_ms <= 3_600_000
    store.record_pop(ASHA, "found", name="clock was a year ahead", at=NOW + 365 * DAY_SECONDS)
    store.record_pop(ASHA, "found", name="a minute ahead", at=NOW + 60)
    store.record_pop(OLGA, "found", name="now", at=NOW)
    assert retention.prune() == 1
    assert [name for _, name in _pops(store)] == ["now", "a minute ahead"]


def test_a_version_6_file_keeps_its_pops_and_learns_each_calls_line_and_state(
        tmp_path: Path) -> None:
    # A file from before issue 11: its pops stay, with no line and no call state.
    with sqlite3.connect(tmp_path / DATABASE_FILE_NAME) as db:
        for migration in store_schema.MIGRATIONS[:6]:
            migration(db)
        db.execute("PRAGMA user_version=6")
        db.execute("INSERT INTO pop_history (number, at, status, name, call_id) "
                   "VALUES (?, ?, 'found', 'Asha Verma', 'c0')", (ASHA, NOW))
    store = LocalStore.in_profile(tmp_path)
    try:
        history = PopHistory(store)
        [old] = history.recent()
        assert (old["number"], old["name"], old["line"], old["call_state"]) == (
            ASHA, "Asha Verma", None, None)
        store.record_pop(OLGA, "found", call_id="c1", line=None, call_state="ringing")
        store.record_pop(ASHA, "found", call_id="c2", line="Sales IN", call_state="ringing")
        store.record_pop(OLGA, "found", call_id="c1", line=None, call_state="ringing")
        history.set_call_state("c1", "answered", line="Support IN")
        history.set_call_state("c2", "ended", line="Support IN")  # its line stays its own
        history.set_call_state("no-such-call", "ended")  # nothing to change, nothing fails
        # The state is the call's: every row of c1 has it (a call opened again has two).
        assert [(r["call_id"], r["line"], r["call_state"]) for r in history.recent()] == [
            ("c1", "Support IN", "answered"), ("c2", "Sales IN", "ended"),
            ("c1", "Support IN", "answered"), ("c0", None, None)]
    finally:
        store.close()


def test_a_withheld_caller_is_null_in_state_and_never_found_by_the_digits_of_its_call_id(
        store: LocalStore) -> None:
    history = PopHistory(store)
    request = PopRequest(None, call_id="9830", line="Sales IN")
    history.record(request, key=withheld_key("9830"), status="withheld")
    store.record_pop(ASHA, "found", name="Asha Verma", call_id="c1")
    [withheld] = [r for r in history.recent() if r["call_id"] == "9830"]
    assert (withheld["number"], withheld["status"], withheld["line"],
            withheld["call_state"]) == (None, "withheld", "Sales IN", "ringing")
    assert history.record(PopRequest(None)) is None  # a withheld caller needs its key
    assert [r.number for r in store.search_pops("9830")] == []
    assert [r.number for r in store.search_pops("8302")] == [ASHA]
