"""A stand-in for the app in tests: single-instance guard + local socket server, headless.

Usage: python -m tests.sources.instance_harness PROFILE_DIR [idle_timeout_ms]
Prints one line per event on stdout (flushed): ``LISTENING <address>``, ``FORWARDED <json>``
(a second start that handed over to the running one), ``POP <json>``, ``EVENT <json>`` (a call
event), ``SHOW``, ``FAILED ...``.
Ends when stdin (a pipe) closes or on SIGTERM. Its state reply includes its pid, and the JSON
object in $HARNESS_STATE if set (a caller's name, say, as DeepCall returned it).
"""

from __future__ import annotations

import json
import os
import signal
import stat
import sys
import threading
from dataclasses import asdict
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QMetaObject, QSocketNotifier, Qt, QTimer

from app.core.pop_request import SHOW_LINE, CallEvent, PopRequest
from app.sources.forward import NotListening, forward_until_answered
from app.sources.local_server import LocalSocketServer, ServerLimits
from app.sources.single_instance import SingleInstance


def say(*parts: str) -> None:
    print(*parts, flush=True)


def _quit_when_stdin_closes(app: QCoreApplication) -> None:
    while os.read(0, 512):
        pass
    QMetaObject.invokeMethod(app, "quit", Qt.ConnectionType.QueuedConnection)  # thread-safe


def main() -> int:
    profile = Path(sys.argv[1])
    idle_ms = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    guard = SingleInstance(profile)
    if not guard.acquire():
        try:
            reply = forward_until_answered(profile, SHOW_LINE, wait=15.0)
        except (NotListening, ConnectionError) as err:
            say("FAILED", str(err))
            return 3
        say("FORWARDED", json.dumps(reply))
        return 0

    app = QCoreApplication([])
    pops: list[PopRequest] = []
    extra_state = json.loads(os.environ.get("HARNESS_STATE", "{}"))
    server = LocalSocketServer(
        profile, lambda: {"status": "idle", "pops": len(pops), "pid": os.getpid(), **extra_state},
        limits=ServerLimits(idle_timeout_ms=idle_ms),
    )

    def on_pop(request: PopRequest) -> None:
        pops.append(request)
        say("POP", json.dumps(asdict(request)))

    server.popRequested.connect(on_pop)
    server.callEventReceived.connect(
        lambda event: say("EVENT", json.dumps(asdict(event))) if isinstance(event, CallEvent)
        else None)
    server.showRequested.connect(lambda: say("SHOW"))
    if not server.start():
        say("FAILED", server.errorString())
        return 4
    # Quit when the test closes our stdin (or kills us): no orphan left behind. Started
    # detached (stdin not a pipe, as `screenpop pop` starts the app), it runs until SIGTERM.
    if stat.S_ISFIFO(os.fstat(0).st_mode):
        if sys.platform == "win32":  # QSocketNotifier watches sockets only, not pipes, there
            threading.Thread(target=_quit_when_stdin_closes, args=(app,), daemon=True).start()
        else:
            stdin_watch = QSocketNotifier(0, QSocketNotifier.Type.Read, app)
            stdin_watch.activated.connect(lambda *_: None if os.read(0, 512) else app.quit())
    signal.signal(signal.SIGTERM, lambda *_: app.quit())
    heartbeat = QTimer()  # lets Python run its signal handlers while Qt waits
    heartbeat.start(200)
    heartbeat.timeout.connect(lambda: None)
    say("LISTENING", server.name)
    code = app.exec()
    server.close()
    guard.release()
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
