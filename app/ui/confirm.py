"""A question before something that cannot be undone, asked without a nested event loop.

``QMessageBox.exec()`` inside the qasync loop re-enters coroutines; the box is opened with
``open()`` and ``on_yes`` runs when the agent chooses the action. Cancel is the default
button, so a stray Enter never deletes anything.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget


def confirm(parent: QWidget, title: str, text: str, action: str,
            on_yes: Callable[[], object]) -> QMessageBox:
    """Ask; ``on_yes()`` only if the agent presses ``action``. The box (tests press it)."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text,
                      QMessageBox.StandardButton.Cancel, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)  # a caller's name is part of some questions
    yes = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def on_clicked(button: object) -> None:
        if button is yes:
            on_yes()

    box.buttonClicked.connect(on_clicked)
    box.open()
    return box
