"""For child Qt processes in tests: take commands from stdin, one line at a time, on the Qt loop."""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QSocketNotifier


def read_stdin_lines(app: QCoreApplication, on_line: Callable[[bytes], None]) -> QSocketNotifier:
    """Call ``on_line`` for every complete stdin line; quit ``app`` when stdin closes.

    Keep the returned notifier referenced for as long as lines should be read.
    """
    pending = bytearray()

    def on_readable(*_: object) -> None:
        data = os.read(0, 65536)
        if not data:
            app.quit()
            return
        pending.extend(data)
        while b"\n" in pending:
            line, _, rest = bytes(pending).partition(b"\n")
            pending[:] = rest
            on_line(line)

    notifier = QSocketNotifier(0, QSocketNotifier.Type.Read, app)
    notifier.activated.connect(on_readable)
    return notifier
