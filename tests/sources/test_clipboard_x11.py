"""The X11 clipboard route for real: Xvfb, a watcher in a child process, xclip as the copier."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from tests.sources.processes import LineProcess

pytestmark = pytest.mark.xvfb


class Copier:
    """Runs ``xclip`` as the selection owner, the way an app holds what it copied.

    xclip stays in the foreground (``-quiet``) serving the selection until another client
    takes it over or we end it by its pid.
    """

    def __init__(self, display: str) -> None:
        self.display = display
        self.owners: list[subprocess.Popen[bytes]] = []

    def copy(self, text: str, selection: str = "clipboard") -> None:
        owner = subprocess.Popen(
            ["xclip", "-quiet", "-selection", selection, "-i"],
            env={"DISPLAY": self.display, "PATH": "/usr/bin:/bin"},
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        assert owner.stdin is not None
        owner.stdin.write(text.encode())
        owner.stdin.close()
        self.owners.append(owner)

    def wait_owned(self, selection: str, text: str, timeout: float = 10.0) -> None:
        """Wait until the copier serves ``text`` on ``selection`` (xclip -o asks the owner)."""
        deadline = time.monotonic() + timeout
        while subprocess.run(
            ["xclip", "-o", "-selection", selection], env={"DISPLAY": self.display},
            capture_output=True, text=True, timeout=10, check=False,
        ).stdout != text:
            assert time.monotonic() < deadline, f"{selection} never held {text!r}"

    def end(self) -> None:
        for owner in self.owners:
            if owner.poll() is None:
                owner.terminate()
            owner.wait(timeout=10)


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
