"""The clipboard watcher's decisions, in-process on Qt's offscreen clipboard.

The real X11 route (another process changes the clipboard) is in test_clipboard_x11.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QMimeData, QTimer
from PySide6.QtGui import QClipboard, QGuiApplication
from pytestqt.qtbot import QtBot

from app.core.pop_request import PopRequest
from app.sources.clipboard import (
    ClipboardSnapshot,
    ClipboardStrategy,
    ClipboardWatcher,
    QtClipboardStrategy,
    background_note,
)
from app.sources.clipboard_filter import OWN_MARKER_FORMAT, WatchMode, is_concealed, number_in_text
from app.sources.clipboard_x11 import X11ClipboardStrategy

E164 = "+918302390884"


@pytest.fixture
def clipboard(qapp: QGuiApplication) -> Iterator[QClipboard]:
    board = QGuiApplication.clipboard()
    board.clear()
    yield board
    # The tests put Python-made QMimeData on the clipboard; left there, Qt destroys it in its
    # exit handlers after Python has finalised, and the process segfaults on exit.
    board.clear()


@pytest.fixture
def watcher(clipboard: QClipboard) -> Iterator[ClipboardWatcher]:
    watcher = ClipboardWatcher(clipboard, WatchMode.WHOLE_TEXT, debounce_ms=40,
                               strategy=QtClipboardStrategy(clipboard))
    yield watcher
    watcher.set_enabled(False)
    watcher.deleteLater()


def copy(clipboard: QClipboard, text: str) -> None:
    mime = QMimeData()
    mime.setText(text)
    clipboard.setMimeData(mime, QClipboard.Mode.Clipboard)


def verdict(qtbot: QtBot, watcher: ClipboardWatcher,
            trigger: Callable[[], object]) -> tuple[str, str]:
    """Run ``trigger``; the watcher's first verdict: ("number", e164) or ("ignored", why)."""
    results: list[tuple[str, str]] = []

    def on_number(request: PopRequest) -> None:
        assert request.source == "clipboard"
        results.append(("number", request.number))

    def on_ignored(reason: str) -> None:
        results.append(("ignored", reason))

    watcher.popRequested.connect(on_number)
    watcher.ignored.connect(on_ignored)
    try:
        trigger()
        qtbot.waitUntil(lambda: bool(results), timeout=3000)
    finally:
        watcher.popRequested.disconnect(on_number)
        watcher.ignored.disconnect(on_ignored)
    return results[0]


def test_a_copied_number_pops_once_after_settling(qtbot: QtBot, watcher: ClipboardWatcher,
                                                  clipboard: QClipboard) -> None:
    with qtbot.waitSignal(watcher.popRequested, timeout=3000) as blocker:
        copy(clipboard, "08302390884")
    assert blocker.args == [PopRequest(E164, source="clipboard")]


def test_rapid_changes_are_debounced_to_the_last(qtbot: QtBot, watcher: ClipboardWatcher,
                                                 clipboard: QClipboard) -> None:
    seen: list[str] = []
    watcher.popRequested.connect(lambda request: seen.append(request.number))
    with qtbot.waitSignal(watcher.popRequested, timeout=3000):
        copy(clipboard, "9876543210")
        copy(clipboard, "hello")
        copy(clipboard, "+91 83023 90884")
    assert seen == [E164]


@pytest.mark.parametrize(("text", "extra", "reason"), [
    ("12345", {}, "not a number"),
    ("call 08302390884 please", {}, "not a number"),
    ("0" * 65, {}, "too long"),
    ("", {}, "no text"),
    ("08302390884", {"x-kde-passwordManagerHint": b"secret"}, "concealed"),
    ("08302390884",
     {'application/x-qt-windows-mime;value="ExcludeClipboardContentFromMonitorProcessing"': b""},
     "concealed"),
    ("08302390884",
     {'application/x-qt-windows-mime;value="CanIncludeInClipboardHistory"': b"\0\0\0\0"},
     "concealed"),
    ("08302390884",
     {'application/x-qt-windows-mime;value="CanUploadToCloudClipboard"': b"\0\0\0\0"},
     "concealed"),
])
def test_what_never_pops(qtbot: QtBot, watcher: ClipboardWatcher, clipboard: QClipboard,
                         text: str, extra: dict[str, bytes], reason: str) -> None:
    def trigger() -> None:
        mime = QMimeData()
        mime.setText(text)
        for name, data in extra.items():
            mime.setData(name, data)
        clipboard.setMimeData(mime, QClipboard.Mode.Clipboard)

    assert verdict(qtbot, watcher, trigger) == ("ignored", reason)


