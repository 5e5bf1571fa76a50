"""Start-up notices one after another in the status bar, none lost under another (issue 13):
"tray only" not used here, a field mapping that could not be used, a profile on a network
folder and the clipboard's notice, all at once. The real app session, the real QTimer (short
here); only the OS facts behind each notice are faked."""

from __future__ import annotations

import itertools
import time

import pytest
from PySide6.QtWidgets import QStatusBar
from pytestqt.qtbot import QtBot

from app.core import network_folder
from app.core.field_mapping import default_mapping
from app.services import mapping_store
from app.ui import status_notices
from app.ui.tray import NOT_BUNDLED, Tray
from tests.ui.test_network_profile_notice import profile_on_a_share  # noqa: F401 (fixture)
from tests.ui.test_session import SessionFactory, make_session  # noqa: F401 (the fixture)
from tests.ui.test_tray_only import UNBUNDLED, as_mac

SHOW_MS = 150
BROKEN = "The saved field mapping could not be used, so the standard one is shown instead."
CLIPBOARD = "Allow Screen-Pop to read the clipboard in System Settings."


def test_start_up_notices_are_each_shown_in_turn(
        make_session: SessionFactory, profile_on_a_share: None,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch, qtbot: QtBot) -> None:
    monkeypatch.setattr(status_notices, "NOTICE_MS", SHOW_MS)
    monkeypatch.setattr(mapping_store, "load_active_mapping",
                        lambda *_a, **_k: (default_mapping(), BROKEN))
    as_mac(monkeypatch, UNBUNDLED, frozen=False)  # "tray only" cannot be seen from Python
    monkeypatch.setattr(Tray, "available", lambda _self: True)
    shown: list[tuple[str, float]] = []
    made = status_notices.StatusNotices.__init__

    def watched(notices: status_notices.StatusNotices, bar: QStatusBar,
                show_ms: int | None = None) -> None:
        made(notices, bar, show_ms)
        bar.messageChanged.connect(lambda text: shown.append((text, time.monotonic())))

    monkeypatch.setattr(status_notices.StatusNotices, "__init__", watched)
    session = make_session(stored={"pop_behaviour": "tray_only"})
    session.clipboard.notice.emit(CLIPBOARD)  # the clipboard's, a moment after the start
    network = network_folder.network_profile_notice(session.profile_dir,
                                                    "a network file system (cifs)")
    expected = [NOT_BUNDLED, BROKEN, network, CLIPBOARD]
    bar = session.window.statusBar()
    qtbot.waitUntil(lambda: bar.currentMessage() == CLIPBOARD, timeout=10_000)
    notices = [(text, at) for text, at in shown if text in expected]
    assert [text for text, _at in notices] == expected
    # Each stayed up for its time before the next took its place.
    gaps = [later - earlier for (_t, earlier), (_u, later) in itertools.pairwise(notices)]
    assert min(gaps) >= SHOW_MS / 1000 * 0.9, gaps
