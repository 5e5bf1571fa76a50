"""A real X11 clipboard client for tests: the watcher on the xcb platform, verdicts on stdout.

Usage: DISPLAY=:N python -m tests.sources.clipboard_child [whole|first] [PROFILE_DIR]
Prints ``READY``, then per clipboard change ``CHANGE``, and per settled check ``NUMBER <e164>``
or ``IGNORED <reason>``. With PROFILE_DIR it also serves the local socket on the same loop, as
the app does (``POP <e164>`` per pop), so tests can tell whether a clipboard read stalls it.
A stdin line ``write TEXT`` makes the watcher put TEXT on the clipboard as the app's own
write (then ``WROTE``). Ends when stdin closes, saying ``RELEASED <seconds>``: how long the
watcher's release at quit took.
"""

from __future__ import annotations

import os
import sys
import time

os.environ["QT_QPA_PLATFORM"] = "xcb"  # before Qt loads: this child exists to be on X11

from PySide6.QtGui import QGuiApplication

from app.sources.clipboard import ClipboardWatcher, default_strategy
from app.sources.clipboard_filter import WatchMode
from tests.sources.stdin_lines import read_stdin_lines


def say(*parts: str) -> None:
    print(*parts, flush=True)


def main() -> int:
    app = QGuiApplication([sys.argv[0]])
    mode = WatchMode(sys.argv[1]) if len(sys.argv) > 1 else WatchMode.WHOLE_TEXT
    clipboard = QGuiApplication.clipboard()
    # The strategy the app picks on X11, so these tests cover the route agents get.
    watcher = ClipboardWatcher(clipboard, mode, strategy=default_strategy(clipboard))
    if len(sys.argv) > 2:
        from pathlib import Path

        from app.sources.local_server import LocalSocketServer

        server = LocalSocketServer(Path(sys.argv[2]), lambda: {"status": "idle"}, parent=app)
        server.popRequested.connect(lambda request: say("POP", request.number))
        if not server.start():
            say("FAILED", server.errorString())
            return 4
    watcher.strategy.changed.connect(lambda: say("CHANGE"))
    watcher.popRequested.connect(lambda request: say("NUMBER", request.number))
    watcher.ignored.connect(lambda reason: say("IGNORED", reason))
    def command(line: bytes) -> None:
        verb, _, text = line.decode().partition(" ")
        if verb == "write":
            watcher.write_text(text)
            say("WROTE")

    stdin_lines = read_stdin_lines(app, command)  # noqa: F841 (kept alive while the app runs)
    say("READY", QGuiApplication.platformName())
    code = int(app.exec())
    started = time.monotonic()
    watcher.release()  # as the app's shutdown does: no Python-made QMimeData left behind
    say("RELEASED", f"{time.monotonic() - started:.3f}")
    return code


if __name__ == "__main__":
    sys.exit(main())
