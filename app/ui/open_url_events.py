"""macOS: the ``tel:`` link that launches the app must not be lost.

macOS hands a clicked link to the app as an open-URL Apple Event (no argv emulation in the
bundle), which Qt delivers as a ``QFileOpenEvent`` on the application in the first passes of
the event loop: before the window, the call tracker and the session's own link filter
(app/sources/url_open.py) exist. Caught from the moment the application exists, such links
wait here, in order, and are handed over once the session runs; later ones go to the
session's filter directly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtGui import QFileOpenEvent

from app.core.phone import CALL_LINK_SCHEMES

log = logging.getLogger(__name__)

# Clicks before the window is up: a handful at most. More are dropped (and said), never kept
# without bound.
MAX_WAITING: Final = 16


class EarlyCallLinks(QObject):
    """Keeps the call links opened before the app is ready; ``hand_over`` delivers them."""

    def __init__(self, app: QCoreApplication) -> None:
        super().__init__()
        self._app = app
        self.waiting: list[str] = []
        app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.FileOpen or not isinstance(event, QFileOpenEvent):
            return False
        url = event.url()
        if url.scheme().lower() not in CALL_LINK_SCHEMES:
            return False  # a file or another link: not ours to keep
        if len(self.waiting) < MAX_WAITING:
            self.waiting.append(url.toString())
        else:
            log.warning("a call link opened while the app was starting was dropped: "
                        "%d were waiting already", MAX_WAITING)
        return True

    def hand_over(self, open_link: Callable[[str], object]) -> None:
        """Stop catching, and open every waiting link with ``open_link`` (oldest first).

        Called once the session's own filter is installed and the session has started, in
        the same pass of the loop: no link can arrive in between, so none is lost or reordered.
        """
        self._app.removeEventFilter(self)
        waiting, self.waiting = self.waiting, []
        for link in waiting:
            open_link(link)
