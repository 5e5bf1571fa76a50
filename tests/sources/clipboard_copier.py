"""Another X11 app copying rich clipboard content, as a password manager does (for tests).

Usage: DISPLAY=:N python -m tests.sources.clipboard_copier
Each stdin line is a JSON object ``{"text": "...", "formats": {"mime/type": "value"}}``: the
copier puts that text plus those extra formats on the CLIPBOARD (all at once, as KeePassXC
adds ``x-kde-passwordManagerHint: secret`` to a copied password), serves it, and prints
``COPIED``. With ``"hang": true`` it then stops answering for good, in the same handler, as a
hung app does: it never serves what it took (end it with SIGKILL). Ends when stdin closes.
"""

from __future__ import annotations

import json
import os
import sys
import threading

os.environ["QT_QPA_PLATFORM"] = "xcb"

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QClipboard, QGuiApplication

from tests.sources.stdin_lines import read_stdin_lines


def main() -> int:
    app = QGuiApplication([sys.argv[0]])
    clipboard = QGuiApplication.clipboard()
    def copy(line: bytes) -> None:
        request = json.loads(line)
        mime = QMimeData()
        mime.setText(request["text"])
        for name, value in request.get("formats", {}).items():
            mime.setData(name, value.encode())
        clipboard.setMimeData(mime, QClipboard.Mode.Clipboard)
        print("COPIED", flush=True)
        if request.get("hang"):
            threading.Event().wait()  # owns the CLIPBOARD, answers nobody, until killed

    stdin_lines = read_stdin_lines(app, copy)  # noqa: F841 (kept alive while the app runs)
    print("READY", flush=True)
    code = int(app.exec())
    clipboard.clear()  # a Python-made QMimeData must not outlive Python (crash at exit)
    return code


if __name__ == "__main__":
    sys.exit(main())
