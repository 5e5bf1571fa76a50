"""X11's CLIPBOARD, read off the GUI thread with a deadline, its size asked before its text.

Qt reads the clipboard on the GUI thread and waits for the selection's owner (another app) to
answer each request for up to seconds: an owner that takes the selection and then hangs froze
the whole app (pops, ``state``) for ~20 s. QClipboard may only be used from the GUI thread, so
the reading is done here instead, in a worker thread on its own X connection through libxcb
(which Qt's xcb platform already loads; no extra dependency): ask the owner for its TARGETS,
skip our own writes and concealed content as the Qt route does, then ask the text's size
(an X property's length comes before its bytes) and fetch it only when under the cap. Every
wait shares one deadline; an owner that misses it costs a worker thread that much time, never
the loop. Qt still notices the changes (``dataChanged``: no data moves for that).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import selectors
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QClipboard

from app.core.phone import MAX_SCAN_TEXT
from app.sources.clipboard import ClipboardSnapshot, QtClipboardStrategy
from app.sources.clipboard_filter import is_concealed, is_own_write

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 2.0  # owners answer in milliseconds; a hung one gets this much, in a thread
# Waits on the X server itself (connecting, atoms, properties) have no deadline in libxcb: a
# read still running this long after its own deadline is abandoned (its thread left to end
# by itself), and no more than this many abandoned threads are let pile up.
ABANDON_MARGIN_S = 1.0
MAX_ABANDONED_READS = 2
MAX_TEXT_BYTES = MAX_SCAN_TEXT * 4  # UTF-8: anything longer is too long for any watch mode
MAX_MARKER_BYTES = 64
MAX_TARGETS = 256
UNANSWERED = "the clipboard's owner does not answer"
TOO_LONG = "too long"  # the watcher's word for the same verdict on text it read
CHANGED_DURING_READ = "the clipboard changed during the read"
X_NOT_ANSWERING = "the clipboard is not answering (earlier reads are still stuck)"
# Best first; older X apps offer only TEXT (any encoding the owner likes) or STRING (Latin-1).
_TEXT_TARGETS = ("UTF8_STRING", "text/plain;charset=utf-8", "text/plain", "TEXT", "STRING")
_SELECTION_NOTIFY = 31
_PROPERTY = b"SCREENPOP_CLIPBOARD"


class _Cookie(ctypes.Structure):
    _fields_ = [("sequence", ctypes.c_uint)]


class _ScreenIterator(ctypes.Structure):
    _fields_ = [("data", ctypes.POINTER(ctypes.c_uint32)), ("rem", ctypes.c_int),
                ("index", ctypes.c_int)]


class _AtomReply(ctypes.Structure):
    _fields_ = [("response_type", ctypes.c_uint8), ("pad0", ctypes.c_uint8),
                ("sequence", ctypes.c_uint16), ("length", ctypes.c_uint32),
                ("atom", ctypes.c_uint32)]


class _OwnerReply(ctypes.Structure):
    _fields_ = [("response_type", ctypes.c_uint8), ("pad0", ctypes.c_uint8),
                ("sequence", ctypes.c_uint16), ("length", ctypes.c_uint32),
                ("owner", ctypes.c_uint32)]


class _PropertyReply(ctypes.Structure):
    _fields_ = [("response_type", ctypes.c_uint8), ("format", ctypes.c_uint8),
                ("sequence", ctypes.c_uint16), ("length", ctypes.c_uint32),
                ("type", ctypes.c_uint32), ("bytes_after", ctypes.c_uint32),
                ("value_len", ctypes.c_uint32)]


class _SelectionNotify(ctypes.Structure):
    _fields_ = [("response_type", ctypes.c_uint8), ("pad0", ctypes.c_uint8),
                ("sequence", ctypes.c_uint16), ("time", ctypes.c_uint32),
                ("requestor", ctypes.c_uint32), ("selection", ctypes.c_uint32),
                ("target", ctypes.c_uint32), ("property", ctypes.c_uint32)]


@functools.cache
def _load_xcb() -> ctypes.CDLL:
    xcb = ctypes.CDLL(ctypes.util.find_library("xcb") or "libxcb.so.1")
    p, u32, cookie = ctypes.c_void_p, ctypes.c_uint32, _Cookie
    signatures: dict[str, tuple[object, list[object]]] = {
        "xcb_connect": (p, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]),
        "xcb_connection_has_error": (ctypes.c_int, [p]),
        "xcb_disconnect": (None, [p]),
        "xcb_get_setup": (p, [p]),
        "xcb_setup_roots_iterator": (_ScreenIterator, [p]),
        "xcb_screen_next": (None, [ctypes.POINTER(_ScreenIterator)]),
        "xcb_generate_id": (u32, [p]),
        "xcb_create_window": (cookie, [p, ctypes.c_uint8, u32, u32, ctypes.c_int16,
                                       ctypes.c_int16, ctypes.c_uint16, ctypes.c_uint16,
                                       ctypes.c_uint16, ctypes.c_uint16, u32, u32, p]),
        "xcb_intern_atom": (cookie, [p, ctypes.c_uint8, ctypes.c_uint16, ctypes.c_char_p]),
        "xcb_intern_atom_reply": (ctypes.POINTER(_AtomReply), [p, cookie, p]),
        "xcb_convert_selection": (cookie, [p, u32, u32, u32, u32, u32]),
        "xcb_get_selection_owner": (cookie, [p, u32]),
        "xcb_get_selection_owner_reply": (ctypes.POINTER(_OwnerReply), [p, cookie, p]),
        "xcb_flush": (ctypes.c_int, [p]),
        "xcb_get_file_descriptor": (ctypes.c_int, [p]),
        "xcb_poll_for_event": (ctypes.POINTER(ctypes.c_uint8), [p]),
        "xcb_get_property": (cookie, [p, ctypes.c_uint8, u32, u32, u32, u32, u32]),
        "xcb_get_property_reply": (ctypes.POINTER(_PropertyReply), [p, cookie, p]),
        "xcb_get_property_value": (p, [p]),
        "xcb_get_property_value_length": (ctypes.c_int, [p]),
        "xcb_get_atom_name": (cookie, [p, u32]),
        "xcb_get_atom_name_reply": (p, [p, cookie, p]),
        "xcb_get_atom_name_name": (p, [p]),
        "xcb_get_atom_name_name_length": (ctypes.c_int, [p]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(xcb, name)
        function.restype, function.argtypes = restype, argtypes
    return xcb


_libc = ctypes.CDLL(None)
_libc.free.argtypes = [ctypes.c_void_p]


def _free(pointer: Any) -> None:
    _libc.free(ctypes.cast(pointer, ctypes.c_void_p))


class _Unanswered(Exception):
    """The selection's owner missed the deadline."""


