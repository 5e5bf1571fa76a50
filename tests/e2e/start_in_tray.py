"""The real app (``python -m app`` as is), its window hidden right after the start: the
state a tray app's window is in between calls (the wrap-up hides it so), which the app
itself never starts in. Run as ``python tests/e2e/start_in_tray.py --profile DIR``."""

from __future__ import annotations

from app.cli import main
from app.session import AppSession

_start = AppSession.start


def _start_hidden(self: AppSession) -> None:
    _start(self)
    self.window.hide()


AppSession.start = _start_hidden  # type: ignore[method-assign]
raise SystemExit(main())
