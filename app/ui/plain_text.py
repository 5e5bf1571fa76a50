"""Labels and tooltips for outside text: always plain, never wider than the window allows.

A QLabel guesses rich text from its content unless told otherwise, and a tooltip always
guesses: a caller named ``<img src=...>`` would load a file. Every label here is
``Qt.PlainText``; a tooltip gets HTML that shows the text as its own characters.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QAction, QGuiApplication, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QLabel, QWidget

from app.core.screen_text import LINE_CHARS, one_line, tooltip_text, wrappable


def plain_tooltip(text: str) -> str:
    """A tooltip showing ``text`` (bounded) character for character, wrapped."""
    if not text:
        return ""
    # Rich text Qt renders as the escaped characters; pre-wrap keeps line breaks and wraps.
    return f"<p style='white-space:pre-wrap'>{html.escape(tooltip_text(text))}</p>"


def offer_copy(widget: QWidget, title: str, text: Callable[[], str]) -> QAction:
    """A "Copy" entry in ``widget``'s context menu putting ``text()`` on the clipboard: for a
    label that shows its text cut or with break points, where a selection would copy those."""
    action = QAction(title, widget)
    action.triggered.connect(lambda: QGuiApplication.clipboard().setText(text()))
    widget.addAction(action)
    widget.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
    return action


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    return label


def set_wrapped_text(label: QLabel, text: str) -> None:
    """A word-wrapped message from outside (a server error): bounded, breakable anywhere long,
    the whole text in the tooltip when it had to be cut."""
    shown = wrappable(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setText(shown)
    label.setToolTip(plain_tooltip(text) if len(text) > len(shown.replace("\u200b", "")) else "")


class ElidedLabel(QLabel):
    """One line of plain text, elided with "…" to the width it is given; the full text in the
    tooltip when it does not fit (above any ``detail``). It asks for no more than ``max_em``
    letters of width and needs only a few: a long name never widens the window."""

    def __init__(self, text: str = "", parent: QWidget | None = None, max_em: int = 60) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self._max_em = max_em
        self._full = ""
        self._shown = ""
        self._detail = ""
        self._elided_at = -1  # the width the shown text was elided for; -1: elide again
        self.set_full_text(text)

    def full_text(self) -> str:
        return self._full

    def set_full_text(self, text: str, detail: str = "") -> None:
        """Show ``text``; ``detail`` (plain text too) is the tooltip, or follows the full text
        there when the label had to elide."""
        self._full = text
        self._detail = detail
        self._shown = one_line(text, LINE_CHARS)
        self._elided_at = -1
        self.updateGeometry()
        self._elide()

    def _elide(self) -> None:
        """Elide to the width the label has on screen. A hidden label (a form row being built,
        a panel not shown) shows its whole line instead and elides once shown, at the width
        its layout gave it: eliding at every width it passes through while it is built cost
        about four elisions a label a pop."""
        if not self.isVisible():
            self._elided_at = -1
            self._show(self._shown)
            return
        width = max(1, self.contentsRect().width())
        if width == self._elided_at:
            return  # a resize in height only, or a relayout that changed nothing
        self._elided_at = width
        self._show(self.fontMetrics().elidedText(self._shown, Qt.TextElideMode.ElideRight,
                                                 width))

    def _show(self, elided: str) -> None:
        # With a buddy, "&" would be a mnemonic marker: "R&D" must stay "R&D".
        shown = elided.replace("&", "&&") if self.buddy() is not None else elided
        if shown != self.text():  # setting text asks for a relayout: only when it changed
            super().setText(shown)
        tip = [self._full] if elided != self._full else []
        tooltip = plain_tooltip("\n\n".join([*tip, self._detail] if self._detail else tip))
        if tooltip != self.toolTip():
            self.setToolTip(tooltip)

    def setText(self, text: str) -> None:
        self.set_full_text(text)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.isVisible():  # a hidden one is elided when shown (``showEvent``)
            self._elide()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._elide()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            # Same width, other letters: what fitted may not any more (or more fits now).
            self._elided_at = -1
            self.updateGeometry()
            self._elide()

    def setBuddy(self, buddy: QWidget) -> None:
        super().setBuddy(buddy)
        if "&" in self._shown:  # only an "&" is shown differently with a buddy
            self._elided_at = -1
            self._elide()

    def sizeHint(self) -> QSize:
        metrics = self.fontMetrics()
        cap = metrics.horizontalAdvance("M") * self._max_em
        margins = self.contentsMargins()
        width = min(metrics.horizontalAdvance(self._shown), cap) + margins.left() \
            + margins.right() + 2
        return QSize(width, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance("M…") * 2,
                     super().minimumSizeHint().height())
