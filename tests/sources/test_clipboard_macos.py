"""The macOS poller, driven by a fake NSPasteboard (same PyObjC method names)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import pytest
from pytestqt.qtbot import QtBot

from app.sources.clipboard import ClipboardWatcher, QtClipboardStrategy, default_strategy
from app.sources.clipboard_filter import OWN_MARKER_FORMAT
from app.sources.clipboard_macos import (
    ACCESS_ALWAYS_DENY,
    ACCESS_ASK,
    ACCESS_BLOCKED,
    NOT_ALLOWED,
    STRING_TYPE,
    MacPasteboardStrategy,
)


class FakePasteboard:
    """Counts every read, so the test can prove text is read only after a change."""

    def __init__(self) -> None:
        self.count = 7
        self.items: dict[str, bytes | str] = {STRING_TYPE: "old text"}
        self.count_reads = 0
        self.text_reads = 0

    def copy(self, text: str, **markers: bytes) -> None:
        self.items = {STRING_TYPE: text, **markers}
        self.count += 1

    def changeCount(self) -> int:
        self.count_reads += 1
        return self.count

    def types(self) -> Sequence[str] | None:
        return list(self.items)

    def stringForType_(self, data_type: str) -> str | None:
        self.text_reads += 1
        value = self.items.get(data_type)
        return value if isinstance(value, str) else None

    def dataForType_(self, data_type: str) -> bytes | None:
        value = self.items.get(data_type)
        return value if isinstance(value, bytes) else None


QT_MAC_OWN_TYPE = "com.trolltech.anymime.application--x-deepcall-screenpop-own"


def make(qtbot: QtBot) -> tuple[FakePasteboard, ClipboardWatcher]:
    board = FakePasteboard()
    watcher = ClipboardWatcher(strategy=MacPasteboardStrategy(board, interval_ms=10),
                               debounce_ms=30)
    return board, watcher


def test_polls_the_count_and_reads_text_only_after_a_change(qtbot: QtBot) -> None:
    board, watcher = make(qtbot)
    # Polling without changes: the count is read again and again, the text never.
    qtbot.waitUntil(lambda: board.count_reads >= 5, timeout=3000)
    assert board.text_reads == 0
    with qtbot.waitSignal(watcher.popRequested, timeout=3000) as blocker:
        board.copy("+91 83023 90884")
    assert blocker.args[0].number == "+918302390884"
    assert board.text_reads == 1
    reads_after_pop = board.count_reads
    qtbot.waitUntil(lambda: board.count_reads >= reads_after_pop + 5, timeout=3000)
    assert board.text_reads == 1
    watcher.set_enabled(False)


def test_concealed_and_own_copies_are_skipped_unread(qtbot: QtBot) -> None:
    board, watcher = make(qtbot)
    reasons: list[str] = []
    watcher.ignored.connect(reasons.append)
    board.copy("08302390884", **{"org.nspasteboard.ConcealedType": b""})
    qtbot.waitUntil(lambda: reasons == ["concealed"], timeout=3000)
    board.copy("08302390884", **{OWN_MARKER_FORMAT: b"1"})
    qtbot.waitUntil(lambda: reasons == ["concealed", "own write"], timeout=3000)
    # What the app's own write really looks like on a Mac: Qt stores a custom MIME type
    # under a UTI of its own making.
    board.copy("08302390884", **{QT_MAC_OWN_TYPE: b"1"})
    qtbot.waitUntil(lambda: reasons == ["concealed", "own write", "own write"], timeout=3000)
    assert board.text_reads == 0
    with qtbot.waitSignal(watcher.popRequested, timeout=3000):
        board.copy("08302390884")
    watcher.set_enabled(False)


def test_stopping_stops_the_polling(qtbot: QtBot) -> None:
    board, watcher = make(qtbot)
    watcher.set_enabled(False)
    reads = board.count_reads
    # A second, running poller proves time passed; the stopped one read nothing more.
    other = FakePasteboard()
    running = MacPasteboardStrategy(other, interval_ms=10)
    running.start()
    qtbot.waitUntil(lambda: other.count_reads >= 5, timeout=3000)
    running.stop()
    assert board.count_reads == reads


def test_appkit_is_not_needed_off_macos() -> None:
    if sys.platform != "darwin":
        assert "AppKit" not in sys.modules


def test_without_appkit_the_watcher_falls_back_to_qt(qapp: object,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # A Mac install missing pyobjc must still start: Qt's clipboard signal (foreground only).
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setitem(sys.modules, "AppKit", None)  # makes `import AppKit` fail
    strategy = default_strategy()
    assert isinstance(strategy, QtClipboardStrategy)


class GuardedPasteboard(FakePasteboard):
    """macOS 15.4+: the pasteboard says how the system treats this app's reads."""

    def __init__(self, behaviour: int) -> None:
        super().__init__()
        self.behaviour = behaviour

    def accessBehavior(self) -> int:
        return self.behaviour


