"""Editing in the window: Save/Add, shortcuts, Esc, inline problems, conflicts, unsaved marks,
drafts written by a throttle and brought back on a pop.

The window and the presenter are real, and so are the pop coordinator, the outbox and the note
drafts, on a DeepCall client talking to the sandbox over loopback HTTP; ContactEdits is the
in-memory double of tests/ui/edits_double.py, so each window behaviour is pinned down alone
(the real one is tested with the services, and in the whole app against the sandbox in
tests/ui/test_editing_for_real.py).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit, QPushButton, QWidget

from app.sandbox.server import SandboxServer
from app.services.store import FieldDraft
from app.ui.contact_form import UNSAVED_MARK
from app.ui.presenter import DRAFT_SAVE_DELAY_MS
from tests.fixtures.qt_async import wait_signal, wait_until
from tests.ui.editing_harness import CITY, EMAIL, KNOWN, PLAIN, UNKNOWN, editing

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]


def test_ctrl_s_saves_only_what_changed_and_the_form_then_shows_it_saved(
        run_async: RunAsync, sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with editing(sandbox, tmp_path) as ed:
            await ed.pop(KNOWN)
            window = ed.window
            assert window.save_button.text() == "&Save to DeepCall"
            assert not window.save_button.isEnabled()  # nothing changed yet
            ed.type_into(EMAIL, "aarav@new.example.in")
            assert window.save_button.isEnabled()
            assert ed.label_text(EMAIL).endswith(UNSAVED_MARK)
            QTest.keySequence(window, QKeySequence(QKeySequence.StandardKey.Save))
            assert ed.edits.calls == [("save", KNOWN, {EMAIL: "aarav@new.example.in"})]
            # Queued: what the agent typed is now the form's saved value, not an edit.
            assert window.form.edits() == {}
            assert ed.editor(EMAIL).text() == "aarav@new.example.in"
            assert not window.save_button.isEnabled()
            assert not ed.label_text(EMAIL).endswith(UNSAVED_MARK)

    run_async(scenario())


def test_an_unknown_caller_gets_add_to_deepcall(
        run_async: RunAsync, sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with editing(sandbox, tmp_path) as ed:
            await ed.pop(UNKNOWN)
            group = ed.window.form.view.fields()[0].group  # type: ignore[union-attr]
            assert ed.window.save_action.text() == "&Add to DeepCall"
            assert not ed.window.save_action.isEnabled()
            ed.type_into((group, "Name"), "Ravi Kumar")
            assert ed.window.save_action.isEnabled()
            ed.window.save_button.click()
            assert ed.edits.calls[-1] == ("save", UNKNOWN, {(group, "Name"): "Ravi Kumar"})

    run_async(scenario())


def test_an_invalid_value_is_explained_under_its_field_and_kept(
        run_async: RunAsync, sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with editing(sandbox, tmp_path) as ed:
            await ed.pop(KNOWN)
            ed.type_into(EMAIL, "aarav@")
            ed.window.save_button.click()
            form = ed.window.form
            row = form.problem_row(EMAIL)
            assert row is not None
            assert row.isVisibleTo(ed.window)
            messages = [w.text() for w in row.findChildren(QWidget) if hasattr(w, "text")]
            assert any("valid email" in m for m in messages)
            assert "valid email" in ed.editor(EMAIL).accessibleDescription()
            assert ed.editor(EMAIL).text() == "aarav@"  # nothing lost
            assert form.edits() == {EMAIL: "aarav@"}
            # A form-level reason is shown above the form.
            ed.edits.refusal = "DeepCall refused the change: the contact was deleted."
            ed.type_into(EMAIL, "aarav@fixed.example.in")
            assert form.problem_row(EMAIL) is None  # fixing it takes the old reason away
            ed.edits.problemsChanged.emit(KNOWN)
            assert ed.window.form_message.isVisibleTo(ed.window)
            assert "deleted" in ed.window.form_message.text()

    run_async(scenario())


def test_f2_and_ctrl_e_go_to_the_first_editable_field_and_esc_reverts_it(
        run_async: RunAsync, sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with editing(sandbox, tmp_path) as ed:
            await ed.pop(KNOWN)
            window = ed.window
            first = next(e for e in window.form.inputs() if not e.isReadOnly())
            assert isinstance(first, QLineEdit)
            for keys in (QKeySequence(Qt.Key.Key_F2), QKeySequence("Ctrl+E")):
                window.notes.editor.setFocus()
                await wait_until(lambda: window.notes.editor.hasFocus())
                QTest.keySequence(window, keys)
                await wait_until(first.hasFocus)
                # "Edit here", as F2 in a spreadsheet: the caret at the end, nothing selected
                # for the next key to wipe out.
                assert not first.hasSelectedText()
                assert first.cursorPosition() == len(first.text())
            saved = ed.editor(CITY).text()
            ed.type_into(CITY, "Pune")
            ed.presenter.keep_drafts()
            assert CITY in ed.edits.stored[KNOWN]
            QTest.keyClick(ed.editor(CITY), Qt.Key.Key_Escape)
            assert ed.editor(CITY).text() == saved
            assert ed.edits.calls[-1] == ("revert", KNOWN, CITY)
            assert CITY not in ed.edits.stored[KNOWN]
            assert not ed.label_text(CITY).endswith(UNSAVED_MARK)
            assert not window.save_button.isEnabled()

    run_async(scenario())


def test_a_conflict_shows_both_values_and_the_agent_chooses_by_keyboard(
        run_async: RunAsync, sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with editing(sandbox, tmp_path) as ed:
            base = ""
            ed.edits.stored[KNOWN] = {
                EMAIL: FieldDraft("Cu", "Email", "mine@example.in", base,
                                  theirs="theirs@example.in",
                                  error="Changed in DeepCall since you started editing."),
                CITY: FieldDraft("Cu", "city", "Pune", base, theirs="Nagpur")}
            await ed.pop(KNOWN)
            assert ed.editor(EMAIL).text() == "mine@example.in"  # the draft is back
            row = ed.window.form.problem_row(EMAIL)
            assert row is not None
            text = " ".join(w.text() for w in row.findChildren(QWidget) if hasattr(w, "text"))
            assert "theirs@example.in" in text
            assert "mine@example.in" in text
            keep, use = row.findChildren(QPushButton)
            assert (keep.text(), use.text()) == ("Keep mine", "Use DeepCall's")
            # Tab from the field reaches the choice.
            ed.editor(EMAIL).setFocus()
            await wait_until(ed.editor(EMAIL).hasFocus)
            QTest.keyClick(ed.editor(EMAIL), Qt.Key.Key_Tab)
            await wait_until(keep.hasFocus)
            QTest.keyClick(keep, Qt.Key.Key_Tab)
            await wait_until(use.hasFocus)
            QTest.keyClick(use, Qt.Key.Key_Space)  # "Use DeepCall's"
            await wait_until(lambda: ed.window.form.problem_row(EMAIL) is None)
            assert ("resolve", KNOWN, EMAIL, False) in ed.edits.calls
            assert ed.editor(EMAIL).text() == "theirs@example.in"
            assert EMAIL not in ed.window.form.edits()
            current = ed.parts.coordinator.current
            assert current is not None
            assert current.view is not None
            assert current.view.display_values()["Email"] == "theirs@example.in"
            # "Keep mine": the agent's value stays, now an edit of DeepCall's newer value.
            city = ed.window.form.problem_row(CITY)
            assert city is not None
            city.findChildren(QPushButton)[0].click()
            await wait_until(lambda: ed.window.form.problem_row(CITY) is None)
            assert ed.editor(CITY).text() == "Pune"
            assert ed.window.form.edits()[CITY] == "Pune"
            assert ed.parts.coordinator.current.view.display_values()["City"] == "Nagpur"  # type: ignore[union-attr]

    run_async(scenario())


def test_drafts_come_back_on_a_pop_marked_unsaved_and_in_state(
        run_async: RunAsync, sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with editing(sandbox, tmp_path) as ed:
            await ed.pop(KNOWN)
            ed.type_into(CITY, "Pune")
            await ed.pop(PLAIN)  # a new call: the first caller's typing is kept, not lost
            assert ed.edits.kept[-1] == (KNOWN, {CITY: "Pune"})
            assert ed.window.form.edits() == {}
            await ed.pop(KNOWN)
            assert ed.editor(CITY).text() == "Pune"
            assert ed.label_text(CITY).endswith(UNSAVED_MARK)
            assert "unsaved" in ed.editor(CITY).accessibleDescription()
            assert ed.window.save_button.isEnabled()
            state = ed.presenter.state()
            assert state["unsaved"] == {"City": "Pune"}
            assert state["field_errors"] == {}

    run_async(scenario())


def test_typing_without_pause_is_written_at_least_every_half_second(
        run_async: RunAsync, sandbox: SandboxServer, tmp_path: Path) -> None:
    """A throttle, not a debounce: the agent never pauses, the drafts are written anyway."""
    async def scenario() -> None:
        async with editing(sandbox, tmp_path) as ed:
            await ed.pop(KNOWN)
            city, note = ed.editor(CITY), ed.window.notes.editor
            city.setFocus()
            keys = iter("Thiruvananthapuram Kerala India" * 3)  # ~9 s at one key per 100 ms
            typist = QTimer()
            typist.setInterval(DRAFT_SAVE_DELAY_MS // 5)

            def key() -> None:
                char = next(keys, None)
                if char is None:
                    typist.stop()
                    return
                QTest.keyClicks(city, char)
                note.insertPlainText(char)

            typist.timeout.connect(key)
            typist.start()
            try:
                await wait_until(lambda: len(ed.edits.kept) >= 3, timeout=4)
                await wait_until(lambda: ed.parts.store.load_draft(KNOWN) != "", timeout=1)
                assert typist.isActive()  # written while the agent is still typing
                typed = [edits[CITY] for _, edits in ed.edits.kept]
                assert typed == sorted(typed, key=len)
                assert len(set(typed)) == len(typed)
            finally:
                typist.stop()

    run_async(scenario())


def test_an_unmapped_label_says_how_to_map_it(
        run_async: RunAsync, sandbox: SandboxServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        sandbox.craft_contact_info(KNOWN.lstrip("+"), {"Cu": {
            "mobile": int(KNOWN.lstrip("+")), "Name": "Aarav Mehta", "tarun": 42}})
        async with editing(sandbox, tmp_path) as ed:
            await ed.pop(KNOWN)
            view = ed.window.form.view
            assert view is not None
            unmapped = next(f for f in view.fields() if not f.known)
            editor = ed.window.form.editor(unmapped.label, unmapped.group)
            assert editor is not None
            assert editor.isReadOnly()
            hint = "map it in Tools → Field mapping"
            assert hint in editor.accessibleDescription()
            assert hint in editor.toolTip()
            await wait_signal(ed.window.form.hint, trigger=editor.setFocus)
            assert hint in ed.window.statusBar().currentMessage()

    run_async(scenario())


def test_tab_from_the_last_field_goes_to_save(
        run_async: RunAsync, sandbox: SandboxServer, tmp_path: Path) -> None:
    """No dead stop on the scrolling area around the fields between the last one and Save."""
    async def scenario() -> None:
        async with editing(sandbox, tmp_path) as ed:
            await ed.pop(KNOWN)
            await ed.pop(PLAIN)
            await ed.pop(KNOWN)  # a form built again, as on every call
            ed.type_into(CITY, "Pune")  # Save is enabled: it takes the focus
            last = ed.window.form.inputs()[-1]
            last.setFocus()
            await wait_until(last.hasFocus)
            QTest.keyClick(last, Qt.Key.Key_Tab)
            await wait_until(lambda: not last.hasFocus())
            assert ed.window.focusWidget() is ed.window.save_button

    run_async(scenario())
