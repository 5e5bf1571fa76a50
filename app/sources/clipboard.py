"""The clipboard watcher: emits ``popRequested(PopRequest)`` when the agent copies a number.

Where a change is noticed differs per platform (a *strategy*); what happens next does not:
wait ~300 ms for the copying to settle (a single-shot QTimer, restarted by each change), read
the text once, skip our own writes and concealed content, and emit only valid numbers.

* Windows, X11: Qt's ``QClipboard.dataChanged``, which fires in the background. Only the
  CLIPBOARD selection is watched: X11's PRIMARY changes with every text the agent highlights.
  On X11 the content is then read off the loop, with a deadline (clipboard_x11.py): another
  app owns it there, and a hung owner must not stall pops.
* macOS: Qt only notices changes when the app is activated, so a poller watches
  ``NSPasteboard.changeCount`` (clipboard_macos.py).
* Wayland: compositors show the clipboard only to the focused window; ``background_note()``
  gives the UI a sentence to say so.

Known limit: only X11 reads off the loop with a deadline. On Windows an owner using delayed
rendering is asked for its data inside ``mimeData()`` on the GUI thread, so a hung owner can
still stall the loop there (up to Qt's and Windows' own timeouts), as it can on macOS when a
promised pasteboard type is resolved; issue 13 covers those desktops.
"""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QMimeData, QObject, QTimer, Signal
from PySide6.QtGui import QClipboard, QGuiApplication

from app.core.phone import DEFAULT_REGION
from app.core.pop_request import PopRequest
from app.sources.clipboard_filter import (
    OWN_MARKER_FORMAT,
    WatchMode,
    is_concealed,
    is_own_write,
    number_in_text,
)

log = logging.getLogger(__name__)

DEBOUNCE_MS = 300
# Platforms whose clipboard Qt keeps inside the process: nothing to wait on, and they never
# claim to own it (ownsClipboard() is always False there).
IN_PROCESS_CLIPBOARDS = frozenset({"offscreen", "minimal"})
SOURCE = "clipboard"

WAYLAND_NOTE = ("On Wayland the desktop shows the clipboard only to the window in focus, so "
                "copied numbers pop only while Screen-Pop is focused. Use your softphone's "
                "\"run a program\" hook or tel: links for background pops.")


class ClipboardSnapshot:
    """What a strategy read from the clipboard at one moment; ``ignore_reason`` when the
    strategy itself already knows the content must be skipped (e.g. too long to fetch)."""

    __slots__ = ("concealed", "ignore_reason", "own", "text")

    def __init__(self, text: str | None, *, concealed: bool = False, own: bool = False,
                 ignore_reason: str | None = None) -> None:
        self.text = text
        self.concealed = concealed
        self.own = own
        self.ignore_reason = ignore_reason


class ClipboardStrategy(QObject):
    """Notices clipboard changes (``changed``) and reads the clipboard on demand:
    ``request_snapshot()`` is answered with ``snapshotReady(ClipboardSnapshot)``, at once by
    default, later by a strategy that reads off the loop (X11)."""

    changed = Signal()
    snapshotReady = Signal(object)
    # What the OS does not let it do, in words for the agent (macOS' pasteboard privacy).
    notice = Signal(str)

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def snapshot(self) -> ClipboardSnapshot:
        raise NotImplementedError

    def request_snapshot(self) -> None:
        self.snapshotReady.emit(self.snapshot())