def test_the_apps_own_writes_never_pop(qtbot: QtBot, watcher: ClipboardWatcher,
                                       clipboard: QClipboard) -> None:
    assert verdict(qtbot, watcher, lambda: watcher.write_text("+918302390884")) == (
        "ignored", "own write")
    # Marked by text only (written by other code): the next change with that text is skipped...
    watcher.mark_own_write("08302390884")
    assert verdict(qtbot, watcher, lambda: clipboard.setText("08302390884")) == (
        "ignored", "own write")
    # ...but only once: the agent copying the same number later does pop.
    assert verdict(qtbot, watcher, lambda: copy(clipboard, "08302390884")) == ("number", E164)


def test_first_number_mode_finds_a_number_in_short_text(qtbot: QtBot, watcher: ClipboardWatcher,
                                                        clipboard: QClipboard) -> None:
    watcher.set_mode(WatchMode.FIRST_NUMBER)
    assert verdict(qtbot, watcher, lambda: copy(clipboard, "Caller: 08302390884 (VIP)")) == (
        "number", E164)
    long_text = "Caller: 08302390884 " + "notes " * 60
    assert verdict(qtbot, watcher, lambda: copy(clipboard, long_text)) == ("ignored", "too long")


class CountingStrategy(QtClipboardStrategy):
    """The Qt route, counting every read of the clipboard's content."""

    def __init__(self, clipboard: QClipboard) -> None:
        super().__init__(clipboard)
        self.reads = 0

    def snapshot(self) -> ClipboardSnapshot:
        self.reads += 1
        return super().snapshot()


def test_switched_off_it_reads_nothing(qtbot: QtBot, clipboard: QClipboard) -> None:
    # A witness watcher, switched on, proves each copy was delivered to this process; the
    # switched-off one must not even read the clipboard (it may hold a password), let alone pop.
    strategy = CountingStrategy(clipboard)
    off = ClipboardWatcher(clipboard, debounce_ms=0, strategy=strategy, enabled=False)
    witness = ClipboardWatcher(clipboard, debounce_ms=0, strategy=QtClipboardStrategy(clipboard))
    popped: list[str] = []
    off.popRequested.connect(lambda request: popped.append(request.number))
    off.ignored.connect(popped.append)
    try:
        for text, seen_by_witness in (("08302390884", witness.popRequested),
                                      ("not a number", witness.ignored),
                                      ("+919876543210", witness.popRequested)):
            with qtbot.waitSignal(seen_by_witness, timeout=3000):
                copy(clipboard, text)
        assert (strategy.reads, popped) == (0, [])
        # Switched on, the same watcher does read and pop: the zero above was not luck.
        off.set_enabled(True)
        with qtbot.waitSignal(off.popRequested, timeout=3000) as blocker:
            copy(clipboard, "08302390884")
        assert blocker.args[0].number == E164
        assert strategy.reads == 1
    finally:
        for each in (off, witness):
            each.set_enabled(False)
            each.deleteLater()


