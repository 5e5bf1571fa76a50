"""The outbox at a glance: the status-bar count, the tray's tooltip and the list of held items
with "Send again" / "Discard" — against a small fake of the outbox (one layer: the widgets)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from app.services.store import OutboxItem
from app.ui.outbox_status import OutboxStatus, outbox_summary
from app.ui.tray import Tray
from tests.fixtures.questions import answer

NUMBER = "+919876543210"


class FakeOutbox(QObject):
    countsChanged = Signal(int, int)

    def __init__(self) -> None:
        super().__init__()
        self.waiting = 0
        self.held: list[OutboxItem] = []
        self.confirmed: list[int] = []
        self.discarded: list[int] = []
        self.broken = False

    def counts(self) -> tuple[int, int]:
        if self.broken:
            raise OSError("disk I/O error")
        return self.waiting, len(self.held)

    def held_items(self) -> list[OutboxItem]:
        return list(self.held)

    def set(self, waiting: int, held: list[OutboxItem]) -> None:
        self.waiting, self.held = waiting, held
        self.countsChanged.emit(*self.counts())

    def confirm_held(self, item_id: int) -> None:
        if self.broken:
            raise OSError("disk I/O error")
        self.confirmed.append(item_id)
        self.set(self.waiting + 1, [i for i in self.held if i.id != item_id])

    def discard_held(self, item_id: int) -> None:
        self.discarded.append(item_id)
        self.set(self.waiting, [i for i in self.held if i.id != item_id])


def _held_note(item_id: int, text: str) -> OutboxItem:
    return OutboxItem(item_id, "note", NUMBER, "c1", {"content": text}, 0.0, 1,
                      "The connection broke after sending: it may already be in DeepCall.")


@pytest.fixture
def parts(qtbot: QtBot) -> Iterator[tuple[FakeOutbox, QMainWindow, Tray, OutboxStatus]]:
    outbox = FakeOutbox()
    window = QMainWindow()
    qtbot.addWidget(window)
    window.show()
    tray = Tray()
    status = OutboxStatus(outbox, window, tray)  # type: ignore[arg-type]
    yield outbox, window, tray, status
    status.close()


def test_the_summary_counts_changes_and_decisions_in_plain_words() -> None:
    assert outbox_summary(0, 0) == ""
    assert outbox_summary(1, 0) == "1 change waiting"
    assert outbox_summary(2, 0) == "2 changes waiting"
    assert outbox_summary(0, 1) == "1 needs your decision"
    assert outbox_summary(3, 2) == "3 changes waiting · 2 need your decision"


def test_the_status_bar_and_the_tray_follow_the_counts_and_hide_at_zero(
        parts: tuple[FakeOutbox, QMainWindow, Tray, OutboxStatus]) -> None:
    outbox, _window, tray, status = parts
    assert not status.button.isVisible()
    assert "waiting" not in tray.icon.toolTip()

    outbox.set(2, [_held_note(7, "Call back at 5")])
    assert status.button.isVisible()
    assert status.button.text() == "2 changes waiting · 1 needs your decision"
    assert "\n2 changes waiting · 1 needs your decision" in tray.icon.toolTip()
    assert status.state() == {"outbox": 2, "outbox_held": 1, "outbox_unreadable": False}

    outbox.set(0, [])
    assert not status.button.isVisible()
    assert "waiting" not in tray.icon.toolTip()
    assert "decision" not in tray.icon.toolTip()
    tray.set_state("found", "Aarav Mehta")  # the caller's line does not wipe the count out
    outbox.set(1, [])
    tray.set_state("loading", "+91 98765 43210")
    assert tray.icon.toolTip().endswith("\n1 change waiting\nLast caller: +91 98765 43210")


def test_an_unreadable_outbox_keeps_the_last_counts_and_no_crash(
        parts: tuple[FakeOutbox, QMainWindow, Tray, OutboxStatus]) -> None:
    outbox, _window, _tray, status = parts
    outbox.broken = True
    assert status.state() == {"outbox": 0, "outbox_held": 0, "outbox_unreadable": True}
    outbox.broken = False
    outbox.set(2, [])
    outbox.broken = True
    assert status.state() == {"outbox": 2, "outbox_held": 0, "outbox_unreadable": True}
    status.refresh()  # a passing disk error does not say "nothing waits"
    assert status.button.isVisible()
    assert status.button.text() == "2 changes waiting"


def test_held_items_are_sent_again_or_discarded_after_a_question(
        parts: tuple[FakeOutbox, QMainWindow, Tray, OutboxStatus], qtbot: QtBot) -> None:
    outbox, _window, _tray, status = parts
    outbox.set(0, [_held_note(7, "Call back at 5"), _held_note(9, "Wants the brochure")])
    status.button.click()
    held = status.held_window
    assert held is not None
    assert held.isVisible()
    assert not held.isModal()  # the agent can check DeepCall meanwhile
    rows = [held.items.item(i).text() for i in range(held.items.count())]
    assert rows[0].startswith("Note for +91 98765 43210: “Call back at 5” — The connection")
    assert len(rows) == 2

    held.items.setCurrentRow(0)
    held.send_again.click()
    assert outbox.confirmed == [7]
    assert status.button.text() == "1 change waiting · 1 needs your decision"
    assert [held.items.item(i).text()[:40] for i in range(held.items.count())] == [
        rows[1][:40]]

    held.items.setCurrentRow(0)
    held.discard.click()
    box = answer(held, "Cancel")
    assert "only if DeepCall already has it" in box.text()
    assert outbox.discarded == []  # asked, not done

    held.discard.click()
    answer(held, "Discard")
    assert outbox.discarded == [9]
    assert held.items.count() == 1  # only the placeholder now
    assert held.items.item(0).text().startswith("Nothing needs your decision. 1 change waiting")
    assert not held.send_again.isEnabled()


def test_a_decision_the_store_refuses_is_said_and_the_item_stays(
        parts: tuple[FakeOutbox, QMainWindow, Tray, OutboxStatus]) -> None:
    outbox, _window, _tray, status = parts
    outbox.set(0, [_held_note(7, "Call back at 5")])
    held = status.open_held()
    outbox.broken = True
    held.send_again.click()
    assert held.problem.isVisibleTo(held)
    assert "still held" in held.problem.text()
    assert held.items.count() == 1
    assert held.selected_id() == 7


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@pytest.mark.parametrize("name", [
    "Maria Fernanda de los Santos Rodríguez y Castillo-Ortega",
    "🌟" * 60,  # each one two UTF-16 units: what Windows counts
])
def test_the_tray_tooltip_keeps_the_count_within_what_windows_shows(
        qtbot: QtBot, name: str) -> None:
    tray = Tray()
    tray.set_state("found", f"{name} (+91 98765 43210)")
    tray.set_outbox_summary("12 changes waiting · 3 need your decision")
    tip = tray.icon.toolTip()
    assert _utf16_units(tip) <= 127  # Windows' szTip holds 128 units with the final NUL
    assert "\n12 changes waiting · 3 need your decision\n" in tip  # whole, before the caller
    assert tip.endswith("(+91 98765 43210)")  # the name gives way, not the number
