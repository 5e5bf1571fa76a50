"""``exchange`` as Windows runs it, for tests/sources/test_windows_pipe.py: a bare pipe name,
the hello, the foreground grant (printed, not made).

Usage: python -m tests.sources.pipe_client PROFILE LINE...
Prints ``GRANTED <pid>`` for each grant and ``REPLY <json>`` for each line, in order.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import PySide6.QtNetwork  # noqa: F401 - loaded as on Windows, before the platform is faked

from app.sources import windows_api
from app.sources.forward import exchange


def main() -> None:
    sys.platform = "win32"  # after the imports: only the branches taken at run time change
    windows_api.allow_foreground = lambda pid: print("GRANTED", pid, flush=True) or True
    for line in sys.argv[2:]:
        print("REPLY", json.dumps(exchange(Path(sys.argv[1]), line)), flush=True)


if __name__ == "__main__":
    main()
