"""The contact panel: renders the core's ContactView and reports what the agent typed.

No HTTP here. Sections follow the field mapping (standard, then custom); when the response has
more than one group, each further group gets its own box so every group stays visible. A contact
with thousands of fields shows the first batch (app.core.form_boxes) and a "Show all" button
that builds the rest a batch per turn of the event loop, so pops and ``state`` keep answering.
The view stays the source of truth: a field not built yet still has its value in the view.
"""

from __future__ import annotations

import dataclasses
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import (
    QFont,
    QFontMetrics,
    QKeyEvent,
    QKeySequence,
    QPalette,
    QRegularExpressionValidator,
    QShortcut,
)
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.core.contact_view import ContactView, FieldKey, FieldView
from app.core.form_boxes import FIRST_BATCH, LATER_BATCH, FormBox, form_boxes, laid_out
from app.ui.plain_text import ElidedLabel, plain_label, plain_tooltip, set_wrapped_text

TITLE_EM = 30  # a box title's widest, in letters of the user's font
# A later batch stops early after this long: a box costs far more than a field, and a slow
# machine more than ours, so a batch is bounded in time as well as in fields.
BATCH_SECONDS = 0.03

_EMAIL = r"[^@\s]*(@[^@\s]*)?"  # lenient while typing; the save validates properly
_PHONE = r"[+0-9 ()\-]*"
_DATE = r"[0-9\-/]*"
UNSAVED_MARK = " ● unsaved"  # after a field's label while what it shows is not in DeepCall


@dataclass(frozen=True)
class FieldProblem:
    """What is shown under a field: why it was not saved, and DeepCall's newer value when the
    same field changed there too (the agent chooses)."""

    error: str = ""
    theirs: str | None = None


Editor = QLineEdit | QPlainTextEdit


def _editor_for(field: FieldView) -> Editor:
    editor: Editor
    if field.input_type == "multiline":
        editor = QPlainTextEdit()
        editor.setPlainText(field.value)
        editor.setTabChangesFocus(True)  # Tab moves on, as in every other field
        # Three lines tall in the current font: scales with the user's DPI and font size.
        line = editor.fontMetrics().lineSpacing()
        editor.setMinimumHeight(line * 3 + 12)
        editor.setMaximumHeight(line * 4 + 12)
        editor.setReadOnly(field.read_only)
    else:
        editor = QLineEdit(field.value)
        editor.setReadOnly(field.read_only)
        editor.setCursorPosition(0)
        pattern = {"email": _EMAIL, "phone": _PHONE, "date": _DATE}.get(field.input_type)
        if pattern and not field.read_only:
            editor.setValidator(QRegularExpressionValidator(pattern, editor))
        if field.input_type == "date":
            editor.setPlaceholderText("dd-mm-yyyy")
        elif field.input_type == "email":
            editor.setPlaceholderText("name@example.com")
        hints = {"email": Qt.InputMethodHint.ImhEmailCharactersOnly,
                 "phone": Qt.InputMethodHint.ImhDialableCharactersOnly,
                 "date": Qt.InputMethodHint.ImhDate}.get(field.input_type)
        if hints is not None:
            editor.setInputMethodHints(hints)
    if field.read_only:
        # Looks like text on the window, not like an input: nobody tries to type into it.
        palette = editor.palette()
        palette.setColor(QPalette.ColorRole.Base, palette.color(QPalette.ColorRole.Window))
        editor.setPalette(palette)
        editor.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # still reachable to read/copy
        if not field.value and isinstance(editor, QLineEdit):
            editor.setPlaceholderText(field.read_only_hint)
    editor.setAccessibleName(field.display_name)
    editor.setAccessibleDescription(_description(field))
    target = f" → {field.directory_key}" if field.directory_key else " (not written back)"
    # The label first: a group name can be any length, and the tooltip is bounded.
    hint = f"\n{field.read_only_hint}" if field.read_only else ""
    editor.setToolTip(plain_tooltip(f"DeepCall label: {field.label}{target}\n"
                                    f"Group: {field.group}{hint}"))
    return editor


