"""The window, the presenter, the pop coordinator, the outbox and the note drafts wired as the
app wires them, on a DeepCall client talking to the sandbox over loopback HTTP. ContactEdits is
either the in-memory double (tests/ui/edits_double.py: a unit test of the window) or the real
one (drafts in SQLite, saves through the outbox to the sandbox's Directory)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit

from app.sandbox.server import SandboxServer
from app.services.contact_edits import ContactEdits
from app.services.note_drafts import NoteDrafts
from app.ui.main_window import MainWindow
from app.ui.presenter import WindowPresenter
from tests.fixtures.qt_async import wait_until
from tests.services.pop_parts import PopParts, pop_parts
from tests.ui.edits_double import MemoryEdits

KNOWN = "+919876543210"  # Aarav Mehta: every field, a Lead group
PLAIN = "+919988776655"  # Rohan Gupta
UNKNOWN = "+918302390884"
EMAIL = ("Cu", "Email")
CITY = ("Cu", "city")
E = TypeVar("E", bound=ContactEdits)


@dataclass
class Editing(Generic[E]):
    parts: PopParts
    window: MainWindow
    presenter: WindowPresenter
    edits: E

    async def pop(self, number: str) -> None:
        status = "unknown" if number == UNKNOWN else "found"
        self.parts.pop(number, source="test")
        await wait_until(lambda: self.window.status == status
                         and self.window.form.pending_count() == 0
                         and self.window.form.view is not None
                         and self.window.form.view.caller_number == number)

    def editor(self, key: tuple[str, str]) -> QLineEdit:
        editor = self.window.form.editor(key[1], key[0])
        assert isinstance(editor, QLineEdit)
        return editor

    def type_into(self, key: tuple[str, str], text: str) -> None:
        editor = self.editor(key)
        editor.setFocus()
        editor.selectAll()
        QTest.keyClicks(editor, text)

    def label_text(self, key: tuple[str, str]) -> str:
        editor = self.editor(key)
        box = editor.parentWidget()
        assert box is not None
        layout = box.layout()
        label = layout.labelForField(editor)  # type: ignore[attr-defined]
        return str(label.full_text())


@contextlib.asynccontextmanager
async def _editing(sandbox: SandboxServer, profile: Path,
                   real: bool) -> AsyncIterator[Editing[ContactEdits]]:
    async with pop_parts(sandbox.base_url, profile, dedupe_seconds=0) as parts:
        window = MainWindow()
        edits = ContactEdits(parts.store, parts.outbox) if real else MemoryEdits()
        if real:  # as app.session wires it
            parts.outbox.saveDelivered.connect(
                lambda _id, number, saved, kind: parts.coordinator.apply_saved(
                    number, saved, kind == "create"))
        presenter = WindowPresenter(window, parts.coordinator, parts.outbox,
                                    NoteDrafts(parts.store, parts.outbox), parts.account,
                                    edits=edits)
        window.show()
        window.activateWindow()
        try:
            yield Editing(parts, window, presenter, edits)
        finally:
            window.quitting = True
            window.close()
            window.deleteLater()


@contextlib.asynccontextmanager
async def editing(sandbox: SandboxServer, profile: Path) -> AsyncIterator[Editing[MemoryEdits]]:
    """The window with the in-memory ContactEdits."""
    async with _editing(sandbox, profile, real=False) as ed:
        yield ed  # type: ignore[misc]


@contextlib.asynccontextmanager
async def real_editing(sandbox: SandboxServer,
                       profile: Path) -> AsyncIterator[Editing[ContactEdits]]:
    """The window with the real ContactEdits: drafts in SQLite, saves to the sandbox."""
    async with _editing(sandbox, profile, real=True) as ed:
        yield ed
