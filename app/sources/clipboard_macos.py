"""macOS: poll ``NSPasteboard.changeCount`` (Qt reports changes only when the app is active).

The count is a cheap integer read; the text is read only when it changed (and the watcher's
debounce has settled), so polling every 250 ms costs next to nothing. AppKit is imported only
when no pasteboard is given, i.e. only on macOS; tests pass a fake pasteboard.

macOS 15.4+ may guard the pasteboard (``NSPasteboard.accessBehavior``): set to "ask" or
"always deny" for this app, each read raises an alert or is refused, so the poller does not
start (or stops) and says what to allow instead of polling into alerts. The first alert of
the "default" behaviour is let through: answering it is what lists the app in System Settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from PySide6.QtCore import QObject, QTimer

from app.sources.clipboard import ClipboardSnapshot, ClipboardStrategy
from app.sources.clipboard_filter import is_concealed, is_own_write

POLL_MS = 250
STRING_TYPE = "public.utf8-plain-text"  # NSPasteboardTypeString
# NSPasteboardAccessBehavior: 0 default, 1 ask, 2 always allow, 3 always deny.
ACCESS_ASK, ACCESS_ALWAYS_DENY = 1, 3
NOT_ALLOWED = "clipboard access not allowed"
ACCESS_BLOCKED = ("macOS asks before Screen-Pop may read the clipboard (or refuses it), so copied "
                  "numbers do not pop. To allow it: System Settings → Privacy & Security → "
                  "Paste from Other Apps → set Screen-Pop to Allow, then turn \"Pop numbers "
                  "copied to the clipboard\" off and on in Settings.")


class Pasteboard(Protocol):
    """The part of NSPasteboard we use (PyObjC method names)."""

    def changeCount(self) -> int: ...
    def types(self) -> Sequence[str] | None: ...
    def stringForType_(self, data_type: str) -> str | None: ...
    def dataForType_(self, data_type: str) -> bytes | None: ...
    # accessBehavior() exists from macOS 15.4 only: read with getattr.


def access_allowed(pasteboard: Pasteboard) -> bool:
    """False when macOS asks or refuses before this app reads the pasteboard (15.4+)."""
    behaviour = getattr(pasteboard, "accessBehavior", None)
    if behaviour is None:
        return True  # before macOS 15.4 nothing guards the pasteboard
    return int(behaviour()) not in (ACCESS_ASK, ACCESS_ALWAYS_DENY)


class MacPasteboardStrategy(ClipboardStrategy):
    def __init__(self, pasteboard: Pasteboard | None = None, interval_ms: int = POLL_MS,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        if pasteboard is None:
            from AppKit import NSPasteboard

            pasteboard = NSPasteboard.generalPasteboard()
        self._pasteboard: Pasteboard = pasteboard
        self._last_count = -1
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._poll)

    def start(self) -> None:
        if not access_allowed(self._pasteboard):
            self.notice.emit(ACCESS_BLOCKED)
            return
        # What is on the pasteboard already was copied before we watched: not a new call.
        self._last_count = int(self._pasteboard.changeCount())
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _poll(self) -> None:
        count = int(self._pasteboard.changeCount())
        if count != self._last_count:
            self._last_count = count
            self.changed.emit()

    def snapshot(self) -> ClipboardSnapshot:
        if not access_allowed(self._pasteboard):
            # Changed while polling: the agent answered the first alert, or System Settings.
            self.stop()
            self.notice.emit(ACCESS_BLOCKED)
            return ClipboardSnapshot(None, ignore_reason=NOT_ALLOWED)
        types = [str(name) for name in (self._pasteboard.types() or ())]
        if is_own_write(types):
            return ClipboardSnapshot(None, own=True)
        if is_concealed(types, lambda name: bytes(self._pasteboard.dataForType_(name) or b"")):
            return ClipboardSnapshot(None, concealed=True)
        text = self._pasteboard.stringForType_(STRING_TYPE)
        return ClipboardSnapshot(str(text) if text is not None else None)