def _description(field: FieldView, unsaved: bool = False,
                 problem: FieldProblem | None = None, yours: str = "") -> str:
    """What a screen reader says after the field's name: read-only and why, unsaved, problem,
    and in a conflict both values (the choice is between them)."""
    parts = [f"read-only. {field.read_only_hint}" if field.read_only else ""]
    if field.pattern_hint:
        parts.append(f"like {field.pattern_hint}")
    parts.append("unsaved change" if unsaved else "")
    if problem is not None:
        parts.append(problem.error)
        if problem.theirs is not None:
            parts.append(f"DeepCall has “{problem.theirs}”, yours “{yours}”")
    return ", ".join(p for p in parts if p)


class _ReadOnlyHint(QObject):
    """Says why a read-only field takes no typing, when it gets the focus (keyboard users do
    not see tooltips)."""

    def __init__(self, form: ContactForm) -> None:
        super().__init__(form)
        self._form = form

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn:
            field = self._form.field_of(watched)
            if field is not None:
                self._form.hint.emit(field.read_only_hint)
        return False


def _layout(view: ContactView) -> ContactView:
    """``view`` without its values: what the form's widgets depend on."""
    return dataclasses.replace(view, sections=tuple(
        dataclasses.replace(s, fields=tuple(dataclasses.replace(f, value="") for f in s.fields))
        for s in view.sections))


class _WindowKeysFirst(QObject):
    """Keys of the window's own shortcuts win inside a field: on X11 a text field claims
    Ctrl+E for "end of line" (emacs style), and Ctrl+E must go to the first field there too.

    It watches only the field that has the focus (only that one is asked about shortcuts):
    a filter on every field ran Python for each of the hundred-odd events a pop sends them.
    """

    def __init__(self, form: ContactForm) -> None:
        super().__init__(form)
        self._form = form
        self.keys: tuple[QKeySequence, ...] = ()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._follow_focus)

    def _follow_focus(self, old: QWidget | None, now: QWidget | None) -> None:
        if isinstance(old, Editor):
            old.removeEventFilter(self)
        if isinstance(now, Editor) and self._form.isAncestorOf(now):
            now.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) \
                and QKeySequence(event.keyCombination()) in self.keys:
            event.ignore()  # not the field's: the window's shortcut runs
            return True
        return False


def _set_text(editor: Editor, text: str) -> None:
    if isinstance(editor, QPlainTextEdit):
        editor.setPlainText(text)
    else:
        editor.setText(text)


def _text_of(editor: Editor) -> str:
    return editor.toPlainText() if isinstance(editor, QPlainTextEdit) else editor.text()


