"""macOS App Nap: no napping while the app waits for calls (issue 13).

App Nap slows down an app whose windows are hidden or covered and that plays no sound: its
timers fire seconds late and its run loop wakes seldom, so a softphone's pop, a ``screenpop
state`` or the clipboard's poll would wait for the app to wake. Hidden in the tray between
calls is exactly how agents keep this app. So, from start to quit (it waits for calls all
that time), it holds an ``NSProcessInfo`` activity "user initiated, idle system sleep
allowed": never napped, and the Mac still sleeps when idle as its settings say. Quitting
ends the activity.

The platform part is one call each way through PyObjC's Foundation (a macOS dependency of
the app); elsewhere nothing happens. Tests pass a fake process info.
"""

from __future__ import annotations

import logging
import sys
from typing import Final, Protocol

log = logging.getLogger(__name__)

# NSActivityOptions (Foundation/NSProcessInfo.h)
IDLE_SYSTEM_SLEEP_DISABLED: Final = 1 << 20
USER_INITIATED: Final = 0x00FFFFFF | IDLE_SYSTEM_SLEEP_DISABLED
USER_INITIATED_ALLOWING_IDLE_SYSTEM_SLEEP: Final = USER_INITIATED & ~IDLE_SYSTEM_SLEEP_DISABLED
# The reason macOS records for the activity: what IT reads in a diagnosis.
REASON: Final = "DeepCall Screen-Pop is waiting for calls"


class ProcessInfo(Protocol):
    """The part of NSProcessInfo used here (PyObjC method names)."""

    def beginActivityWithOptions_reason_(self, options: int, reason: str) -> object: ...
    def endActivity_(self, activity: object) -> None: ...


def _process_info() -> ProcessInfo:
    from Foundation import NSProcessInfo

    info: ProcessInfo = NSProcessInfo.processInfo()
    return info


class AppNapGuard:
    """Holds the activity from ``hold`` to ``release``; both may be called again."""

    def __init__(self, process_info: ProcessInfo | None = None,
                 platform: str | None = None) -> None:
        self._info = process_info
        self._platform = platform if platform is not None else sys.platform
        # The activity object: macOS ends the activity when the last reference goes.
        self._activity: object | None = None

    @property
    def held(self) -> bool:
        return self._activity is not None

    def hold(self) -> bool:
        """True when the app will not be napped (False elsewhere than macOS, or when macOS
        refused: then the app still works, only slower to answer while hidden)."""
        if self._platform != "darwin":
            return False
        if self._activity is not None:
            return True
        try:
            if self._info is None:
                self._info = _process_info()
            self._activity = self._info.beginActivityWithOptions_reason_(
                USER_INITIATED_ALLOWING_IDLE_SYSTEM_SLEEP, REASON)
        except Exception:  # no PyObjC (a bare source run) or Foundation refused: still run
            log.exception("macOS: could not keep App Nap away; pops may be slow while hidden")
            return False
        log.info("macOS: App Nap kept away while the app waits for calls")
        return True

    def release(self) -> None:
        activity, self._activity = self._activity, None
        if activity is None or self._info is None:
            return
        try:
            self._info.endActivity_(activity)
        except Exception:  # quitting goes on; macOS ends it with the process anyway
            log.exception("macOS: could not end the App Nap activity")
