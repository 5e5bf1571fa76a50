"""The call history panel: against the real app graph and the sandbox over HTTP (re-pop from
the cache or DeepCall, forget and clear on the real store), and with a fake history for what
the panel shows of pending drafts and queued items (one layer: the widgets)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.api.auth import TokenAuth
from app.api.client import DeepCallClient
from app.core.pop_request import STATE_LINE
from app.sandbox.accounts import DEMO_TOKEN, DEMO_USER_ID
from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_UNKNOWN_NUMBER
from app.sandbox.server import SandboxServer
from app.services.outbox import NoteTarget
from app.services.pop_history import DAY_SECONDS
from app.services.secrets import MemorySecretStore
from app.services.settings import Settings
from app.services.store import FieldDraft, LocalStore, PopRecord
from app.session import SessionOptions, build_session
from app.sources.forward import exchange
from app.ui.history_panel import (
    NAME_COLUMN,
    PENDING_COLUMN,
    HistoryController,
    HistoryPanel,
    HistoryRow,
)
from app.ui.settings_dialog import SettingsDialog
from tests.fixtures.doubles import FixedAccount
from tests.fixtures.qt_async import wait_signal, wait_until
from tests.fixtures.questions import answer
from tests.ui.conftest import Stack, StackFactory, close_when_the_test_ends, quiesce
from tests.ui.form_typing import editor, type_into
from tests.ui.test_window_pop import _contact_info_requests

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]
KNOWN = "+" + DEMO_KNOWN_NUMBER
UNKNOWN = "+" + DEMO_UNKNOWN_NUMBER


async def _settled(stack: Stack, number: str, status: str) -> None:
    await wait_until(lambda: stack.state()["number"] == number
                     and stack.window.status == status, 5)
    await quiesce()


def _open_panel(stack: Stack) -> HistoryPanel:
    controller = stack.session.history_ui
    assert controller.show_action is not None
    assert controller.show_action.shortcut().toString() in ("Ctrl+H", "Meta+H")
    controller.show_action.trigger()
    assert controller.panel.isVisible()
    return controller.panel


def _two_callers(stack: Stack) -> Coroutine[Any, Any, None]:
    async def pops() -> None:
        stack.pop(KNOWN)
        await _settled(stack, KNOWN, "found")
        stack.pop(UNKNOWN)
        await _settled(stack, UNKNOWN, "unknown")
    return pops()


def test_enter_on_a_searched_entry_pops_that_caller_again_from_the_cache(
        make_stack: StackFactory, run_async: RunAsync) -> None:
    stack = make_stack()
    run_async(_two_callers(stack))
    panel = _open_panel(stack)
    assert panel.numbers() == [UNKNOWN, KNOWN]
    assert panel.list.topLevelItem(1).text(2) == "Aarav Mehta"
    assert panel.list.topLevelItem(0).text(2) == "New caller"
    assert panel.list.topLevelItem(0).text(3) == "test"  # the source

    QTest.keyClicks(panel.search, "aarav")
    run_async(wait_until(lambda: panel.numbers() == [KNOWN], 5))  # once the typing pauses

    async def enter() -> None:
        QTest.keyClick(panel.search, Qt.Key.Key_Return)  # to the list
        QTest.keyClick(panel.list, Qt.Key.Key_Return)
        # From the cache: the contact is on screen before any request leaves.
        assert stack.window.status == "found"
        assert stack.state()["from_cache"] is True
        await _settled(stack, KNOWN, "found")

    run_async(enter())
    assert stack.state()["source"] == "history"
    assert stack.window.header.caller_name.text() == "Aarav Mehta"
    # The re-pop is in the history too, live (once its lookup is done).
    run_async(wait_until(lambda: panel.numbers() == [KNOWN, KNOWN], 5))


def test_a_double_click_pops_the_caller_again_from_deepcall_when_nothing_is_cached(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    stack = make_stack(cache_seconds=0)
    run_async(_two_callers(stack))
    panel = _open_panel(stack)
    asked = _contact_info_requests(sandbox)
    item = panel.list.topLevelItem(1)
    assert panel.numbers()[1] == KNOWN

    async def double_click() -> None:
        where = panel.list.visualItemRect(item).center()
        where.setX(min(where.x(), 20))  # the time column: always in view
        # As a real double-click: a press first (the view pairs the two), then the double.
        QTest.mousePress(panel.list.viewport(), Qt.MouseButton.LeftButton,
                         Qt.KeyboardModifier.NoModifier, where)
        QTest.mouseRelease(panel.list.viewport(), Qt.MouseButton.LeftButton,
                           Qt.KeyboardModifier.NoModifier, where)
        assert stack.state()["number"] == UNKNOWN  # one click is no re-pop
        QTest.mouseDClick(panel.list.viewport(), Qt.MouseButton.LeftButton,
                          Qt.KeyboardModifier.NoModifier, where)
        await _settled(stack, KNOWN, "found")

    run_async(double_click())
    assert _contact_info_requests(sandbox) == asked + 1
    assert stack.state()["from_cache"] is False
    assert stack.window.form.values()["Name"] == "Aarav Mehta"


def test_forget_and_clear_ask_first_and_keep_every_queued_save_and_note(
        make_stack: StackFactory, run_async: RunAsync) -> None:
    stack = make_stack()
    run_async(_two_callers(stack))
    store = stack.store
    store.save_draft(KNOWN, "half a note")
    note = store.enqueue("note", KNOWN, {"content": "Call back at 5"}, "c1")
    save = store.enqueue("update", KNOWN, {"contactinfo": {"email": "a@example.com"}})
    panel = _open_panel(stack)
    panel.list.setCurrentItem(panel.list.topLevelItem(1))
    assert panel.selected_number() == KNOWN

    panel.forget.click()
    box = answer(panel, "Cancel")
    assert "queued for DeepCall are kept" in box.text()
    assert panel.numbers() == [UNKNOWN, KNOWN]  # asked, not done
    panel.forget.click()
    answer(panel, "Forget")
    assert panel.numbers() == [UNKNOWN]
    assert store.load_draft(KNOWN) == ""
    assert [i.id for i in store.outbox_items()] == [note, save]

    panel.clear_all.click()
    box = answer(panel, "Clear history")
    assert "queued for DeepCall are kept" in box.text()
    assert panel.numbers() == []
    assert stack.state()["history"] == []
    assert [i.id for i in store.outbox_items()] == [note, save]


def test_old_pops_are_pruned_when_the_app_starts_and_when_the_setting_changes(
        tmp_path: Path, run_async: RunAsync, sandbox: SandboxServer,
        request: pytest.FixtureRequest) -> None:
    QApplication.setQuitOnLastWindowClosed(False)
    profile = tmp_path / "profile"
    earlier = LocalStore.in_profile(profile)  # what an earlier run left
    now = time.time()
    earlier.record_pop(KNOWN, "found", name="40 days ago", at=now - 40 * DAY_SECONDS)
    earlier.record_pop(KNOWN, "found", name="3 days ago", at=now - 3 * DAY_SECONDS)
    earlier.record_pop(UNKNOWN, "unknown", at=now - 60)
    earlier.close()
    Settings(profile).history_days = 30
    client = DeepCallClient(sandbox.base_url, TokenAuth(DEMO_USER_ID, DEMO_TOKEN))
    session = build_session(SessionOptions(profile_dir=profile,
                                           log_file=profile / "logs" / "screenpop.log",
                                           secrets=MemorySecretStore()),
                            account=FixedAccount(client))
    close_when_the_test_ends(request, lambda: run_async(session.aclose()))

    async def start_and_ask() -> dict[str, Any]:
        session.start()
        reply: dict[str, Any] = await asyncio.to_thread(exchange, profile, STATE_LINE)
        return reply["state"]

    state = run_async(start_and_ask())
    assert [h["name"] for h in state["history"]] == [None, "3 days ago"]
    # The outbox's counts: integers, never null when the store is fine.
    assert (state["outbox"], state["outbox_held"]) == (0, 0)
    assert type(state["outbox"]) is int
    assert type(state["outbox_held"]) is int
    session.settings.history_days = 1  # shorter: applies at once
    assert [h["number"] for h in session.state()["history"]] == [UNKNOWN]


@dataclass(frozen=True)
class Marks:
    drafts: bool = False
    queued: int = 0
    held: int = 0


class FakeHistory:
    def __init__(self, records: list[PopRecord], marks: dict[str, Marks]) -> None:
        self.records = records
        self.marks = marks
        self.cleared = 0

    def search(self, text: str) -> list[PopRecord]:
        return [r for r in self.records if text.lower() in r.name.lower() or not text]

    def pending_marks(self) -> dict[str, Marks]:
        return self.marks

    def clear(self) -> int:
        raise OSError("database or disk is full")


class FakeCoordinator(QObject):
    statusChanged = Signal(str)
    busy = False


def test_each_entry_says_what_is_still_pending_for_that_caller(qtbot: QtBot) -> None:
    records = [PopRecord(3, "+919876543210", 1.7e9, "found", "Aarav Mehta", "c3", "softphone"),
               PopRecord(2, "+918302390884", 1.7e9, "unknown", "", None, "clipboard"),
               PopRecord(1, "+441632960961", 1.7e9, "found", "Olga", None, None)]
    marks = {"+919876543210": Marks(drafts=True, queued=2, held=1),
             "+918302390884": Marks(queued=1)}
    panel = HistoryPanel()
    qtbot.addWidget(panel)
    controller = HistoryController(panel, FakeHistory(records, marks),  # type: ignore[arg-type]
                                   FakeCoordinator())  # type: ignore[arg-type]
    panel.show()
    pending = [panel.list.topLevelItem(i).text(PENDING_COLUMN) for i in range(3)]
    assert pending == ["unsaved changes · 2 waiting · needs your decision", "1 waiting", ""]
    assert panel.list.topLevelItem(0).text(4) == "c3"

    marks["+918302390884"] = Marks()  # delivered: the mark goes at the next refresh
    controller.refresh_if_shown()
    qtbot.waitUntil(lambda: panel.list.topLevelItem(1).text(PENDING_COLUMN) == "")

    panel.clear_all.click()
    answer(panel, "Clear history")
    assert "could not be cleared" in panel.problem.text()
    assert "Nothing was deleted" in panel.problem.text()
    assert panel.problem.isVisibleTo(panel)


def test_the_retention_is_set_in_settings_and_reaches_the_settings_file(
        qtbot: QtBot, tmp_path: Path, run_async: RunAsync) -> None:
    secrets = MemorySecretStore()
    secrets.store("token", DEMO_TOKEN)
    dialog = SettingsDialog(Settings(tmp_path), secrets, lambda *_: None)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.open()
    assert dialog.history_days.value() == 30
    assert (dialog.history_days.minimum(), dialog.history_days.maximum()) == (1, 3650)
    dialog.brand_url.setText("https://v4-api.deepcall.com")
    dialog.user_id.setText(DEMO_USER_ID)
    dialog.history_days.setValue(90)
    run_async(wait_signal(dialog.saved, 10, trigger=dialog.save))
    assert Settings(tmp_path).history_days == 90


def _note(stack: Stack, sandbox: SandboxServer, fault: str, text: str) -> None:
    sandbox.set_faults(fault)
    stack.outbox.add_note(NoteTarget(KNOWN), text)


def test_state_and_the_window_show_the_outboxs_counts(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    stack = make_stack()
    _note(stack, sandbox, "drop@notesAdd*1", "may have arrived")  # held for the agent
    run_async(wait_until(lambda: stack.state()["outbox_held"] == 1, 5))
    _note(stack, sandbox, "http503@notesAdd", "DeepCall is down")  # waiting, retried
    _note(stack, sandbox, "http503@notesAdd", "still down")
    run_async(wait_until(lambda: stack.state()["outbox"] == 2, 5))
    run_async(quiesce())
    state = stack.state()
    assert (state["outbox"], state["outbox_held"]) == (2, 1)
    button = stack.session.outbox_status.button
    assert button.isVisibleTo(stack.window)
    assert button.text() == "2 changes waiting · 1 needs your decision"
    assert "2 changes waiting · 1 needs your decision" in stack.session.tray.icon.toolTip()


def test_an_open_history_follows_the_outbox(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    stack = make_stack()
    stack.store.record_pop(KNOWN, "found", name="Aarav Mehta")
    panel = _open_panel(stack)
    before = len(sandbox.notes(DEMO_KNOWN_NUMBER))
    assert panel.list.topLevelItem(0).text(PENDING_COLUMN) == ""
    _note(stack, sandbox, "http503@notesAdd", "Call back at 5")  # DeepCall is down
    run_async(wait_until(
        lambda: panel.list.topLevelItem(0).text(PENDING_COLUMN) == "1 waiting", 5))
    assert stack.session.outbox_status.button.text() == "1 change waiting"

    sandbox.clear_faults()  # DeepCall is back
    stack.outbox.retry_all()
    run_async(wait_until(lambda: panel.list.topLevelItem(0).text(PENDING_COLUMN) == "", 5))
    assert [n.content for n in sandbox.notes(DEMO_KNOWN_NUMBER)[before:]] == ["Call back at 5"]
    assert (stack.state()["outbox"], stack.state()["outbox_held"]) == (0, 0)


def test_an_open_history_marks_unsaved_changes_as_they_are_written_and_dropped(
        make_stack: StackFactory, run_async: RunAsync) -> None:
    stack = make_stack()
    form = stack.window.form
    city = ("Cu", "city")

    async def scenario() -> None:
        stack.pop(KNOWN)
        await stack.shown(KNOWN)
        panel = _open_panel(stack)

        def mark() -> str:
            return str(panel.list.topLevelItem(0).text(PENDING_COLUMN))

        assert mark() == ""
        type_into(form, city, "Pune")  # only the draft timer writes it: no pop, no outbox
        await wait_until(lambda: mark() == "unsaved changes", 3)
        QTest.keyClick(editor(form, city), Qt.Key.Key_Escape)  # the draft goes
        await wait_until(lambda: mark() == "", 3)

    run_async(scenario())


def test_a_forgotten_caller_is_not_popped_from_memory_again(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer) -> None:
    stack = make_stack()
    run_async(_two_callers(stack))
    panel = _open_panel(stack)
    panel.list.setCurrentItem(panel.list.topLevelItem(1))
    assert panel.selected_number() == KNOWN
    panel.forget.click()
    answer(panel, "Forget")
    asked = _contact_info_requests(sandbox)

    async def pop_again() -> None:
        stack.pop(KNOWN)
        assert stack.window.status == "loading"  # nothing of theirs left to show at once
        await stack.shown(KNOWN)

    run_async(pop_again())
    assert stack.state()["from_cache"] is False
    assert _contact_info_requests(sandbox) == asked + 1

def _row_of(panel: HistoryPanel, number: str, call_id: str | None = None) -> int:
    return next(i for i in range(panel.list.topLevelItemCount())
                if panel.numbers()[i] == number
                and (call_id is None or panel.list.topLevelItem(i).text(4) == call_id))


def test_the_caller_on_the_phone_opened_again_from_the_history_keeps_their_call(
        make_stack: StackFactory, run_async: RunAsync) -> None:
    stack = make_stack(dedupe_seconds=0)

    async def live_call() -> None:
        stack.pop(KNOWN, call_id="live-call-7")
        await _settled(stack, KNOWN, "found")

    run_async(live_call())
    panel = _open_panel(stack)
    panel.list.setCurrentItem(panel.list.topLevelItem(0))

    async def enter() -> None:
        QTest.keyClick(panel.list, Qt.Key.Key_Return)  # the agent reloads the caller
        await _settled(stack, KNOWN, "found")

    run_async(enter())
    target = stack.coordinator.note_target()
    assert target is not None
    assert target.call_id == "live-call-7"  # the note still goes to the call on the phone
    rows = [(r.number, r.status, r.call_id) for r in stack.store.recent_pops()]
    assert rows == [(KNOWN, "found", "live-call-7")]  # the same call, not a new pop


def test_another_caller_opened_during_a_call_is_not_recorded_as_the_next_call(
        make_stack: StackFactory, run_async: RunAsync) -> None:
    stack = make_stack(dedupe_seconds=0)
    stack.store.record_pop(UNKNOWN, "unknown", source="softphone")  # an earlier call
    panel = _open_panel(stack)

    async def ringing_then_browse() -> None:
        stack.pop(KNOWN, call_id="live-call-7")  # rings; its lookup is in flight
        panel.list.setCurrentItem(panel.list.topLevelItem(_row_of(panel, UNKNOWN)))
        QTest.keyClick(panel.list, Qt.Key.Key_Return)  # the agent looks at someone else
        await _settled(stack, UNKNOWN, "unknown")

    run_async(ringing_then_browse())
    live = next(r for r in stack.store.recent_pops() if r.call_id == "live-call-7")
    assert live.status == "left"
    run_async(wait_until(lambda: KNOWN in panel.numbers(), 5))
    assert panel.list.topLevelItem(_row_of(panel, KNOWN)).text(2) == "You opened another caller"

    async def back_to_the_call() -> None:
        panel.list.setCurrentItem(panel.list.topLevelItem(_row_of(panel, KNOWN, "live-call-7")))
        QTest.keyClick(panel.list, Qt.Key.Key_Return)
        await _settled(stack, KNOWN, "found")

    run_async(back_to_the_call())
    target = stack.coordinator.note_target()
    assert target is not None
    assert target.call_id == "live-call-7"  # the row's call: a note goes to it again


def test_enter_in_the_search_box_goes_to_the_list_and_pops_nobody(
        make_stack: StackFactory, run_async: RunAsync) -> None:
    stack = make_stack()
    run_async(_two_callers(stack))
    panel = _open_panel(stack)
    QTest.keyClicks(panel.search, "aarav")
    panel.search.setFocus()
    QTest.keyClick(panel.search, Qt.Key.Key_Return)
    assert stack.state()["number"] == UNKNOWN  # still the caller on screen
    assert panel.list.hasFocus()
    assert panel.selected_number() == KNOWN  # the search's first answer, chosen now


def test_a_refresh_keeps_the_row_the_agent_is_on_and_the_scroll(
        make_stack: StackFactory, qtbot: QtBot) -> None:
    stack = make_stack()
    for i in range(60):  # KNOWN called every tenth time
        stack.store.record_pop(KNOWN if i % 10 == 0 else f"+9198765{i:05d}", "found",
                               name=f"n{i}")
    panel = _open_panel(stack)
    qtbot.waitExposed(panel)
    panel.list.setCurrentItem(panel.list.topLevelItem(49))  # an old call of KNOWN
    assert (panel.selected_number(), panel.list.currentItem().text(2)) == (KNOWN, "n10")
    bar = panel.list.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    scrolled = bar.value()

    stack.session.history_ui.refresh()  # what a pop's status or the outbox's change does
    assert panel.list.indexOfTopLevelItem(panel.list.currentItem()) == 49
    assert bar.value() == scrolled
    stack.store.record_pop(UNKNOWN, "unknown")  # a new call comes in on top
    stack.session.history_ui.refresh()
    assert panel.list.currentItem().text(2) == "n10"  # the same call, one row down


def test_an_open_history_costs_the_pop_nothing_until_its_lookup_is_done(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    stack = make_stack(cache_seconds=0)
    now = time.time()
    for i in range(500):
        stack.store.record_pop(f"+9198{i:08d}", "found", name=f"Caller {i}", at=now - 500 + i)
    panel = _open_panel(stack)
    controller = stack.session.history_ui
    busy_at_refresh: list[bool] = []
    refresh = controller.refresh

    def counted() -> None:
        busy_at_refresh.append(stack.coordinator.busy)
        refresh()

    monkeypatch.setattr(controller, "refresh", counted)

    # DeepCall is slow today: the list's refresh comes due while the lookup waits.
    sandbox.set_faults("latency=400@contactInfo*1")

    async def pop() -> None:
        stack.pop(KNOWN)  # "loading", then "found", then the outbox's and recent calls' news
        await _settled(stack, KNOWN, "found")
        await wait_until(lambda: panel.list.topLevelItem(0).text(2) == "Aarav Mehta", 5)

    run_async(pop())
    assert busy_at_refresh == [False]  # one rebuild, after the lookup, not two during it


def test_typing_a_search_looks_once_when_the_agent_pauses(
        make_stack: StackFactory, run_async: RunAsync, monkeypatch: pytest.MonkeyPatch) -> None:
    stack = make_stack()
    run_async(_two_callers(stack))
    panel = _open_panel(stack)
    controller = stack.session.history_ui
    searched: list[str] = []
    refresh = controller.refresh

    def counted() -> None:
        searched.append(panel.search.text())
        refresh()

    monkeypatch.setattr(controller, "refresh", counted)
    QTest.keyClicks(panel.search, "aarav")
    run_async(wait_until(lambda: panel.numbers() == [KNOWN], 5))
    assert searched == ["aarav"]  # not "a", "aa", "aar"…: each search rebuilds the list


@pytest.mark.parametrize("then", ["the next call", "quitting"])
def test_a_forgotten_caller_on_screen_stays_forgotten(
        make_stack: StackFactory, run_async: RunAsync, then: str) -> None:
    stack = make_stack(dedupe_seconds=0)
    window = stack.window

    async def call() -> None:
        stack.pop(KNOWN)
        await _settled(stack, KNOWN, "found")

    run_async(call())
    view = window.form.view
    assert view is not None
    field = next(f for f in view.fields() if not f.read_only)
    window.form.restore_edits({field.key: "a private remark"})  # as if typed
    window.notes.editor.setPlainText("private remark about the caller")
    stack.session.presenter.keep_drafts()  # the half-second throttle's turn
    assert stack.store.field_drafts(KNOWN)
    panel = _open_panel(stack)
    panel.list.setCurrentItem(panel.list.topLevelItem(0))
    panel.forget.click()
    answer(panel, "Forget")
    assert window.form.edits() == {}  # the form shows nothing of them any more either
    assert window.notes.editor.toPlainText() == ""

    if then == "the next call":
        stack.pop(UNKNOWN)
        run_async(_settled(stack, UNKNOWN, "unknown"))
        store = stack.store
    else:
        run_async(stack.session.aclose())
        store = LocalStore.in_profile(stack.session.profile_dir)
    try:
        assert store.field_drafts(KNOWN) == {}
        assert store.load_draft(KNOWN) == ""
    finally:
        if then == "quitting":
            store.close()


def test_unsaved_changes_stay_in_the_history_after_it_is_cleared(
        make_stack: StackFactory) -> None:
    stack = make_stack()
    stack.store.record_pop(KNOWN, "found", name="Aarav Mehta")
    stack.store.record_pop(UNKNOWN, "unknown")
    stack.store.write_field_drafts(KNOWN, [FieldDraft("Cu", "Email", "new@x.in", "old@x.in")])
    panel = _open_panel(stack)
    panel.clear_all.click()
    box = answer(panel, "Clear history")
    assert "unsaved changes" in box.text()
    assert stack.store.field_drafts(KNOWN)  # kept, as the question says ...
    assert panel.numbers() == [KNOWN]  # ... and the agent can still get back to them
    assert panel.list.topLevelItem(0).text(PENDING_COLUMN) == "unsaved changes"


def test_an_entry_from_another_year_says_which_year(qtbot: QtBot) -> None:
    now = datetime.now()
    this_year = datetime(now.year, 1, 2, 9, 30).timestamp()
    last_year = datetime(now.year - 1, 1, 2, 9, 30).timestamp()
    texts = [HistoryRow.of(PopRecord(1, KNOWN, at, "found", "A", None, None), None).texts[0]
             for at in (this_year, last_year)]
    assert str(now.year - 1) in texts[1]
    assert "09:30" not in texts[1]  # the day is what tells entries that far back apart
    assert "09:30" in texts[0]
    assert str(now.year) not in texts[0]


def test_the_pending_mark_sits_next_to_the_name_in_view_at_the_default_size(
        make_stack: StackFactory, qtbot: QtBot) -> None:
    """In the real window's dock at its first-start width, the caller with unsaved changes
    is marked where the agent reads the name: not only in the Pending column further right,
    out of view; a screen reader hears the same words."""
    stack = make_stack()
    stack.store.record_pop(KNOWN, "found", name="Aarav Mehta")
    stack.store.record_pop(UNKNOWN, "unknown")
    stack.store.write_field_drafts(KNOWN, [FieldDraft("Cu", "Email", "new@x.in", "old@x.in")])
    panel = _open_panel(stack)
    view = panel.list
    qtbot.waitUntil(lambda: view.topLevelItemCount() == 2 and view.viewport().width() > 0)
    marked, plain = view.topLevelItem(1), view.topLevelItem(0)
    assert (marked.text(NAME_COLUMN), marked.text(PENDING_COLUMN)) \
        == ("Aarav Mehta", "unsaved changes")
    cell = view.visualRect(view.indexFromItem(marked, NAME_COLUMN))
    assert view.viewport().rect().contains(cell), (cell, view.viewport().rect())
    assert not marked.icon(NAME_COLUMN).isNull()
    assert marked.data(NAME_COLUMN, Qt.ItemDataRole.AccessibleDescriptionRole) \
        == "unsaved changes"
    assert "unsaved changes" in marked.toolTip(NAME_COLUMN)
    assert plain.icon(NAME_COLUMN).isNull()
    assert not plain.data(NAME_COLUMN, Qt.ItemDataRole.AccessibleDescriptionRole)


def test_the_tray_menu_and_states_history_show_what_waits(
        make_stack: StackFactory, run_async: RunAsync, sandbox: SandboxServer,
        long_backoff: float) -> None:
    """Not only the tray's tooltip: its menu has an entry with the counts that opens the same
    list as the status bar's button, hidden when nothing waits; and each of ``state``'s
    history entries carries the marks the panel shows."""
    stack = make_stack()
    tray = stack.session.tray
    entry = tray.outbox_action
    assert not entry.isVisible()
    stack.store.record_pop(UNKNOWN, "unknown")
    stack.store.record_pop(KNOWN, "found", name="Aarav Mehta")
    stack.store.write_field_drafts(KNOWN, [FieldDraft("Cu", "Email", "new@x.in", "old@x.in")])
    _note(stack, sandbox, "drop@notesAdd*1", "may have arrived")  # held for the agent
    run_async(wait_until(lambda: stack.state()["outbox_held"] == 1, 5))
    _note(stack, sandbox, "http503@notesAdd", "DeepCall is down")  # waiting, retried
    run_async(wait_until(lambda: stack.state()["outbox"] == 1, 5))
    run_async(quiesce())

    assert entry.isVisible()
    assert entry in tray.icon.contextMenu().actions()
    assert entry.text() == "1 change waiting · 1 needs your decision…"
    entry.trigger()
    held = stack.session.outbox_status.held_window
    assert held is not None
    assert held.isVisible()
    assert held.items.count() == 1

    history = {h["number"]: h["pending"] for h in stack.state()["history"]}  # type: ignore[attr-defined]
    assert history == {KNOWN: {"unsaved_changes": True, "waiting": 1, "held": 1},
                       UNKNOWN: None}

    sandbox.clear_faults()
    stack.outbox.discard_held(held.selected_id() or stack.outbox.held_items()[0].id)
    stack.outbox.retry_all()
    run_async(wait_until(lambda: stack.state()["outbox"] == 0, 5))
    assert not entry.isVisible()