def _field_of(reply: Any, name: str) -> int:
    """One number from a small reply, which is then freed; none at all: the server went away."""
    if not reply:
        raise _Unanswered
    try:
        return int(getattr(reply.contents, name))
    finally:
        _free(reply)


class _TooLong(Exception):
    """The owner offered more bytes than any number could need."""


class X11SelectionReader:
    """One read of the CLIPBOARD selection on a private X connection. For a worker thread:
    it touches no Qt object, and every wait on the owner ends at ``deadline``."""

    def __init__(self, display: str | None = None, timeout: float = READ_TIMEOUT_S,
                 max_text_bytes: int = MAX_TEXT_BYTES) -> None:
        self._display = display
        self.timeout = timeout
        self._max_text_bytes = max_text_bytes

    def read(self) -> ClipboardSnapshot:
        xcb = _load_xcb()
        screen_number = ctypes.c_int(0)
        display = self._display.encode() if self._display else None
        conn = xcb.xcb_connect(display, ctypes.byref(screen_number))
        try:
            if not conn or xcb.xcb_connection_has_error(conn):
                return ClipboardSnapshot(None, ignore_reason="no X display to read from")
            session = _Session(xcb, conn, screen_number.value,
                               time.monotonic() + self.timeout)
            return self._read(session)
        except _Unanswered:
            return ClipboardSnapshot(None, ignore_reason=UNANSWERED)
        except _TooLong:
            return ClipboardSnapshot(None, ignore_reason=TOO_LONG)
        finally:
            if conn:
                xcb.xcb_disconnect(conn)

    def _read(self, session: _Session) -> ClipboardSnapshot:
        owner = session.owner()
        snapshot = self._read_from_owner(session)
        if snapshot.text is not None and session.owner() != owner:
            # The formats (and so the checks on them) came from one owner, the text maybe
            # from the next: a password manager's secret copied right after a number.
            return ClipboardSnapshot(None, ignore_reason=CHANGED_DURING_READ)
        return snapshot

    def _read_from_owner(self, session: _Session) -> ClipboardSnapshot:
        targets = session.convert(session.atom(b"TARGETS"), 4 * MAX_TARGETS, truncate=True)
        if targets is None:
            return ClipboardSnapshot(None)
        atoms = list((ctypes.c_uint32 * (len(targets) // 4)).from_buffer_copy(
            targets[:len(targets) // 4 * 4]))
        by_name = session.atom_names(atoms)
        if is_own_write(by_name):
            return ClipboardSnapshot(None, own=True)
        if is_concealed(by_name, lambda name: session.convert(
                by_name[name], MAX_MARKER_BYTES, truncate=True) or b""):
            return ClipboardSnapshot(None, concealed=True)
        target = next((name for name in _TEXT_TARGETS if name in by_name), None)
        if target is None:
            return ClipboardSnapshot(None)
        answer = session.convert_typed(by_name[target], self._max_text_bytes)
        if answer is None:
            return ClipboardSnapshot(None)
        data, kind = answer
        return ClipboardSnapshot(_decode(data, session.type_name(kind)))


class _Session:
    """The requests of one read, on one connection, against one deadline."""

    def __init__(self, xcb: ctypes.CDLL, conn: int, screen_number: int,
                 deadline: float) -> None:
        self._xcb, self._conn, self._deadline = xcb, conn, deadline
        screens = xcb.xcb_setup_roots_iterator(xcb.xcb_get_setup(conn))
        for _ in range(screen_number):
            xcb.xcb_screen_next(ctypes.byref(screens))
        root = screens.data[0]  # xcb_screen_t starts with its root window
        self._window = xcb.xcb_generate_id(conn)
        # A 1x1 window nobody sees: the owner writes its answers into a property on it.
        xcb.xcb_create_window(conn, 0, self._window, root, 0, 0, 1, 1, 0, 0, 0, 0, None)
        self._clipboard = self.atom(b"CLIPBOARD")
        self._property = self.atom(_PROPERTY)
        self._incr = self.atom(b"INCR")

    def atom(self, name: bytes) -> int:
        xcb = self._xcb
        return _field_of(xcb.xcb_intern_atom_reply(
            self._conn, xcb.xcb_intern_atom(self._conn, 0, len(name), name), None), "atom")

    def owner(self) -> int:
        """The window owning the CLIPBOARD now (0: nobody)."""
        xcb = self._xcb
        return _field_of(xcb.xcb_get_selection_owner_reply(
            self._conn, xcb.xcb_get_selection_owner(self._conn, self._clipboard), None), "owner")

    def atom_names(self, atoms: list[int]) -> dict[str, int]:
        """Names of the (at most MAX_TARGETS) atoms an owner offered; bogus atoms are skipped."""
        xcb = self._xcb
        cookies = [(atom, xcb.xcb_get_atom_name(self._conn, atom)) for atom in atoms[:MAX_TARGETS]]
        names: dict[str, int] = {}
        for atom, cookie in cookies:
            error = ctypes.c_void_p()
            reply = xcb.xcb_get_atom_name_reply(self._conn, cookie, ctypes.byref(error))
            if error.value:
                _free(error)
            if not reply:
                continue
            try:
                length = xcb.xcb_get_atom_name_name_length(reply)
                raw = ctypes.string_at(xcb.xcb_get_atom_name_name(reply), length)
            finally:
                _free(reply)
            names[raw.decode("latin-1")] = atom
        return names

    def convert(self, target: int, max_bytes: int, *, truncate: bool = False) -> bytes | None:
        """The owner's data for ``target``; None if refused. Its size is asked first: more
        than ``max_bytes`` raises _TooLong, or with ``truncate`` gives the first bytes."""
        answer = self.convert_typed(target, max_bytes, truncate=truncate)
        return None if answer is None else answer[0]

    def type_name(self, kind: int) -> str:
        """The name of a reply's type atom, for the few text types told apart."""
        return next((name for name in ("UTF8_STRING", "STRING")
                     if kind == self.atom(name.encode())), "")

    def convert_typed(self, target: int, max_bytes: int, *,
                      truncate: bool = False) -> tuple[bytes, int] | None:
        """``convert``, with the type the owner gave its answer (the reply's type atom)."""
        xcb = self._xcb
        xcb.xcb_convert_selection(self._conn, self._window, self._clipboard, target,
                                  self._property, 0)
        xcb.xcb_flush(self._conn)
        if not self._wait_for_answer(target):
            return None
        size, kind = self._property_size()
        if kind == self._incr:  # more than the owner sends in one go: far past any cap
            # The property is left alone: deleting it is what starts an INCR transfer.
            if truncate:
                return None
            raise _TooLong
        if size > max_bytes and not truncate:
            raise _TooLong
        return self._take_property(min(size, max_bytes)), kind

    def _wait_for_answer(self, target: int) -> bool:
        xcb = self._xcb
        with selectors.DefaultSelector() as selector:  # any fd number, unlike select.select
            selector.register(xcb.xcb_get_file_descriptor(self._conn), selectors.EVENT_READ)
            return self._wait_for_notify(target, selector)

    def _wait_for_notify(self, target: int, selector: selectors.BaseSelector) -> bool:
        xcb = self._xcb
        while True:
            while event := xcb.xcb_poll_for_event(self._conn):
                try:
                    if event[0] & 0x7F == _SELECTION_NOTIFY:
                        notify = ctypes.cast(event, ctypes.POINTER(_SelectionNotify)).contents
                        if notify.target == target and notify.requestor == self._window:
                            return bool(notify.property)
                finally:
                    _free(event)
            if xcb.xcb_connection_has_error(self._conn):
                raise _Unanswered
            remaining = self._deadline - time.monotonic()
            if remaining <= 0:
                raise _Unanswered
            selector.select(remaining)

    def _property_size(self) -> tuple[int, int]:
        reply = self._get_property(delete=False, longs=0)
        try:
            return int(reply.contents.bytes_after), int(reply.contents.type)
        finally:
            _free(reply)

    def _take_property(self, size: int) -> bytes:
        reply = self._get_property(delete=True, longs=(size + 3) // 4)
        try:
            length = self._xcb.xcb_get_property_value_length(reply)
            return ctypes.string_at(self._xcb.xcb_get_property_value(reply), min(length, size))
        finally:
            _free(reply)

    def _get_property(self, *, delete: bool, longs: int) -> ctypes._Pointer[_PropertyReply]:
        xcb = self._xcb
        cookie = xcb.xcb_get_property(self._conn, int(delete), self._window, self._property,
                                      0, 0, longs)
        reply = xcb.xcb_get_property_reply(self._conn, cookie, None)
        if not reply:
            raise _Unanswered
        return reply  # type: ignore[no-any-return]


def _decode(data: bytes, type_name: str) -> str:
    """Text by the type the owner gave it: STRING is Latin-1 by definition, UTF8_STRING is
    UTF-8; anything else (TEXT, text/plain) is UTF-8 where valid, else Latin-1."""
    if type_name == "STRING":
        return data.decode("latin-1")
    if type_name == "UTF8_STRING":
        return data.decode("utf-8", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


class X11ClipboardStrategy(QtClipboardStrategy):
    """Qt notices the changes; an X11SelectionReader in a worker thread reads them.

    The app's own write is read through Qt (it answers itself, no owner to wait for). One
    read at a time, and the latest wins: a read overtaken by a change (``changed``) is
    dropped, never reported first (the watcher asks again once the change has settled, at
    once if it already asked), and so is a read under way when the strategy is stopped.
    """

    def __init__(self, clipboard: QClipboard,
                 reader_factory: Callable[[], X11SelectionReader] = X11SelectionReader,
                 parent: QObject | None = None) -> None:
        super().__init__(clipboard, parent)
        self._reader_factory = reader_factory
        self._result: list[ClipboardSnapshot] = []
        self._reading: threading.Thread | None = None
        self._again = False
        self._stale = False
        self._give_up_at = 0.0
        self._abandoned: list[threading.Thread] = []  # given up on, maybe still running
        self.changed.connect(self._on_change)
        # The worker may outlive this object, so it touches no Qt object: a short check on
        # the loop, running only while a read is under way, collects its result.
        self._collect = QTimer(self)
        self._collect.setInterval(25)
        self._collect.timeout.connect(self._on_collect)

    def request_snapshot(self) -> None:
        if self._clipboard.ownsClipboard():
            super().request_snapshot()
            return
        if self._reading is not None:
            self._again = True
            return
        self._stale = False
        self._abandoned = [thread for thread in self._abandoned if thread.is_alive()]
        if len(self._abandoned) >= MAX_ABANDONED_READS:
            self.snapshotReady.emit(ClipboardSnapshot(None, ignore_reason=X_NOT_ANSWERING))
            return
        result: list[ClipboardSnapshot] = []
        reader = self._reader_factory()
        self._give_up_at = time.monotonic() + reader.timeout + ABANDON_MARGIN_S

        def work() -> None:
            try:
                result.append(reader.read())
            except Exception:  # a broken read must not end the watching
                log.exception("clipboard: reading the X11 selection failed")
                result.append(ClipboardSnapshot(None, ignore_reason="clipboard unreadable"))

        self._result = result
        self._reading = threading.Thread(target=work, name="clipboard-read", daemon=True)
        self._reading.start()
        self._collect.start()

    @property
    def reading(self) -> bool:
        """True while a read is under way (and its result still counts)."""
        return self._reading is not None

    def stop(self) -> None:
        super().stop()
        self._again = self._stale = False
        # Forget the read under way: it ends into a list nobody reads.
        if self._reading is not None:
            self._abandoned.append(self._reading)
        self._collect.stop()
        self._reading = None
        self._result = []

    def _on_change(self) -> None:
        if self._reading is not None:
            self._stale = True

    def _on_collect(self) -> None:
        if self._reading is None:
            return
        if self._result:
            snapshot = self._result[0]
        elif time.monotonic() >= self._give_up_at:
            log.warning("clipboard: an X11 read is stuck past its deadline (is the X server "
                        "answering?); giving up on it")
            self._abandoned.append(self._reading)
            snapshot = ClipboardSnapshot(None, ignore_reason=UNANSWERED)
        else:
            return
        self._collect.stop()
        self._reading = None
        again, stale = self._again, self._stale
        self._again = self._stale = False
        if again:
            self.request_snapshot()  # the clipboard changed meanwhile: that one counts
        elif not stale:
            self.snapshotReady.emit(snapshot)


def available() -> bool:
    """True when libxcb can be loaded (always, where Qt's own xcb platform runs)."""
    try:
        _load_xcb()
    except (OSError, AttributeError):
        return False
    return True
