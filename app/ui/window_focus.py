"""How the window comes forward without taking the keys (issue 11).

A pop arrives while the agent types in the CRM: keystrokes that land in our form instead
(or answer a dialog) are worse than a pop a click away. So a pop shows and raises the window
but does not activate it, unless ``pop_takes_focus`` says so; what the agent asks for
(the ``show`` command, the tray's "Show", a second start) still activates it.

``plan_bring_forward`` is the decision, pure and per platform; ``apply_plan`` does it to a
window. Per platform, not activating takes different things:
- X11 and Wayland: ``WA_ShowWithoutActivating`` before ``show`` (the window manager is told
  not to focus it: ``_NET_WM_USER_TIME`` 0 on X11), then ``raise_``; no ``activateWindow``.
  A minimized window stays minimized and asks for attention: bringing it back is an
  activation to the window managers there.
- Windows: a foreground request from a background app is refused, so a pop without the
  keys lifts the window above the others natively, inactive (``windows_topmost``), and the
  taskbar button flashes (``QApplication.alert``). With ``pop_takes_focus`` it is lifted the
  same way, then activated: ``screenpop pop``, started by the softphone in front, granted
  this app the foreground (``AllowSetForegroundWindow``, app/sources/forward.py) just before
  the pop; when it could not (the softphone in the background), the lift still shows it.
- macOS: activating the window activates the whole app and takes the keys from the agent's
  app; the window is ordered front without that, and the Dock icon bounces (``alert``).
  Qt's Cocoa ``raise()`` activates the app too unless ``QT_MAC_SET_RAISE_PROCESS=0``, which
  the bootstrap sets (``quiet_macos_raise``); so the agent's own request activates the app
  itself (``activate_app``: ``macos_activation``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Literal

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget

from app.ui.macos_activation import activate_this_app
from app.ui.windows_topmost import top_without_activating

log = logging.getLogger(__name__)

Platform = Literal["windows", "macos", "x11", "wayland", "other"]
# A platform where the only way to tell the agent without taking the keys is an alert.
ALERTING_PLATFORMS: tuple[Platform, ...] = ("windows", "macos")
# Read once by Qt's Cocoa plugin, at the first raise: "0" keeps raise() from activating the app.
MACOS_RAISE_VARIABLE = "QT_MAC_SET_RAISE_PROCESS"


def quiet_macos_raise(platform: str, environ: MutableMapping[str, str]) -> None:
    """Before the QApplication exists, on macOS (``sys.platform`` "darwin"): a pop's
    ``raise_()`` orders the window front without taking the keys from the agent's app.
    A value someone set on purpose stays."""
    if platform == "darwin":
        environ.setdefault(MACOS_RAISE_VARIABLE, "0")


@dataclass(frozen=True)
class BringForward:
    """What to do to the window; all False: leave it as it is."""

    show: bool = False
    restore: bool = False  # it is minimized: back to its normal size
    without_activating: bool = False  # WA_ShowWithoutActivating before showing
    raise_window: bool = False
    activate: bool = False  # takes the keyboard focus
    alert: bool = False  # flash the taskbar button / bounce the Dock icon
    on_top: bool | None = None  # set or clear "stay on top"; None: leave it
    # macOS: activating the window no longer brings the app forward (see the module doc)
    activate_app: bool = False
    # Windows: lifted above the others natively, inactive (and restored so, if minimized)
    native_top: bool = False


def window_platform(name: str | None = None) -> Platform:
    """The platform as the focus rules see it, from Qt's platform plugin name."""
    plugin = (name if name is not None else QGuiApplication.platformName()).lower()
    if plugin == "windows":
        return "windows"
    if plugin == "cocoa":
        return "macos"
    if plugin == "xcb":
        return "x11"
    if plugin.startswith("wayland"):
        return "wayland"
    return "other"


def plan_bring_forward(platform: Platform, takes_focus: bool, behaviour: str,
                       hidden: bool, minimized: bool, *,
                       agent_asked: bool = False) -> BringForward:
    """What a pop (``takes_focus`` from the setting) or the agent's own request
    (``agent_asked``: the window with the keys, whatever ``takes_focus`` says) does to the
    window under ``behaviour`` (raise, raise_on_top, tray_only)."""
    if behaviour == "tray_only" and not agent_asked:
        # The tray notification does the telling, also with "pops take the focus": the
        # agent chose a pop that leaves the window where it is.
        return BringForward()
    on_top = behaviour == "raise_on_top"
    if takes_focus or agent_asked:
        # Windows: lifted natively first, so the window is in front even when the foreground
        # grant was refused (``screenpop pop`` run by a softphone in the background may not
        # pass it on) and the activation only flashes the taskbar button.
        return BringForward(show=True, restore=minimized, raise_window=True, activate=True,
                            on_top=on_top, activate_app=platform == "macos",
                            native_top=platform == "windows")
    if minimized and platform not in ALERTING_PLATFORMS:
        # X11 and Wayland window managers take a minimized window coming back as "activate
        # it" (openbox focuses it whatever the window asks): it stays minimized and asks for
        # attention (its taskbar entry flashes) until the agent opens it.
        return BringForward(alert=True)
    return BringForward(show=hidden or minimized, restore=minimized, without_activating=True,
                        raise_window=True, alert=platform in ALERTING_PLATFORMS,
                        on_top=on_top, native_top=platform == "windows")


def show_without_activating(window: QWidget, on: bool) -> None:
    """Set for every show, also the agent's own: an earlier pop must not leave it on."""
    window.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, on)
    # Qt hands the attribute to the native window only when that is created (the app's
    # window is, at start): the platform plugin reads this property at each show (xcb:
    # _NET_WM_USER_TIME 0, which the window manager takes as "do not focus").
    handle = window.windowHandle()
    if handle is not None:
        handle.setProperty("_q_showWithoutActivating", on)


def apply_plan(window: QWidget, plan: BringForward,
               activate_app: Callable[[], object] = activate_this_app,
               lift: Callable[[int, bool, bool], bool] = top_without_activating) -> None:
    """Do ``plan`` to ``window``, in the order the window systems need."""
    log.info("bringing the window forward: %s", plan)
    if plan.on_top is not None and \
            bool(window.windowFlags() & Qt.WindowType.WindowStaysOnTopHint) != plan.on_top:
        # Changing a flag hides the window; shown again below (or at once if nothing is).
        was_visible = window.isVisible()
        show_without_activating(window, not plan.activate)
        window.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, plan.on_top)
        if was_visible and not plan.show:
            window.show()
    show_without_activating(window, plan.without_activating)
    if plan.restore and not plan.native_top:
        window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
    if plan.show:
        window.show()
    if plan.raise_window:
        window.raise_()
    if plan.native_top:
        stays = bool(window.windowFlags() & Qt.WindowType.WindowStaysOnTopHint)
        if not lift(int(window.winId()), plan.restore, stays) and plan.restore:
            window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
    if plan.activate_app:
        activate_app()  # before the window: the key window of an inactive app gets no keys
    if plan.activate:
        window.activateWindow()
    if plan.alert:
        QApplication.alert(window)


def lower_without_the_keys(window: QWidget) -> None:
    """Behind the agent's other windows, leaving them the keys: on top is cleared (which
    re-maps the window) with the window marked "do not focus", so the window manager gives
    the keys to what is now in front, not to the window it is about to lower."""
    window.lower()
    if window.windowFlags() & Qt.WindowType.WindowStaysOnTopHint:
        show_without_activating(window, True)
        window.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, False)
        show_without_activating(window, True)  # the flag change may re-create the handle
        window.show()  # changing a flag hides the window
        window.lower()
