"""Bring this app to the front on macOS, for the agent's own request only (issue 11).

With ``QT_MAC_SET_RAISE_PROCESS=0`` (so a pop's raise does not take the keys), Qt's
``activateWindow`` only makes the window the key window of an app that may be in the
background: the app itself is activated here, through AppKit (``NSApp
activateIgnoringOtherApps:YES``, what Qt's raise did), with ctypes: no extra dependency.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

log = logging.getLogger(__name__)

APPKIT = "/System/Library/Frameworks/AppKit.framework/AppKit"


def activate_this_app() -> bool:
    """True when AppKit was asked to activate this app; False elsewhere or on failure
    (then the window still becomes the key window: the agent clicks it once)."""
    if sys.platform != "darwin":
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
