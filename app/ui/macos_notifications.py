"""macOS: may DeepCall Screen-Pop show notifications? "Only notify in the tray" relies on them.

A tray notice (``QSystemTrayIcon.showMessage``) is a macOS notification, shown only when the
agent allowed the app's notifications (System Settings > Notifications), or provisionally
(quietly, in Notification Centre). Until macOS has said so, or when it says no, a call must
bring the window up instead. The answer comes from ``UNUserNotificationCenter``, on the
framework's own thread; it is brought to the Qt thread by a queued signal. When macOS has
not been asked yet, the app asks once (the agent sees macOS's own "allow notifications?").

``center_for_this_app()`` is the one function that touches the framework (through PyObjC,
without a framework package of its own: the block signatures are declared here); the tests
give ``NotificationPermission`` a fake centre.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

# UNAuthorizationStatus
NOT_DETERMINED, DENIED, AUTHORIZED, PROVISIONAL = 0, 1, 2, 3
# UNAuthorizationOptions: what the notice of a call uses.
_ALERT, _SOUND = 1 << 2, 1 << 1
_FRAMEWORK = "/System/Library/Frameworks/UserNotifications.framework"


class NotificationPermission(QObject):
    """``allowed``: True (authorised or provisional), False (denied), None (not known yet)."""

    changed = Signal()
    _status = Signal(int)  # emitted on the framework's thread, handled on ours
    _asked_answered = Signal()

    def __init__(self, center: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.allowed: bool | None = None
        self._center = center
        self._asked = False
        self._status.connect(self._on_status)
        self._asked_answered.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Ask macOS again (the agent may have changed System Settings); the answer comes
        later, through ``changed`` when it differs."""
        self._center.getNotificationSettingsWithCompletionHandler_(
            lambda settings: self._status.emit(int(settings.authorizationStatus())))

    def _on_status(self, status: int) -> None:
        if status == NOT_DETERMINED and not self._asked:
            self._asked = True  # once: macOS shows its question only the first time anyway
            self._center.requestAuthorizationWithOptions_completionHandler_(
                _ALERT | _SOUND, lambda _granted, _error: self._asked_answered.emit())
            return
        allowed = True if status in (AUTHORIZED, PROVISIONAL) else \
            False if status == DENIED else None
        if allowed != self.allowed:
            self.allowed = allowed
            self.changed.emit()


def center_for_this_app() -> Any:
    """The app's ``UNUserNotificationCenter`` (macOS, inside the .app bundle only: elsewhere
    the framework throws for want of a bundle)."""
    import objc  # PyObjC, macOS only
    from Foundation import NSBundle

    NSBundle.bundleWithPath_(_FRAMEWORK).load()
    center_class = objc.lookUpClass("UNUserNotificationCenter")
    # No PyObjC package for this framework: the completion blocks' signatures, declared.
    objc.registerMetaDataForSelector(
        b"UNUserNotificationCenter", b"getNotificationSettingsWithCompletionHandler:",
        {"arguments": {2: {"callable": {"retval": {"type": b"v"}, "arguments": {
            0: {"type": b"^v"}, 1: {"type": b"@"}}}}}})
    objc.registerMetaDataForSelector(
        b"UNUserNotificationCenter", b"requestAuthorizationWithOptions:completionHandler:",
        {"arguments": {3: {"callable": {"retval": {"type": b"v"}, "arguments": {
            0: {"type": b"^v"}, 1: {"type": b"Z"}, 2: {"type": b"@"}}}}}})
    return center_class.currentNotificationCenter()
