"""macOS ``tel:`` links: the OS hands them to the running app as a ``QFileOpenEvent``.

On Windows and Linux a clicked ``tel:`` link starts ``screenpop tel:...`` (a command line, see
app/cli.py). macOS instead delivers the URL to the app bundle as an Apple Event, which Qt turns
into a ``QEvent.FileOpen`` on the application object; this filter turns it into a pop.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Signal
from PySide6.QtGui import QFileOpenEvent

from app.core.phone import CALL_LINK_SCHEMES, DEFAULT_REGION, normalise, strip_uri
from app.core.pop_request import PopRequest

LINK_SCHEMES = CALL_LINK_SCHEMES
SOURCE = "tel-link"


class UrlOpenFilter(QObject):
    """Install on the application: ``popRequested(PopRequest)`` for each opened call link.

    ``linkRejected(reason)`` when a call link holds no valid number (for the status bar);
    other FileOpen events (files, other schemes) pass through untouched.
    """

    popRequested = Signal(object)
    linkRejected = Signal(str)

    def __init__(self, default_region: str = DEFAULT_REGION,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.default_region = default_region

    def install(self, app: QCoreApplication) -> None:
        app.installEventFilter(self)

    def uninstall(self, app: QCoreApplication) -> None:
        app.removeEventFilter(self)

    def set_default_region(self, region: str) -> None:
        self.default_region = region

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.FileOpen or not isinstance(event, QFileOpenEvent):
            return False
        url = event.url()
        if url.scheme().lower() not in LINK_SCHEMES:
            return False
        self.open_link(url.toString())
        return True  # ours: nobody else should try to open a tel: link as a file

    def open_link(self, link: str) -> PopRequest | None:
        """Pop the number in ``link`` (``tel:+91-83023-90884``); None if it holds none."""
        e164 = normalise(link, self.default_region)
        if e164 is None:
            shown = strip_uri(link)[:40]
            self.linkRejected.emit(f"The link does not hold a valid phone number: {shown!r}")
            return None
        request = PopRequest(e164, source=SOURCE)
        self.popRequested.emit(request)
        return request
