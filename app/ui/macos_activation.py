"""Bring this app forward on macOS: for the agent's own request (issue 11), and for a pop on
macOS 14+, where activation is cooperative (issue 13).

With ``QT_MAC_SET_RAISE_PROCESS=0`` (so a pop's raise does not take the keys), Qt's
``activateWindow`` only makes the window the key window of an app that may be in the
background: the app itself is activated here, through AppKit (``NSApp
activateIgnoringOtherApps:YES``, what Qt's raise did), with ctypes: no extra dependency.

From macOS 14 an app in the background may no longer put itself in front of the app the
agent works in ("ignoring other apps" is ignored), so a pop would open behind the CRM.
``PopLevel`` lifts the pop's window instead, which the platform allows: the floating
window level (above every app's normal windows), on every Space and beside a full-screen
app, ordered front without activating the app. The agent sees the Screen-Pop window come up
over what they work in, wherever they are, while their keys stay where they were typing.
It goes back to a normal window as soon as the agent comes to it (a click in it: it is in
front anyway), hides or minimizes it, or the call ends; on the next pop it floats again.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import platform
import sys
from collections.abc import Callable
from typing import Final, Protocol

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

APPKIT = "/System/Library/Frameworks/AppKit.framework/AppKit"
# The first macOS whose activation is cooperative.
COOPERATIVE_MACOS: Final = 14
# NSWindowLevel and NSWindowCollectionBehavior values (AppKit/NSWindow.h).
FLOATING_LEVEL: Final = 3
CAN_JOIN_ALL_SPACES: Final = 1 << 0
MOVE_TO_ACTIVE_SPACE: Final = 1 << 1
FULL_SCREEN_PRIMARY: Final = 1 << 7
FULL_SCREEN_AUXILIARY: Final = 1 << 8
# AppKit refuses these together with "all Spaces"/"beside a full-screen app" (Qt sets
# FullScreenPrimary on every resizable window); they are back once the pop is over.
_EXCLUSIVE: Final = MOVE_TO_ACTIVE_SPACE | FULL_SCREEN_PRIMARY


def on_cocoa() -> bool:
    """Qt draws with its Cocoa plugin: AppKit owns the app and its windows (not offscreen)."""
    return QGuiApplication.platformName() == "cocoa"


def activate_this_app() -> bool:
    """True when AppKit was asked to activate this app; False elsewhere or on failure
    (then the window still becomes the key window: the agent clicks it once)."""
    if sys.platform != "darwin" or not on_cocoa():
        return False
    try:
        objc_path = ctypes.util.find_library("objc")
        if objc_path is None:
            return False
        objc = ctypes.cdll.LoadLibrary(objc_path)
        ctypes.cdll.LoadLibrary(APPKIT)
        objc.objc_getClass.restype = ctypes.c_void_p
        objc.objc_getClass.argtypes = [ctypes.c_char_p]
        objc.sel_registerName.restype = ctypes.c_void_p
        objc.sel_registerName.argtypes = [ctypes.c_char_p]
        send = ctypes.cast(objc.objc_msgSend, ctypes.c_void_p).value
        # objc_msgSend must be called with each message's own prototype (arm64).
        get = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)(send)
        activate = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p,
                                    ctypes.c_bool)(send)
        app = get(objc.objc_getClass(b"NSApplication"),
                  objc.sel_registerName(b"sharedApplication"))
        if not app:
            return False
        activate(app, objc.sel_registerName(b"activateIgnoringOtherApps:"), True)
        return True
    except (OSError, AttributeError):
        log.exception("could not bring the app to the front on macOS")
        return False


def cooperative_activation(release: str | None = None) -> bool:
    """True on macOS 14 or later (``release``: ``platform.mac_ver()``'s, e.g. "14.4.1")."""
    release = platform.mac_ver()[0] if release is None else release
    try:
        return int(release.split(".")[0]) >= COOPERATIVE_MACOS
    except ValueError:  # not macOS: mac_ver() says ""
        return False


class NativeWindow(Protocol):
    """The part of NSWindow used here (PyObjC method names)."""

    def level(self) -> int: ...
    def setLevel_(self, level: int) -> None: ...
    def collectionBehavior(self) -> int: ...
    def setCollectionBehavior_(self, behavior: int) -> None: ...
    def orderFrontRegardless(self) -> None: ...


def native_window(widget: QWidget) -> NativeWindow | None:
    """The widget's NSWindow: on Cocoa, ``winId`` is the window's content NSView."""
    import objc

    view = objc.objc_object(c_void_p=int(widget.winId()))
    window: NativeWindow | None = view.window()
    return window


class PopLevel(QObject):
    """Floats ``window`` over other apps for a pop, and puts it back (module doc)."""

    def __init__(self, window: QWidget,
                 native: Callable[[QWidget], NativeWindow | None] = native_window,
                 enabled: bool | None = None) -> None:
        super().__init__(window)
        self._window = window
        self._native = native
        # Only on Qt's Cocoa plugin is ``winId`` an NSView: under offscreen or minimal (a
        # Mac CI runner) it is a small integer, and PyObjC would crash the process on it.
        self.enabled = (sys.platform == "darwin" and on_cocoa() and cooperative_activation()
                        if enabled is None else enabled)
        # The NSWindow floated, and its level and behaviour before: what goes back.
        self._saved: tuple[NativeWindow, int, int] | None = None
        window.installEventFilter(self)

    @property
    def floating(self) -> bool:
        return self._saved is not None

    def float_for_pop(self) -> bool:
        """After the pop showed and raised the window: True when it now floats."""
        if not self.enabled or self._window.isHidden() or self._window.isMinimized() \
                or self._window.isFullScreen():  # full screen is a Space of its own
            return False
        try:
            ns_window = self._native(self._window)
            if ns_window is None:
                return False
            if self._saved is None or self._saved[0] != ns_window:
                self._saved = (ns_window, int(ns_window.level()),
                               int(ns_window.collectionBehavior()))
            _, level, behavior = self._saved
            ns_window.setLevel_(max(level, FLOATING_LEVEL))
            ns_window.setCollectionBehavior_(
                (behavior & ~_EXCLUSIVE) | CAN_JOIN_ALL_SPACES | FULL_SCREEN_AUXILIARY)
            ns_window.orderFrontRegardless()
        except Exception:  # AppKit said no: the pop is shown and raised as on macOS 13
            log.exception("macOS: could not float the pop over other apps")
            return False
        return True

    def back_to_normal(self, *_args: object) -> None:
        """A normal window again (the call ended, the agent came to it or put it away)."""
        saved, self._saved = self._saved, None
        if saved is None:
            return
        ns_window, level, behavior = saved
        try:
            if self._native(self._window) != ns_window:
                return  # Qt made a new native window meanwhile (a flag change): it is normal
            ns_window.setLevel_(level)
            ns_window.setCollectionBehavior_(behavior)
        except Exception:
            log.exception("macOS: could not put the pop back to a normal window")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if self._saved is not None and (
                kind in (QEvent.Type.WindowActivate, QEvent.Type.Hide)
                or (kind == QEvent.Type.WindowStateChange and self._window.isMinimized())):
            self.back_to_normal()
        return False