def test_a_copy_still_settling_when_switched_off_is_never_read(qtbot: QtBot,
                                                              clipboard: QClipboard) -> None:
    # The agent copies, then switches clipboard pops off within the ~300 ms settle time:
    # that copy must not be read when the timer would have fired.
    strategy = CountingStrategy(clipboard)
    watcher = ClipboardWatcher(clipboard, debounce_ms=150, strategy=strategy)
    # The witness settles later than the watcher would have: once it has spoken, the
    # watcher's timer, had it been left running, would have fired already.
    witness = ClipboardWatcher(clipboard, debounce_ms=400, strategy=QtClipboardStrategy(clipboard))
    try:
        with qtbot.waitSignal(witness.popRequested, timeout=3000):
            copy(clipboard, "08302390884")
            watcher.set_enabled(False)
        assert strategy.reads == 0
    finally:
        for each in (watcher, witness):
            each.set_enabled(False)
            each.deleteLater()


class LateStrategy(ClipboardStrategy):
    """A change notice that arrives after stop() (a poll already under way, a queued signal)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def snapshot(self) -> ClipboardSnapshot:
        self.reads += 1
        return ClipboardSnapshot("08302390884")


def test_a_change_notice_arriving_after_switch_off_reads_nothing(qtbot: QtBot) -> None:
    strategy = LateStrategy()
    watcher = ClipboardWatcher(debounce_ms=0, strategy=strategy, enabled=True)
    with qtbot.waitSignal(watcher.popRequested, timeout=3000):
        strategy.changed.emit()  # on: read and popped
    watcher.set_enabled(False)
    events: list[object] = []
    watcher.popRequested.connect(events.append)
    watcher.ignored.connect(events.append)
    strategy.changed.emit()
    # A 0 ms settle timer would have fired before two later 0 ms timers have: wait for those.
    turns: list[int] = []
    QTimer.singleShot(0, lambda: QTimer.singleShot(0, lambda: turns.append(1)))
    qtbot.waitUntil(lambda: bool(turns), timeout=3000)
    assert (strategy.reads, events) == (1, [])
    watcher.deleteLater()


class RecordingStrategy(LateStrategy):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def start(self) -> None:
        self.calls.append("start")

    def stop(self) -> None:
        self.calls.append("stop")


def test_switched_off_it_stops_listening_altogether() -> None:
    # Off means not even watching (on macOS: no polling of the pasteboard, which the OS may
    # report to the user); the check on each notice is only the second line of defence.
    strategy = RecordingStrategy()
    watcher = ClipboardWatcher(strategy=strategy, enabled=False)
    assert strategy.calls == []  # made switched off: never started
    watcher.set_enabled(True)
    watcher.set_enabled(False)
    assert strategy.calls == ["start", "stop"]
    watcher.deleteLater()


def test_the_region_setting_applies(qtbot: QtBot, watcher: ClipboardWatcher,
                                    clipboard: QClipboard) -> None:
    watcher.set_default_region("GB")
    assert verdict(qtbot, watcher, lambda: copy(clipboard, "020 7219 3000")) == (
        "number", "+442072193000")


def test_concealed_markers() -> None:
    data = {"x-kde-passwordManagerHint": b"secret"}
    assert is_concealed(data, data.__getitem__)
    data = {"x-kde-passwordManagerHint": b"public"}
    assert not is_concealed(data, data.__getitem__)
    for flag in ("CanIncludeInClipboardHistory", "CanUploadToCloudClipboard"):
        name = f'application/x-qt-windows-mime;value="{flag}"'
        assert not is_concealed({name: b"\1\0\0\0"}, {name: b"\1\0\0\0"}.__getitem__)
        # A flag that says nothing readable is not taken for a "yes".
        assert is_concealed([name], lambda _n: b"")
        assert is_concealed([name], lambda _n: b"\0\0\0\0\x7f")  # padded by GlobalAlloc
    for name in ("org.nspasteboard.ConcealedType", "org.nspasteboard.TransientType",
                 'application/x-qt-windows-mime;value="Clipboard Viewer Ignore"'):
        assert is_concealed([name], lambda _n: b"")
    assert not is_concealed(["text/plain", "text/html"], lambda _n: b"")


def test_number_in_text_caps() -> None:
    assert number_in_text("08302390884", WatchMode.WHOLE_TEXT, "IN") == E164
    assert number_in_text(" " * 60 + "08302390884", WatchMode.WHOLE_TEXT, "IN") is None
    assert number_in_text("x " * 100 + "08302390884", WatchMode.FIRST_NUMBER, "IN") == E164


def test_wayland_note() -> None:
    assert background_note("wayland")
    assert background_note("wayland-egl")
    assert background_note("xcb") is None
    assert background_note("windows") is None


def test_release_leaves_the_own_write_as_plain_text(qtbot: QtBot, watcher: ClipboardWatcher,
                                                    clipboard: QClipboard) -> None:
    watcher.write_text("+918302390884")
    watcher.release()
    mime = clipboard.mimeData(QClipboard.Mode.Clipboard)
    assert mime.text() == "+918302390884"
    assert not mime.hasFormat(OWN_MARKER_FORMAT)
    assert not watcher.is_enabled()


EXIT_AFTER_OWN_WRITE = """
from PySide6.QtWidgets import QApplication
from app.sources.clipboard import ClipboardWatcher
app = QApplication([])
watcher = ClipboardWatcher()
watcher.write_text("+918302390884")
watcher.release()  # as the app's shutdown does
"""


def test_a_process_that_wrote_the_clipboard_exits_cleanly() -> None:
    # Without release() this child segfaults in Qt's exit handlers (exit status -11).
    result = subprocess.run([sys.executable, "-c", EXIT_AFTER_OWN_WRITE],
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]


class GatedReader:
    """Stands in for the X11 reader in its worker thread: answers once the test opens it."""

    timeout = 30.0  # far longer than any test waits: only the test's gate ends a read

    def __init__(self, text: str) -> None:
        self.text = text
        self.gate = threading.Event()

    def read(self) -> ClipboardSnapshot:
        self.gate.wait(30)
        return ClipboardSnapshot(self.text)


@pytest.fixture
def gated(clipboard: QClipboard) -> Iterator[tuple[X11ClipboardStrategy, list[GatedReader],
                                                   list[str | None]]]:
    readers: list[GatedReader] = []

    def new_reader() -> GatedReader:
        readers.append(GatedReader(f"reader {len(readers)}"))
        return readers[-1]

    strategy = X11ClipboardStrategy(clipboard, reader_factory=new_reader)  # type: ignore[arg-type]
    snapshots: list[str | None] = []
    strategy.snapshotReady.connect(lambda snapshot: snapshots.append(snapshot.text))
    strategy.start()
    yield strategy, readers, snapshots
    for reader in readers:
        reader.gate.set()
    strategy.stop()
    strategy.deleteLater()


def test_a_read_overtaken_by_a_change_is_never_reported(
        qtbot: QtBot, gated: tuple[X11ClipboardStrategy, list[GatedReader], list[str | None]],
) -> None:
    # The clipboard changed while it was being read: what was read may mix two owners'
    # content. It is dropped at once, not reported first (the change's own read follows).
    strategy, readers, snapshots = gated
    strategy.request_snapshot()
    strategy.changed.emit()  # the clipboard changes; the watcher asks again after settling
    readers[0].gate.set()
    qtbot.waitUntil(lambda: not strategy.reading, timeout=10_000)
    strategy.request_snapshot()
    readers[1].gate.set()
    qtbot.waitUntil(lambda: bool(snapshots), timeout=10_000)
    assert snapshots == ["reader 1"]


def test_a_read_under_way_when_stopped_is_never_reported(
        qtbot: QtBot, gated: tuple[X11ClipboardStrategy, list[GatedReader], list[str | None]],
) -> None:
    # Switched off and on again while a read was under way: the latest read wins.
    strategy, readers, snapshots = gated
    strategy.request_snapshot()
    strategy.stop()
    assert not strategy.reading
    strategy.start()
    strategy.request_snapshot()
    readers[-1].gate.set()
    qtbot.waitUntil(lambda: bool(snapshots), timeout=10_000)
    readers[0].gate.set()
    assert readers[-1] is not readers[0]
    assert snapshots == ["reader 1"]