class QtClipboardStrategy(ClipboardStrategy):
    """``QClipboard.dataChanged``: the CLIPBOARD selection only, never X11's PRIMARY."""

    def __init__(self, clipboard: QClipboard, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._clipboard = clipboard
        self._connected = False

    def start(self) -> None:
        if not self._connected:
            self._clipboard.dataChanged.connect(self.changed)
            self._connected = True

    def stop(self) -> None:
        if self._connected:
            self._clipboard.dataChanged.disconnect(self.changed)
            self._connected = False

    def snapshot(self) -> ClipboardSnapshot:
        mime = self._clipboard.mimeData(QClipboard.Mode.Clipboard)
        if mime is None:
            return ClipboardSnapshot(None)
        formats = [str(name) for name in mime.formats()]
        if is_own_write(formats):
            return ClipboardSnapshot(None, own=True)
        if is_concealed(formats, lambda name: bytes(mime.data(name).data())):
            return ClipboardSnapshot(None, concealed=True)
        return ClipboardSnapshot(mime.text() if mime.hasText() else None)


def default_strategy(clipboard: QClipboard | None = None) -> ClipboardStrategy:
    if sys.platform == "darwin":
        try:
            from app.sources.clipboard_macos import MacPasteboardStrategy

            return MacPasteboardStrategy()
        except ImportError as exc:  # pyobjc missing from a broken install: degrade, not crash
            log.warning("clipboard: AppKit unavailable (%s); copied numbers pop only while "
                        "Screen-Pop is the active app", exc)
    clipboard = clipboard or QGuiApplication.clipboard()
    if QGuiApplication.platformName() == "xcb":
        from app.sources import clipboard_x11

        if clipboard_x11.available():
            return clipboard_x11.X11ClipboardStrategy(clipboard)
        log.warning("clipboard: libxcb unavailable; reading the clipboard through Qt, which "
                    "a hung clipboard owner can stall")
    return QtClipboardStrategy(clipboard)


def background_note(platform_name: str | None = None) -> str | None:
    """A sentence for the UI when clipboard pops cannot work in the background, else None."""
    name = platform_name if platform_name is not None else QGuiApplication.platformName()
    return WAYLAND_NOTE if name.lower().startswith("wayland") else None


def own_mime_data(text: str) -> QMimeData:
    """Clipboard content the app writes (e.g. "copy number"): marked so it never pops."""
    mime = QMimeData()
    mime.setText(text)
    mime.setData(OWN_MARKER_FORMAT, b"1")
    return mime


class ClipboardWatcher(QObject):
    """Watches the clipboard; ``popRequested(PopRequest)`` for each copied valid number, with
    ``source`` "clipboard", like the app's other sources of numbers.

    ``ignored(reason)`` reports every change it looked at and dropped (for logs and tests).
    ``notice(text)`` says, when the watcher is switched on, what the desktop does not allow
    (Wayland shows the clipboard only to the focused window; macOS asks before each read).
    """

    popRequested = Signal(object)
    ignored = Signal(str)
    notice = Signal(str)

    def __init__(self, clipboard: QClipboard | None = None,
                 mode: WatchMode | str = WatchMode.WHOLE_TEXT, *,
                 default_region: str = DEFAULT_REGION, debounce_ms: int = DEBOUNCE_MS,
                 strategy: ClipboardStrategy | None = None, enabled: bool = True,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.strategy = strategy or default_strategy(clipboard)
        self.strategy.setParent(self)
        self.mode = WatchMode(mode)
        self.default_region = default_region
        self._clipboard = clipboard
        self._own_text: str | None = None
        self._enabled = False
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(debounce_ms)
        self._settle.timeout.connect(self._check)
        self.strategy.changed.connect(self._on_changed)
        self.strategy.snapshotReady.connect(self._on_snapshot)
        self.strategy.notice.connect(self.notice)
        self.set_enabled(enabled)

    def set_enabled(self, enabled: bool) -> None:
        if enabled == self._enabled:
            return
        self._enabled = enabled
        if enabled:
            self.strategy.start()
            note = background_note()
            if note:
                self.notice.emit(note)
        else:
            self.strategy.stop()
            self._settle.stop()

    def is_enabled(self) -> bool:
        return self._enabled

    def set_mode(self, mode: WatchMode | str) -> None:
        self.mode = WatchMode(mode)

    def set_default_region(self, region: str) -> None:
        self.default_region = region

    def mark_own_write(self, text: str) -> None:
        """The app is about to put ``text`` on the clipboard itself: do not pop it."""
        self._own_text = text

    def write_text(self, text: str) -> None:
        """Put ``text`` on the clipboard as the app's own (marked) write."""
        self.mark_own_write(text)
        clipboard = self._clipboard or QGuiApplication.clipboard()
        clipboard.setMimeData(own_mime_data(text), QClipboard.Mode.Clipboard)

    def release(self) -> None:
        """Stop watching; if the clipboard holds the app's own write, re-put it as plain text.

        A QMimeData made from Python has a Python wrapper; the clipboard would destroy it in
        Qt's exit handlers, after Python has finalised, and crash the exit. Plain ``setText``
        leaves the same text (Qt-owned) for the user to paste after the app has quit.
        """
        self.set_enabled(False)
        clipboard = self._clipboard or QGuiApplication.clipboard()
        if not clipboard.ownsClipboard() \
                and QGuiApplication.platformName() not in IN_PROCESS_CLIPBOARDS:
            # Another app's content is none of ours, and asking for it (mimeData) waits on
            # that app on the GUI thread: a hung owner froze the quit for Qt's 5 s timeout.
            return
        mime = clipboard.mimeData(QClipboard.Mode.Clipboard)
        if mime is not None and mime.hasFormat(OWN_MARKER_FORMAT):
            clipboard.setText(mime.text(), QClipboard.Mode.Clipboard)

    def _on_changed(self) -> None:
        if self._enabled:
            self._settle.start()  # restart: only the settled clipboard is read

    def _check(self) -> None:
        self.strategy.request_snapshot()

    def _on_snapshot(self, snapshot: ClipboardSnapshot) -> None:
        if not self._enabled:
            return  # switched off while the read was under way
        own_text, self._own_text = self._own_text, None
        if snapshot.ignore_reason:
            self.ignored.emit(snapshot.ignore_reason)
        elif snapshot.own or (own_text is not None and snapshot.text == own_text):
            self.ignored.emit("own write")
        elif snapshot.concealed:
            self.ignored.emit("concealed")
        elif not snapshot.text:
            self.ignored.emit("no text")
        elif len(snapshot.text) > self.mode.max_text:
            self.ignored.emit("too long")
        else:
            number = number_in_text(snapshot.text, self.mode, self.default_region)
            if number is None:
                self.ignored.emit("not a number")
            else:
                self.popRequested.emit(PopRequest(number, source=SOURCE))
