"""The X11 clipboard route for real: Xvfb, a watcher in a child process, xclip as the copier."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from app.sources.clipboard_filter import OWN_MARKER_FORMAT
from app.sources.forward import exchange
from tests.sources.processes import REPO, LineProcess, screenpop
from tests.tools.xclip import Copier

pytestmark = pytest.mark.xvfb


@pytest.fixture
def copier(x_display: str) -> Iterator[Copier]:
    copier = Copier(x_display)
    yield copier
    copier.end()


def watcher_child(display: str, mode: str) -> LineProcess:
    child = LineProcess([sys.executable, "-m", "tests.sources.clipboard_child", mode],
                        env={"DISPLAY": display, "QT_QPA_PLATFORM": "xcb"})
    assert child.expect("READY") == "xcb"
    return child


def test_a_number_copied_in_another_process_pops(x_display: str, copier: Copier) -> None:
    child = watcher_child(x_display, "whole")
    try:
        copier.copy("+91 83023 90884")
        assert child.expect("CHANGE") == ""
        assert child.expect("NUMBER") == "+918302390884"
    finally:
        child.stop()


def test_primary_selection_and_junk_do_not_pop(x_display: str, copier: Copier) -> None:
    child = watcher_child(x_display, "whole")
    try:
        # Highlighting a number (PRIMARY) must not even be noticed. xclip -o proves the
        # selection changed hands before the next copy, so X delivers that event first.
        copier.copy("08302390884", selection="primary")
        copier.wait_owned("primary", "08302390884")
        copier.copy("Meeting at 12345, room 2024-01-15")
        assert child.expect("CHANGE") == ""
        assert child.expect("IGNORED") == "not a number"
        copier.copy("9876543210")
        assert child.expect("CHANGE") == ""
        assert child.expect("NUMBER") == "+919876543210"
        assert child.seen == ["READY xcb", "CHANGE", "IGNORED not a number", "CHANGE",
                              "NUMBER +919876543210"]
    finally:
        child.stop()


def test_first_number_mode_reads_short_text(x_display: str, copier: Copier) -> None:
    child = watcher_child(x_display, "first")
    try:
        copier.copy("Customer 08302390884 asked for a callback")
        assert child.expect("CHANGE") == ""
        assert child.expect("NUMBER") == "+918302390884"
    finally:
        child.stop()


class RichCopier:
    """Another Qt app on the display, copying text with extra formats in one go."""

    def __init__(self, display: str) -> None:
        self.child = LineProcess([sys.executable, "-m", "tests.sources.clipboard_copier"],
                                 env={"DISPLAY": display, "QT_QPA_PLATFORM": "xcb"})
        self.child.expect("READY")

    def copy(self, text: str, hang: bool = False, **formats: str) -> None:
        """Copy ``text``; with ``hang`` the copier then stops answering (until ``end``)."""
        assert self.child.proc.stdin is not None
        self.child.proc.stdin.write(json.dumps({"text": text, "formats": formats,
                                                "hang": hang}) + "\n")
        self.child.proc.stdin.flush()
        self.child.expect("COPIED")

    def end(self) -> None:
        self.child.proc.kill()  # a hung copier answers no polite request to stop
        self.child.proc.wait(timeout=10)


@contextlib.contextmanager
def rich_copier(display: str) -> Iterator[RichCopier]:
    copier = RichCopier(display)
    try:
        yield copier
    finally:
        copier.end()


def test_concealed_and_marked_copies_from_another_app_are_not_read(x_display: str) -> None:
    # What KeePassXC and friends put on X11's clipboard with a password or OTP, and content
    # marked as the Screen-Pop's own, must survive the trip between processes as "keep out".
    child = watcher_child(x_display, "whole")
    try:
        with rich_copier(x_display) as copier:
            copier.copy("08302390884", **{"x-kde-passwordManagerHint": "secret"})
            assert child.expect("CHANGE") == ""
            assert child.expect("IGNORED") == "concealed"
            copier.copy("08302390884", **{OWN_MARKER_FORMAT: "1"})
            assert child.expect("CHANGE") == ""
            assert child.expect("IGNORED") == "own write"
            # The same text without a marker does pop: the markers, not the text, made the
            # difference.
            copier.copy("08302390884", **{"x-kde-passwordManagerHint": "public"})
            assert child.expect("CHANGE") == ""
            assert child.expect("NUMBER") == "+918302390884"
    finally:
        child.stop()


def windows_format(name: str) -> str:
    """A registered Windows clipboard format as Qt names it in QMimeData."""
    return f'application/x-qt-windows-mime;value="{name}"'


DWORD_0, DWORD_1 = "\0\0\0\0", "\1\0\0\0"


def test_windows_keep_out_formats_from_another_app_are_not_read(x_display: str) -> None:
    # What a Windows password manager adds to a copied password (Microsoft's clipboard
    # exclusion formats, as Qt's QMimeData carries them), copied by another Qt process and
    # read by the watcher as on any desktop: each flag alone keeps the copy out.
    child = watcher_child(x_display, "whole")
    try:
        with rich_copier(x_display) as copier:
            for flags in ({windows_format("ExcludeClipboardContentFromMonitorProcessing"): ""},
                          {windows_format("CanIncludeInClipboardHistory"): DWORD_0},
                          {windows_format("CanUploadToCloudClipboard"): DWORD_0}):
                copier.copy("08302390884", **flags)
                assert child.expect("CHANGE") == ""
                assert child.expect("IGNORED") == "concealed", flags
            # "Yes, it may be kept" (DWORD 1) is no secret: that copy pops.
            copier.copy("08302390884", **{windows_format("CanIncludeInClipboardHistory"): DWORD_1,
                                          windows_format("CanUploadToCloudClipboard"): DWORD_1})
            assert child.expect("CHANGE") == ""
            assert child.expect("NUMBER") == "+918302390884"
    finally:
        child.stop()


def test_the_apps_own_write_is_pasteable_elsewhere_but_never_pops(x_display: str) -> None:
    child = watcher_child(x_display, "whole")
    try:
        assert child.proc.stdin is not None
        child.proc.stdin.write("write +918302390884\n")
        child.proc.stdin.flush()
        # Qt reports the change while the write is still under way: either order is fine.
        assert sorted([child.next_line(), child.next_line()]) == ["CHANGE", "WROTE"]
        assert child.expect("IGNORED") == "own write"
        pasted = subprocess.run(["xclip", "-o", "-selection", "clipboard"],
                                env={"DISPLAY": x_display}, capture_output=True, text=True,
                                timeout=10, check=True)
        assert pasted.stdout == "+918302390884"
    finally:
        child.stop()


def test_a_hung_clipboard_owner_never_stalls_pops_or_state(x_display: str,
                                                           tmp_path: Path) -> None:
    # An owner that takes the CLIPBOARD and then stops answering (here: it hangs in the very
    # handler that copied) froze the loop for ~20 s while Qt waited on it. Socket pops and
    # `state` must keep answering throughout, and the read must give up after a bounded wait.
    child = LineProcess([sys.executable, "-m", "tests.sources.clipboard_child", "whole",
                         str(tmp_path)], env={"DISPLAY": x_display, "QT_QPA_PLATFORM": "xcb"})
    try:
        with rich_copier(x_display) as copier:
            assert child.expect("READY") == "xcb"
            copier.copy("08302390884", hang=True)
            assert child.expect("CHANGE") == ""
            popped = screenpop("pop", "+919876543210", "--no-start", "--profile",
                               str(tmp_path), timeout=20)
            assert popped.returncode == 0, popped.stderr
            assert child.expect("POP") == "+919876543210"
            probes = 0
            while child.lines.empty():  # until the clipboard check has given its verdict
                started = time.monotonic()
                assert exchange(tmp_path, "state", timeout=1.0)["ok"] is True
                assert time.monotonic() - started < 1.0
                probes += 1
            assert child.expect("IGNORED") == "the clipboard's owner does not answer"
            assert probes > 0
    finally:
        child.stop()


def test_quitting_does_not_wait_on_a_hung_clipboard_owner(x_display: str) -> None:
    # At quit the watcher looks whether the clipboard holds the app's own write; asking a
    # hung owner's clipboard for that froze the quit for Qt's 5 s clipboard timeout.
    child = watcher_child(x_display, "whole")
    try:
        with rich_copier(x_display) as copier:
            copier.copy("08302390884", hang=True)
            assert child.expect("CHANGE") == ""
            assert child.proc.stdin is not None
            child.proc.stdin.close()  # quit
            while not (line := child.next_line(timeout=30)).startswith("RELEASED"):
                pass  # the verdict on the copy may come first
            assert float(line.split()[1]) < 2.5  # nothing to wait for: microseconds
    finally:
        child.stop()


def test_a_huge_copied_text_is_refused_by_its_size(x_display: str, copier: Copier) -> None:
    child = watcher_child(x_display, "first")
    try:
        copier.copy("08302390884 " * 100_000)  # 1.2 MB: X11 sends it in pieces (INCR)
        assert child.expect("CHANGE") == ""
        assert child.expect("IGNORED") == "too long"
        copier.copy("Call 08302390884 " + "x" * 2000)  # one piece, but past the cap
        assert child.expect("CHANGE") == ""
        assert child.expect("IGNORED") == "too long"
    finally:
        child.stop()


def test_the_reader_asks_the_size_before_the_text(x_display: str, copier: Copier) -> None:
    from app.sources.clipboard_x11 import X11SelectionReader

    reader = X11SelectionReader(x_display, max_text_bytes=64)
    copier.copy("+91 83023 90884")
    copier.wait_owned("clipboard", "+91 83023 90884")
    assert reader.read().text == "+91 83023 90884"
    for text in ("Call 08302390884 " + "x" * 100, "08302390884 " * 100_000):  # 1.2 MB: INCR
        copier.copy(text)
        copier.wait_owned("clipboard", text)
        snapshot = reader.read()
        assert (snapshot.text, snapshot.ignore_reason) == (None, "too long")


def test_the_reader_gives_up_on_a_hung_owner_in_bounded_time(x_display: str) -> None:
    from app.sources.clipboard_x11 import UNANSWERED, X11SelectionReader

    with rich_copier(x_display) as copier:
        copier.copy("08302390884", hang=True)
        started = time.monotonic()
        assert X11SelectionReader(x_display, timeout=0.5).read().ignore_reason == UNANSWERED
        assert time.monotonic() - started < 5.0  # the deadline is 0.5 s; Qt's own wait was 5+


def test_an_owner_taking_over_during_a_read_is_not_read_under_the_old_ones_checks(
        x_display: str, copier: Copier, monkeypatch: pytest.MonkeyPatch) -> None:
    # The formats (and so the "concealed"/"own" checks) came from one owner, the text from
    # whoever owned the clipboard by then: a password manager copying a secret right after a
    # number had it read as plain text. Here it takes over exactly between the two steps.
    from app.sources import clipboard_x11

    copier.copy("08302390884")
    copier.wait_owned("clipboard", "08302390884")
    read_names = clipboard_x11._Session.atom_names
    with rich_copier(x_display) as password_manager:
        def names_then_a_new_owner(session: Any, atoms: list[int]) -> dict[str, int]:
            names = read_names(session, atoms)
            password_manager.copy("+919876543210", **{"x-kde-passwordManagerHint": "secret"})
            return names

        monkeypatch.setattr(clipboard_x11._Session, "atom_names", names_then_a_new_owner)
        snapshot = clipboard_x11.X11SelectionReader(x_display).read()
    assert (snapshot.text, snapshot.ignore_reason) == (None, clipboard_x11.CHANGED_DURING_READ)


@pytest.fixture
def hung_x_server() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A private Xvfb, stopped (SIGSTOP) once it is up: an X server that answers nothing.

    Only this test's own server is stopped, and it is always killed (SIGKILL ends a stopped
    process too), so nothing stopped outlives the test.
    """
    if shutil.which("Xvfb") is None:
        pytest.skip("needs Xvfb: apt-get install xvfb")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-nolisten", "tcp"],
                              pass_fds=(write_end,), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        os.close(write_end)
        with os.fdopen(read_end) as announced:
            number = announced.readline().strip()  # Xvfb writes it once it accepts clients
        assert number, "Xvfb did not start"
        os.kill(server.pid, signal.SIGSTOP)
        yield f":{number}", server
    finally:
        server.kill()
        server.wait(timeout=10)


