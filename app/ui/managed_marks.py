"""How a value set by the IT preset looks: locked, with "Set by your IT department" beside it
and the preset's path in the tooltip (where IT, or support, finds the file to change)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from app.services.preset import MANAGED_NOTE
from app.ui.plain_text import plain_label, plain_tooltip


def managed_tip(preset: Path) -> str:
    return f"{MANAGED_NOTE} in {preset}; it cannot be changed here."


def managed_note(preset: Path) -> QLabel:
    """The words that say a value is IT's, as a label (named for screen readers)."""
    note = plain_label(MANAGED_NOTE)
    note.setObjectName("managedNote")
    note.setToolTip(plain_tooltip(managed_tip(preset)))
    note.setAccessibleName(MANAGED_NOTE)
    note.setAccessibleDescription(managed_tip(preset))
    return note


def locked(widget: QWidget, preset: Path) -> QWidget:
    """``widget`` disabled, with the managed note beside it: what a form shows in its place."""
    widget.setEnabled(False)
    widget.setToolTip(plain_tooltip(managed_tip(preset)))
    widget.setAccessibleDescription(managed_tip(preset))
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(widget, 1)
    row.addWidget(managed_note(preset))
    return box
