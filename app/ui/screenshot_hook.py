"""A debug hook for the README screenshot and the end-to-end test: grab the window on a state.

When ``SCREENPOP_SCREENSHOT_DIR`` is set, every settled state (found, unknown, error) saves the
window as ``<dir>/screenpop-<status>.png`` (written to a temporary name, then renamed, so a
reader polling for the file never sees half a PNG). Off by default; costs nothing then.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QWidget

ENV_VAR = "SCREENPOP_SCREENSHOT_DIR"
SETTLED = ("found", "unknown", "error")
# Let layouts and the first paint of the new form finish before grabbing.
SETTLE_MS = 150

log = logging.getLogger(__name__)


class ScreenshotHook(QObject):
    def __init__(self, window: QWidget, folder: Path) -> None:
        super().__init__(window)
        self._window = window
        self._folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    @classmethod
    def from_environment(cls, window: QWidget) -> ScreenshotHook | None:
        folder = os.environ.get(ENV_VAR)
        return cls(window, Path(folder)) if folder else None

    def on_state(self, status: str) -> None:
        if status in SETTLED:
            QTimer.singleShot(SETTLE_MS, lambda: self.grab(status))

    def grab(self, status: str) -> Path | None:
        target = self._folder / f"screenpop-{status}.png"
        partial = target.with_name(f".{target.name}.partial.png")
        if not self._window.grab().save(str(partial), "PNG"):
            log.warning("screenshot could not be written to %s", partial)
            return None
        partial.replace(target)
        log.info("screenshot saved: %s", target)
        return target
