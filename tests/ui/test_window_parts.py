"""Window details: dark/light theme, geometry per screen setup, tray state, first paint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.services.settings import Settings
from app.ui import theme
from app.ui.main_window import MainWindow, current_screen_key
from app.ui.tray import Tray


@pytest.fixture
def follower(qapp: QApplication) -> Iterator[theme.ThemeFollower]:
    original = qapp.palette()
    follower = theme.ThemeFollower(qapp)
    yield follower
    follower.apply(Qt.ColorScheme.Light)
    qapp.setPalette(original)
    theme._applied_dark = None


def test_the_palette_follows_the_os_scheme(follower: theme.ThemeFollower,
                                           qapp: QApplication) -> None:
    follower.apply(Qt.ColorScheme.Dark)
    window_colour = qapp.palette().color(QPalette.ColorRole.Window)
    text_colour = qapp.palette().color(QPalette.ColorRole.WindowText)
    assert window_colour.lightness() < 80
    assert text_colour.lightness() > 180
    assert theme.status_colours() is theme.DARK_STATUS

    follower.apply(Qt.ColorScheme.Light)
    assert qapp.palette().color(QPalette.ColorRole.Window).lightness() > 180
    assert theme.status_colours() is theme.LIGHT_STATUS


def test_status_colours_are_readable_on_both_schemes() -> None:
    from PySide6.QtGui import QColor

    for colours in (theme.LIGHT_STATUS, theme.DARK_STATUS):
        for status in ("loading", "found", "unknown", "error", "idle"):
            fg, bg = (QColor(c) for c in colours.for_status(status))
            assert abs(fg.lightness() - bg.lightness()) > 90, status


def test_geometry_is_remembered_per_screen_setup(qtbot: QtBot, tmp_path: Path) -> None:
    settings = Settings(tmp_path)
    first = MainWindow(settings)
    qtbot.addWidget(first)
    first.setGeometry(QRect(40, 50, 640, 480))
    first.save_geometry()
    assert settings.window_geometry(current_screen_key()) is not None

    again = MainWindow(Settings(tmp_path))
    qtbot.addWidget(again)
    assert again.size().width() == 640
    assert again.size().height() == 480
    for window in (first, again):
        window.quitting = True


def test_a_new_screen_setup_gets_a_fresh_default_size(qtbot: QtBot, tmp_path: Path) -> None:
    # A size saved for another arrangement of screens is not applied here; the first-start
    # size is 100 x 72 "M" widths, kept within 90 % of the screen.
    settings = Settings(tmp_path)
    elsewhere = MainWindow(settings)
    qtbot.addWidget(elsewhere)
    elsewhere.quitting = True
    elsewhere.resize(333, 222)
    settings.set_window_geometry("screens-9-elsewhere", bytes(elsewhere.saveGeometry().data()))
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.quitting = True
    em = window.fontMetrics().horizontalAdvance("M")
    available = QApplication.primaryScreen().availableGeometry()
    assert window.width() == min(em * 100, int(available.width() * 0.9))
    assert window.height() == min(em * 72, int(available.height() * 0.9))


def test_tray_shows_state_and_last_caller(qtbot: QtBot) -> None:
    tray = Tray(demo=True)
    tray.set_state("found", "Aarav Mehta (+91 98765 43210)")
    tip = tray.icon.toolTip()
    assert "Known caller" in tip
    assert "Aarav Mehta" in tip
    assert not tray.icon.icon().isNull()
    tray.set_state("error")
    assert "Lookup failed" in tray.icon.toolTip()
    assert "Aarav Mehta" in tray.icon.toolTip()  # the last caller stays
    actions = [a.text() for a in tray._menu.actions()]
    assert "Simulate &incoming call" in actions


def test_keyboard_routes_reach_the_form_and_the_note(qtbot: QtBot, tmp_path: Path) -> None:
    from app.core.contact import Contact, ContactGroup
    from app.core.contact_view import build_contact_view
    from app.core.field_mapping import default_mapping

    window = MainWindow(Settings(tmp_path))
    qtbot.addWidget(window)
    window.quitting = True
    window.show()
    qtbot.waitExposed(window)
    window.show_pop_received("+91 98765 43210")
    contact = Contact("+919876543210", (ContactGroup("Cu", (("mobile", 919876543210),
                                                            ("Name", "Aarav Mehta"))),))
    window.show_contact(build_contact_view(contact, default_mapping()), ())
    window.activateWindow()
    window.focus_first_field()
    assert window.focusWidget() is window.form.editor("Name")  # mobile is read-only: skipped
    shortcuts = {a.shortcut().toString() for a in window.findChildren(type(window.retry_action))}
    assert {"Ctrl+E", "Ctrl+N", "Ctrl+,"} <= shortcuts


def test_state_colours_follow_a_scheme_switch_mid_shift(follower: theme.ThemeFollower,
                                                        qtbot: QtBot, tmp_path: Path) -> None:
    from app.ui.error_banner import ErrorAction, ErrorView

    window = MainWindow(Settings(tmp_path))
    qtbot.addWidget(window)
    window.show()
    window.show_pop_received("+91 98765 43210")
    window.show_error(ErrorView("DeepCall did not answer.", ErrorAction.RETRY))
    light_bg = theme.LIGHT_STATUS.error[1]
    assert light_bg in window.header.status.styleSheet()
    assert light_bg in window.banner.styleSheet()

    follower.apply(Qt.ColorScheme.Dark)  # the OS went dark while the error is shown
    dark_fg, dark_bg = theme.DARK_STATUS.error
    # Qt delivers the palette change as a posted event.
    qtbot.waitUntil(lambda: dark_bg in window.banner.styleSheet())
    assert dark_bg in window.header.status.styleSheet()
    assert dark_fg in window.header.status.styleSheet()
    assert dark_bg in window.banner.styleSheet()


def test_recent_calls_fit_a_narrow_pane_without_sideways_scrolling(qtbot: QtBot) -> None:
    from datetime import datetime

    from app.api.models import RecentCall
    from app.ui.recent_calls import RecentCallsList

    calls = RecentCallsList()
    qtbot.addWidget(calls)
    calls.show_calls([RecentCall("c1", "inbound", "answered", 197, datetime(2026, 11, 25, 12, 27),
                                 "2026-11-25 12:27:00", "Farah Siddiqui-Venkataraman")])
    calls.resize(2000, 200)
    calls.show()
    qtbot.waitExposed(calls)
    fixed = sum(calls.header().sectionSize(i) for i in range(4))
    # Room for every column but only part of the agent's long name.
    calls.resize(fixed + calls.fontMetrics().horizontalAdvance("Farah Siddiqui"), 200)
    qtbot.waitUntil(lambda: calls.viewport().width() < fixed + 200)
    assert calls.horizontalScrollBar().maximum() == 0