class ContactForm(QScrollArea):
    """Sections of labelled inputs; scrolls when the window is small or the font is large."""

    field_edited = Signal(str, str, str)  # group, label, new text
    field_reverted = Signal(str, str)  # group, label: Esc put the saved value back
    conflict_resolved = Signal(str, str, bool)  # group, label, True: keep mine
    edits_changed = Signal()  # whether something differs from the saved values may have changed
    hint = Signal(str)  # a passing explanation (why a field is read-only) for the status bar
    all_fields_shown = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setAccessibleName("Contact details")
        # Tab goes from the last field straight on (to Save); the form takes the focus only
        # when it parks it there itself during a rebuild (setFocus ignores this policy).
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._editors: dict[FieldKey, Editor] = {}
        self._fields: dict[FieldKey, FieldView] = {}
        self._labels: dict[FieldKey, ElidedLabel] = {}
        self._changed: set[FieldKey] = set()  # built fields whose text is not the saved value
        self._problems: dict[FieldKey, FieldProblem] = {}
        self._problem_rows: dict[FieldKey, QWidget] = {}
        self._read_only_hint = _ReadOnlyHint(self)
        self._window_keys = _WindowKeysFirst(self)
        self._writing = False
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.revert_focused,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.view: ContactView | None = None
        # The page shown between callers ("Looking up…"), made once: every pop shows it,
        # and building and deleting a page each time cost more than the rest of clearing.
        self._waiting_page = QWidget()
        self._placeholder = plain_label()
        self._placeholder.setWordWrap(True)
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        waiting_layout = QVBoxLayout(self._waiting_page)
        waiting_layout.addStretch(1)
        waiting_layout.addWidget(self._placeholder)
        waiting_layout.addStretch(2)
        self._boxes: list[FormBox] = []
        self._started_boxes: set[int] = set()
        self._pending: deque[tuple[int, FieldView]] = deque()  # not built yet, in order shown
        # The agent's edits and focus from before a refresh, applied as their fields are built.
        self._carried: dict[FieldKey, str] = {}
        self._refocus: FieldKey | None = None
        # Containers of earlier contacts, deleted a part per turn of the event loop: deleting
        # thousands of widgets at once froze the loop for seconds, just as the next caller came.
        self._retired: list[QWidget] = []
        self._retire_timer = QTimer(self)
        self._retire_timer.setInterval(0)
        self._retire_timer.timeout.connect(self._delete_one_retired)
        self._outer = QVBoxLayout()
        self.show_all_button = QPushButton()
        self._showing_all = False
        self._batch_timer = QTimer(self)
        self._batch_timer.setSingleShot(True)
        self._batch_timer.setInterval(0)
        self._batch_timer.timeout.connect(self._build_next_batch)
        self.clear()

    # --- rendering ----------------------------------------------------------------------
    def _reset(self) -> None:
        self._batch_timer.stop()
        self._editors.clear()
        self._fields.clear()
        self._labels.clear()
        self._changed = set()
        self._problems = {}
        self._problem_rows = {}
        self._started_boxes.clear()
        self._pending = deque()
        self._carried = {}
        self._refocus = None
        self._boxes = []
        self._showing_all = False

    def _replace_container(self, container: QWidget) -> None:
        """Show ``container``; the one it replaces goes a part per turn of the event loop."""
        old = self.takeWidget()
        self.setWidget(container)
        if old is None:
            return
        old.hide()
        old.setParent(self)  # owned by Qt until its turn comes
        if old is self._waiting_page:
            return  # kept for the next caller
        self._retired += [*old.findChildren(QWidget, "", Qt.FindChildOption.FindDirectChildrenOnly),
                          old]
        self._retire_timer.start()

    def _delete_one_retired(self) -> None:
        if self._retired:
            self._retired.pop(0).deleteLater()
        if not self._retired:
            self._retire_timer.stop()

    def clear(self, message: str | None = None) -> None:
        self._reset()
        self.view = None
        self._placeholder.setText(message or "Waiting for a call. Numbers arrive from your "
                                  "softphone, the clipboard or “Simulate incoming call”.")
        if self.widget() is not self._waiting_page:
            self._replace_container(self._waiting_page)
        self.edits_changed.emit()

    def show_view(self, view: ContactView) -> None:
        """Render ``view``. The same caller again (a background refresh, a new mapping) keeps
        what the agent is typing: an identical view changes nothing, a changed one is rebuilt
        with the agent's edits and focus carried over (and as many fields as were shown). The
        first batch is built at once, the rest a batch per turn; an edit or the focus in a
        field further down comes back when that field is built, and counts as an edit till
        then."""
        if view == self.view:
            return
        same_caller = self.view is not None and self.view.caller_number == view.caller_number
        if same_caller and self.view is not None and _layout(view) == _layout(self.view):
            self._update_values(view)
            return
        carried = self.edits() if same_caller else {}
        focused = self._focused_key() if same_caller else None
        show_all = same_caller and self._showing_all
        if focused is not None:
            # Parked on the form while its field is rebuilt: keys typed meanwhile must not land
            # in whatever input Qt would pick next (the note box).
            self.setFocus(Qt.FocusReason.OtherFocusReason)
        self._reset()
        self.view = view
        self._boxes = form_boxes(view)
        container = QWidget()
        self._outer = QVBoxLayout(container)
        # The container grows to what its boxes need before they are laid out: otherwise every
        # batch first squeezes every earlier box into the old height, then lets it out again.
        self._outer.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        self.show_all_button = QPushButton()
        self.show_all_button.setAccessibleName("Show every field of this contact")
        self.show_all_button.clicked.connect(self.show_all_fields)
        self._outer.addWidget(self.show_all_button)
        self._outer.addStretch(1)
        self._replace_container(container)
        self._pending = deque(laid_out(self._boxes))
        server = {f.key: f.value for _, f in self._pending if not f.read_only}
        self._carried = {key: text for key, text in carried.items()
                         if key in server and text != server[key]}
        self._refocus = focused
        self._build(FIRST_BATCH)
        if show_all or self._carried or self._refocus is not None:
            # The rest as before: a batch per turn, the loop keeps answering.
            self.show_all_fields()
        self.edits_changed.emit()

    def _update_values(self, view: ContactView) -> None:
        """The same fields with new values (a refresh, a save delivered): each editor the
        agent has not changed shows its new value; an edited one is left alone, with its
        cursor, selection and undo, and stays an edit unless it now holds DeepCall's value."""
        fields = {f.key: f for f in view.fields()}
        self.view = view
        for key, editor in self._editors.items():
            old, field = self._fields[key], fields[key]
            self._fields[key] = field
            if field.value != old.value and _text_of(editor) == old.value:
                self._write(editor, field.value)
                if isinstance(editor, QLineEdit):
                    editor.setCursorPosition(0)  # as built: a long value shows its start
            self._note_change(key, announce=False)
        self._pending = deque((box, fields[f.key]) for box, f in self._pending)
        self._carried = {key: text for key, text in self._carried.items()
                         if text != fields[key].value}
        self.edits_changed.emit()
        if self._showing_all and not self._pending:
            # As after a rebuild: whoever waits for every field of this view hears it (later,
            # as a rebuild's last batch would be).
            QTimer.singleShot(0, self, self.all_fields_shown.emit)

    def _build(self, count: int, seconds: float | None = None) -> None:
        """Build the next ``count`` pending fields into boxes of their own, stopping early
        once ``seconds`` have passed.

        A batch never adds rows to a box built earlier: a layout grows at a cost in its rows,
        so adding to one box of thousands would make every batch slower than the last. A box
        that a batch boundary splits goes on in a "(continued)" box.
        """
        deadline = None if seconds is None else time.monotonic() + seconds
        previous = next(reversed(self._editors.values()), None)
        forms: dict[int, QFormLayout] = {}
        built: list[Editor] = []
        refocus: Editor | None = None
        # One widget per batch, added to the form once: the form's own layout stays a few
        # dozen items long however many boxes there are.
        chunk = QWidget()
        chunk_layout = QVBoxLayout(chunk)
        chunk_layout.setContentsMargins(0, 0, 0, 0)
        while self._pending and len(built) < count:
            if deadline is not None and built and time.monotonic() > deadline:
                break
            box_index, field = self._pending.popleft()
            editor = _editor_for(field)
            label = ElidedLabel(field.display_name, max_em=24)
            label.setBuddy(editor)
            if not field.known:
                label.set_full_text(field.display_name, "Not in the field mapping: shown as "
                                    f"DeepCall sent it. {field.read_only_hint}")
            if box_index not in forms:
                forms[box_index] = self._new_box(box_index, chunk_layout)
            forms[box_index].addRow(label, editor)
            self._editors[field.key] = editor
            self._fields[field.key] = field
            self._labels[field.key] = label
            if field.read_only:
                editor.installEventFilter(self._read_only_hint)
            else:
                self._connect(field, editor)
            text = self._carried.pop(field.key, None)  # writable fields only (show_view)
            if text is not None:
                self._write(editor, text)
                self._note_change(field.key, announce=False)
            if field.key in self._problems:
                self._render_problem(field.key)
            if field.key == self._refocus:
                refocus, self._refocus = editor, None
            built.append(editor)
        if built:
            # Boxes go above the "Show all" button and the closing stretch.
            self._outer.insertWidget(self._outer.count() - 2, chunk)
            chunk.show()  # now, not a turn later: its cost counts in this batch's time
        if refocus is not None and self.window().focusWidget() is self:
            # Still parked on the form: the agent has not moved elsewhere meanwhile.
            refocus.setFocus(Qt.FocusReason.OtherFocusReason)
        for before, after in zip([previous, *built], built, strict=False):
            if before is not None:  # Tab walks the fields in the order shown, box by box
                QWidget.setTabOrder(before, after)
        self._update_show_all_button()

    def _new_box(self, box_index: int, chunk_layout: QVBoxLayout) -> QFormLayout:
        box_view = self._boxes[box_index]
        continued = " (continued)" if box_index in self._started_boxes else ""
        self._started_boxes.add(box_index)
        box = QGroupBox()
        # A title is never elided by Qt: cut it to what fits a narrow form, measured in bold
        # as most styles (Fusion among them) draw it.
        bold = QFont(box.font())
        bold.setBold(True)
        metrics = QFontMetrics(bold)
        title = metrics.elidedText(box_view.title, Qt.TextElideMode.ElideRight,
                                   box.fontMetrics().horizontalAdvance("M") * TITLE_EM) + continued
        box.setTitle(title.replace("&", "&&"))  # "R&D" is a name, not a shortcut for Alt+D
        box.setAccessibleName(box_view.title + continued)
        if title != box_view.full_title + continued:
            box.setToolTip(plain_tooltip(box_view.full_title))
        # Its own height, always: squeezed boxes would be resized again with every batch.
        box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        # Rows never wrap: a wrapping row makes every box height-for-width, and then each
        # batch re-measured every box built before it (10,000 boxes: 0.2 s per turn). Labels
        # are elided to fit instead, the whole label in their tooltip.
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        chunk_layout.addWidget(box)
        return form

    def _update_show_all_button(self) -> None:
        total = len(self._editors) + len(self._pending)
        self.show_all_button.setVisible(bool(self._pending))
        if self._showing_all:
            self.show_all_button.setEnabled(False)
            self.show_all_button.setText(f"Showing {len(self._editors):,} of {total:,} fields…")
        else:
            self.show_all_button.setText(f"Show all {total:,} fields")

    def show_all_fields(self) -> None:
        """Build every field still pending, a batch per turn of the event loop."""
        self._showing_all = True
        self._update_show_all_button()
        self._batch_timer.start()

    def _build_next_batch(self) -> None:
        self._build(LATER_BATCH, BATCH_SECONDS)
        if self._pending:
            self._batch_timer.start()
        else:
            self.all_fields_shown.emit()

    def give_keys_to_the_window(self, keys: tuple[QKeySequence, ...]) -> None:
        """These shortcuts of the window work inside the fields too (see _WindowKeysFirst)."""
        self._window_keys.keys = keys

    def pending_count(self) -> int:
        """Fields of the current view not built yet (their values are in ``view``)."""
        return len(self._pending)

    def _focused_key(self) -> FieldKey | None:
        return next((key for key, editor in self._editors.items() if editor.hasFocus()), None)

    def _connect(self, field: FieldView, editor: Editor) -> None:
        key = field.key
        if isinstance(editor, QPlainTextEdit):
            editor.textChanged.connect(lambda: self._on_typed(key, editor.toPlainText()))
        else:
            editor.textEdited.connect(lambda text: self._on_typed(key, text))

    def _on_typed(self, key: FieldKey, text: str) -> None:
        if self._writing:
            return  # the form set this text (a draft, a revert): no keystroke of the agent's
        problem = self._problems.get(key)
        if problem is not None and problem.error:
            # The agent is fixing it: the old reason would now be wrong, or at least stale.
            self._set_problem(key, FieldProblem(theirs=problem.theirs))
        elif problem is not None and problem.theirs is not None:
            self._render_problem(key)  # "yours" in the choice is what is typed now
        self._note_change(key)
        self.field_edited.emit(key[0], key[1], text)

    # --- unsaved marks, problems, reverting ---------------------------------------------
    def _note_change(self, key: FieldKey, announce: bool = True) -> None:
        """``key``'s text is or is no longer the saved value: its mark, the Save button."""
        editor, field = self._editors[key], self._fields[key]
        unsaved = _text_of(editor) != field.value
        if unsaved == (key in self._changed):
            return
        if unsaved:
            self._changed.add(key)
        else:
            self._changed.discard(key)
        self._render_mark(key)
        if announce:
            self.edits_changed.emit()

    def _render_mark(self, key: FieldKey) -> None:
        field, unsaved = self._fields[key], key in self._changed
        label = self._labels[key]
        label.set_full_text(field.display_name + (UNSAVED_MARK if unsaved else ""),
                            "Not saved in DeepCall yet: Ctrl+S saves, Esc goes back to the "
                            "saved value." if unsaved else "")
        editor = self._editors[key]
        editor.setAccessibleDescription(
            _description(field, unsaved, self._problems.get(key), _text_of(editor)))

    def has_edits(self) -> bool:
        """Something differs from the saved values (cheap: kept up to date as the agent types)."""
        return bool(self._changed or self._carried)

    def show_problems(self, problems: Mapping[FieldKey, FieldProblem]) -> None:
        """Show these problems under their fields (a field not built yet gets its own when it
        is); every other field's problem goes."""
        wanted = {key: p for key, p in problems.items()
                  if self.view is not None and self.view.field(key) is not None
                  and (p.error or p.theirs is not None)}
        for key in set(self._problems) | set(wanted):
            self._set_problem(key, wanted.get(key, FieldProblem()))

    def problem(self, key: FieldKey) -> FieldProblem:
        return self._problems.get(key, FieldProblem())

    def problem_row(self, key: FieldKey) -> QWidget | None:
        """The widget under ``key``'s field showing its problem (tests, accessibility)."""
        return self._problem_rows.get(key)

    def _set_problem(self, key: FieldKey, problem: FieldProblem) -> None:
        if problem == self._problems.get(key, FieldProblem()):
            return
        if problem.error or problem.theirs is not None:
            self._problems[key] = problem
        else:
            self._problems.pop(key, None)
        if key in self._editors:
            self._render_problem(key)

    def _render_problem(self, key: FieldKey) -> None:
        editor = self._editors[key]
        old = self._problem_rows.pop(key, None)
        box = editor.parentWidget()
        form = box.layout() if box is not None else None
        if old is not None and isinstance(form, QFormLayout):
            form.removeRow(old)
        self._render_mark(key)
        problem = self._problems.get(key)
        if problem is None or not isinstance(form, QFormLayout):
            return
        row, _role = cast(tuple[int, QFormLayout.ItemRole], form.getWidgetPosition(editor))
        widget = self._problem_widget(key, problem)
        form.insertRow(row + 1, "", widget)
        widget.show()  # now, not a turn later: a screen reader reads it with the field
        self._problem_rows[key] = widget
        if problem.theirs is not None:
            keep, use = widget.findChildren(QPushButton)
            QWidget.setTabOrder(editor, keep)  # right after the field: Tab reaches the choice
            QWidget.setTabOrder(keep, use)

    def _problem_widget(self, key: FieldKey, problem: FieldProblem) -> QWidget:
        field = self._fields[key]
        widget = QWidget()
        layout = QVBoxLayout(widget)
        layout.setContentsMargins(0, 0, 0, 0)
        if problem.error:
            message = QLabel()
            set_wrapped_text(message, problem.error)  # DeepCall's words can be in it
            message.setAccessibleName(f"Problem with {field.display_name}")
            message.setAccessibleDescription(problem.error)  # the name hides the text
            message.setForegroundRole(QPalette.ColorRole.Link)  # stands out in light and dark
            layout.addWidget(message)
        if problem.theirs is not None:
            theirs = QLabel()
            yours = _text_of(self._editors[key])
            both = f"Changed in DeepCall meanwhile to “{problem.theirs}”. Yours: “{yours}”."
            set_wrapped_text(theirs, both)
            theirs.setAccessibleName(f"DeepCall's value of {field.display_name}")
            theirs.setAccessibleDescription(both)
            # The buttons say what each keeps: a screen-reader user chooses between values.
            keep = QPushButton("Keep mine")
            keep.setAccessibleName(f"Keep my value of {field.display_name}")
            keep.setAccessibleDescription(f"Saves yours, “{yours}”, over DeepCall's")
            use = QPushButton("Use DeepCall's")
            use.setAccessibleName(f"Use DeepCall's value of {field.display_name}")
            use.setAccessibleDescription(f"Replaces yours with DeepCall's, “{problem.theirs}”")
            group, label = key
            keep.clicked.connect(lambda: self.conflict_resolved.emit(group, label, True))
            use.clicked.connect(lambda: self.conflict_resolved.emit(group, label, False))
            buttons = QHBoxLayout()
            buttons.addWidget(keep)
            buttons.addWidget(use)
            buttons.addStretch(1)
            layout.addWidget(theirs)
            layout.addLayout(buttons)
        return widget

    def restore_edits(self, values: Mapping[FieldKey, str]) -> None:
        """Type ``values`` into their writable fields as if the agent had (drafts after a
        crash, a new call, a refusal): marked unsaved, counted by ``edits()``. A field not
        built yet gets its text when it is."""
        if self.view is None:
            return
        later = False
        for key, text in values.items():
            field = self.view.field(key)
            if field is None or field.read_only:
                continue
            editor = self._editors.get(key)
            if editor is None:
                if text != field.value:
                    self._carried[key] = text
                    later = True
                continue
            if _text_of(editor) != text:
                self._write(editor, text)
            self._note_change(key, announce=False)
        if later:
            self.show_all_fields()
        self.edits_changed.emit()

    def revert_focused(self) -> None:
        """Esc: the focused field shows its saved value again. In a conflict that is
        DeepCall's newer value ("Use DeepCall's"), never the stale one the form was filled
        with."""
        key = self._focused_key()
        if key is None or self._fields[key].read_only:
            return
        if self.problem(key).theirs is not None:
            self.conflict_resolved.emit(key[0], key[1], False)
            return
        self._write(self._editors[key], self._fields[key].value)
        self._set_problem(key, FieldProblem())
        self._note_change(key)
        self.field_reverted.emit(*key)

    def _write(self, editor: Editor, text: str) -> None:
        self._writing = True
        try:
            _set_text(editor, text)
        finally:
            self._writing = False

    def field_of(self, editor: QObject) -> FieldView | None:
        key = next((k for k, e in self._editors.items() if e is editor), None)
        return self._fields.get(key) if key is not None else None

    # --- reading back -------------------------------------------------------------------
    def editor(self, label: str, group: str | None = None) -> Editor | None:
        """The input of ``label`` (in ``group``, or the first group that has it), if built."""
        for (g, lbl), editor in self._editors.items():
            if lbl == label and (group is None or g == group):
                return editor
        return None

    def values(self) -> dict[str, str]:
        """Every field of the view by display name (as ``ContactView.display_values`` names
        them): what the agent typed where a field is built, the view's value where not yet."""
        return self.view.display_values(self.edits()) if self.view is not None else {}

    def edits(self) -> dict[FieldKey, str]:
        """Only what the agent changed: (group, label) -> new text (an edit carried through a
        refresh to a field not built again yet included)."""
        typed = {key: _text_of(editor) for key, editor in self._editors.items()
                 if _text_of(editor) != self._fields[key].value}
        return {**self._carried, **typed}

    def inputs(self) -> list[Editor]:
        return list(self._editors.values())
