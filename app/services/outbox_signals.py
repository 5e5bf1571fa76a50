"""What the outbox says about its items: the signals the note box, the form, the status bar
and the history listen to."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class OutboxSignals(QObject):
    noteSent = Signal(int, str, str)  # outbox id, caller number, the note's text
    # outbox id, caller number, plain message: not sent, kept (also for a held note, so a
    # note box waiting for its note's fate never stays on "Sending…")
    noteFailed = Signal(int, str, str)
    # A note that may already be in DeepCall (the connection broke after it was sent), or that
    # DeepCall refused: kept, not resent, until the agent confirms or discards it.
    noteHeld = Signal(int, str, str)  # outbox id, caller number, plain message
    # DeepCall accepted a save: id, number, {directory key: value} as saved, kind (update|create)
    saveDelivered = Signal(int, str, object, str)
    saveWaiting = Signal(int, str, str)  # id, number, plain message: not sent yet, kept, retried
    # A save refused or in conflict with a newer change there: its edits are back among the
    # caller's drafts with the reason (ContactEdits has them). id, number, the form-level
    # message ("" when every reason sits next to a field).
    saveReturned = Signal(int, str, str)
    countsChanged = Signal(int, int)  # waiting (sending or to be retried), held for the agent
