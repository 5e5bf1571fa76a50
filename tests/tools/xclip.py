"""xclip as another application copying to the X clipboard, for tests on Xvfb."""

from __future__ import annotations

import subprocess
import time


class Copier:
    """Runs ``xclip`` as the selection owner, the way an app holds what it copied.

    xclip stays in the foreground (``-quiet``) serving the selection until another client
    takes it over or we end it by its pid.
    """

    def __init__(self, display: str) -> None:
        self.display = display
        self.owners: list[subprocess.Popen[bytes]] = []

    def copy(self, text: str, selection: str = "clipboard", target: str | None = None,
             encoding: str = "utf-8") -> None:
        """Serve ``text`` (as ``encoding``), offered as ``target`` if given (xclip -t)."""
        owner = subprocess.Popen(
            ["xclip", "-quiet", "-selection", selection, "-i",
             *(["-t", target] if target else [])],
            env={"DISPLAY": self.display, "PATH": "/usr/bin:/bin"},
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        assert owner.stdin is not None
        owner.stdin.write(text.encode(encoding))
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

    def wait_until_offered(self, target: str, selection: str = "clipboard",
                           timeout: float = 10.0) -> None:
        """Wait until the selection's owner lists ``target`` among its TARGETS."""
        deadline = time.monotonic() + timeout
        while target not in subprocess.run(
            ["xclip", "-o", "-selection", selection, "-t", "TARGETS"],
            env={"DISPLAY": self.display}, capture_output=True, text=True, timeout=10,
            check=False,
        ).stdout.split():
            assert time.monotonic() < deadline, f"{selection} never offered {target}"

    def end(self) -> None:
        for owner in self.owners:
            if owner.poll() is None:
                owner.terminate()
            owner.wait(timeout=10)