def test_a_hung_x_server_costs_a_few_reads_not_the_watching(
        qtbot: QtBot, qapp: QGuiApplication,
        hung_x_server: tuple[str, subprocess.Popen[bytes]]) -> None:
    # Waits on the X server itself (connecting, atoms, properties) are not bounded by the
    # read's deadline: the read hung for good and watching the clipboard silently died. The
    # strategy now gives up on such a read, starts new ones, but never piles up more than
    # two hung threads: then it says so at once, until one of them returns.
    from app.sources.clipboard_x11 import (
        UNANSWERED,
        X_NOT_ANSWERING,
        X11ClipboardStrategy,
        X11SelectionReader,
    )

    display, server = hung_x_server
    strategy = X11ClipboardStrategy(QGuiApplication.clipboard(),
                                    reader_factory=lambda: X11SelectionReader(display, 0.2))
    verdicts: list[str | None] = []
    strategy.snapshotReady.connect(lambda snapshot: verdicts.append(snapshot.ignore_reason))
    try:
        for count in (1, 2, 3):
            strategy.request_snapshot()
            qtbot.waitUntil(lambda count=count: len(verdicts) == count, timeout=30_000)
        assert verdicts == [UNANSWERED, UNANSWERED, X_NOT_ANSWERING]
        server.kill()  # the hung reads now fail and end: reading resumes
        server.wait(timeout=10)
        while verdicts[-1] == X_NOT_ANSWERING:
            count = len(verdicts) + 1
            strategy.request_snapshot()
            qtbot.waitUntil(lambda count=count: len(verdicts) == count, timeout=30_000)
        assert verdicts[-1] == "no X display to read from"
    finally:
        strategy.stop()
        strategy.deleteLater()