def proof_that_time_passed(qtbot: QtBot) -> None:
    """A second, running poller: once it read 5 times, a running first one would have too."""
    other = FakePasteboard()
    running = MacPasteboardStrategy(other, interval_ms=10)
    running.start()
    qtbot.waitUntil(lambda: other.count_reads >= 5, timeout=3000)
    running.stop()


@pytest.mark.parametrize("behaviour", [ACCESS_ASK, ACCESS_ALWAYS_DENY], ids=["ask", "deny"])
def test_asked_or_denied_access_means_no_polling_and_a_plain_notice(qtbot: QtBot,
                                                                    behaviour: int) -> None:
    board = GuardedPasteboard(behaviour)
    notices: list[str] = []
    watcher = ClipboardWatcher(strategy=MacPasteboardStrategy(board, interval_ms=10),
                               debounce_ms=30, enabled=False)
    watcher.notice.connect(notices.append)
    watcher.popRequested.connect(lambda request: notices.append(f"popped {request.number}"))
    watcher.set_enabled(True)
    board.copy("08302390884")
    proof_that_time_passed(qtbot)
    assert (board.count_reads, board.text_reads) == (0, 0), "polled into alerts"
    assert notices == [ACCESS_BLOCKED]
    for words in ("System Settings", "Privacy & Security", "Paste from Other Apps", "Allow"):
        assert words in ACCESS_BLOCKED
    watcher.set_enabled(False)


@pytest.mark.parametrize("behaviour", [0, 2], ids=["default", "always-allow"])
def test_default_and_allowed_access_are_polled(qtbot: QtBot, behaviour: int) -> None:
    # "default" too: its one alert is what lists the app in System Settings at all.
    board = GuardedPasteboard(behaviour)
    watcher = ClipboardWatcher(strategy=MacPasteboardStrategy(board, interval_ms=10),
                               debounce_ms=30)
    notices: list[str] = []
    watcher.notice.connect(notices.append)
    with qtbot.waitSignal(watcher.popRequested, timeout=3000):
        board.copy("08302390884")
    assert notices == []
    watcher.set_enabled(False)


def test_access_turned_to_ask_while_polling_stops_before_reading(qtbot: QtBot) -> None:
    # The agent answered the first alert (macOS then says "ask"), or changed System Settings.
    board = GuardedPasteboard(0)
    watcher = ClipboardWatcher(strategy=MacPasteboardStrategy(board, interval_ms=10),
                               debounce_ms=30)
    seen: list[str] = []
    watcher.notice.connect(seen.append)
    watcher.ignored.connect(seen.append)
    qtbot.waitUntil(lambda: board.count_reads >= 2, timeout=3000)
    board.behaviour = ACCESS_ASK
    board.copy("08302390884")
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=3000)
    assert seen == [ACCESS_BLOCKED, NOT_ALLOWED]
    assert board.text_reads == 0
    reads = board.count_reads
    proof_that_time_passed(qtbot)
    assert board.count_reads == reads, "still polling"
    watcher.set_enabled(False)
