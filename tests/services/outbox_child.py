"""A child process with a real outbox on a profile, sending one note to the sandbox, that
stops dead at a chosen point of the send so the test can SIGKILL it exactly there.

``python -m tests.services.outbox_child PROFILE SANDBOX_URL NUMBER TEXT POINT``, POINT:
- ``sending``: the ``sending`` mark is on the disk, the notesAdd request has not left;
- ``delivered``: DeepCall said yes, the outbox row has not been deleted yet.
At that point the child prints ``STOPPED`` and waits on its stdin until it is killed (an
empty stdin, a parent gone, ends it). The sandbox's demo credentials come from the test
code, never from the command line.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication

from app.services.outbox import NoteTarget, Outbox
from app.services.store import LocalStore
from app.ui.event_loop import AppEventLoop
from tests.fixtures.doubles import FixedAccount
from tests.services.outbox_parts import client_for

POINTS = ("sending", "delivered")


def _stop_at(point: str) -> None:
    real = getattr(LocalStore, f"outbox_{point}")

    def stop_here(store: LocalStore, item_id: int) -> None:
        if point == "sending":
            real(store, item_id)  # the mark is written (durably); the request would be next
        print("STOPPED", flush=True)
        sys.stdin.readline()  # until SIGKILL
        raise SystemExit(3)  # the parent went away without killing this process

    setattr(LocalStore, f"outbox_{point}", stop_here)


async def _send(profile: Path, url: str, number: str, text: str) -> None:
    store = LocalStore.in_profile(profile)
    account = FixedAccount(client_for(url))
    outbox = Outbox(store, account)
    outbox.add_note(NoteTarget(number), text)
    await asyncio.Event().wait()  # the note's send runs until the stop point


def main(argv: list[str]) -> int:
    profile, url, number, text, point = argv
    if point not in POINTS:
        print(f"POINT must be one of {POINTS}", file=sys.stderr)
        return 2
    _stop_at(point)
    app = QCoreApplication([])
    with asyncio.Runner(loop_factory=lambda: AppEventLoop(app)) as runner:
        runner.run(_send(Path(profile), url, number, text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