@pytest.mark.parametrize(("target", "text", "encoding"), [
    ("TEXT", "+91 83023 90884", "utf-8"),  # an owner offering only TEXT (older X apps)
    ("TEXT", "Ananya Sh\u00e9n +91 83023 90884", "utf-8"),  # TEXT that is valid UTF-8
    ("TEXT", "Ren\u00e9 +91 83023 90884", "latin-1"),  # TEXT that is not: Latin-1
    ("STRING", "Ren\u00e9 +91 83023 90884", "latin-1"),  # STRING is Latin-1 by definition
])
def test_owners_offering_only_older_text_targets_are_read(
        x_display: str, copier: Copier, target: str, text: str, encoding: str) -> None:
    from app.sources.clipboard_x11 import X11SelectionReader

    copier.copy(text, target=target, encoding=encoding)
    copier.wait_until_offered(target)
    assert X11SelectionReader(x_display).read().text == text


WITHOUT_LIBXCB = """
from PySide6.QtGui import QGuiApplication
app = QGuiApplication(["screenpop"])
from app.sources import clipboard_x11
def missing():
    raise OSError("libxcb.so.1: cannot open shared object file")
clipboard_x11._load_xcb = missing  # as on a system where Python's ctypes cannot find libxcb
from app.sources.clipboard import default_strategy
print(QGuiApplication.platformName(), type(default_strategy()).__name__)
"""


def test_without_libxcb_the_clipboard_is_read_through_qt(x_display: str) -> None:
    result = subprocess.run([sys.executable, "-c", WITHOUT_LIBXCB], cwd=REPO,
                            env={**os.environ, "DISPLAY": x_display, "QT_QPA_PLATFORM": "xcb"},
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["xcb", "QtClipboardStrategy"]
    assert "libxcb unavailable" in result.stderr
