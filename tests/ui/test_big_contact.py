"""A contact with thousands of fields or groups never freezes the loop.

10,000 fields once blocked ``state`` for 5 s and 10,000 groups for 11 s (the form's grouping was
quadratic, and it built a widget per field at once), so the next caller's pop failed. The form
now builds a first batch and the rest on request, a batch per turn of the event loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from app.core.contact import Contact, ContactGroup
from app.core.contact_view import build_contact_view
from app.core.field_mapping import UNKNOWN_ORDER_BASE, FieldMapping, FieldSpec
from app.core.form_boxes import FIRST_BATCH
from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_PLAIN_NUMBER
from app.sandbox.server import SandboxServer
from app.ui.contact_form import ContactForm
from tests.fixtures.qt_async import wait_signal, wait_until
from tests.ui.conftest import Stack, StackFactory, quiesce

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]
KNOWN = "+" + DEMO_KNOWN_NUMBER
PLAIN = "+" + DEMO_PLAIN_NUMBER
COUNT = 10_000
MOBILE = {"mobile": int(DEMO_KNOWN_NUMBER)}
SHAPES = {
    "fields": {"Cu": {**MOBILE, **{f"Field {i}": f"value {i}" for i in range(COUNT)}}},
    "groups": {"Cu": {**MOBILE, "Name": "Many Groups"},
               **{f"Group {i}": {"Name": f"name {i}"} for i in range(COUNT)}},
}


@contextmanager
def loop_heartbeat() -> Iterator[list[float]]:
    """The longest gap between two turns of the event loop, in seconds, while inside."""
    beats: list[float] = [time.monotonic()]
    longest = [0.0]

    def beat() -> None:
        now = time.monotonic()
        longest[0] = max(longest[0], now - beats[-1])
        beats.append(now)

    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(beat)
    timer.start()
    try:
        yield longest
    finally:
        timer.stop()
        beat()


def _timed_state(stack: Stack) -> tuple[float, dict[str, object]]:
    started = time.monotonic()
    state = stack.state()
    return time.monotonic() - started, state


@pytest.mark.parametrize("shape", ["fields", "groups"])
def test_thousands_of_fields_or_groups_keep_the_loop_answering(
        make_stack: StackFactory, sandbox: SandboxServer, run_async: RunAsync,
        shape: str) -> None:
    sandbox.craft_contact_info(KNOWN, SHAPES[shape])
    stack = make_stack(total_timeout=10.0)
    window = stack.window
    form = window.form

    async def pop_then_show_all() -> tuple[float, float]:
        with loop_heartbeat() as pop_gap:
            assert stack.pop(KNOWN)
            await wait_until(lambda: window.status == "found", 10)
        assert form.pending_count() > 0  # the rest waits for "Show all"
        assert len(form.inputs()) == FIRST_BATCH
        with loop_heartbeat() as build_gap:
            await wait_signal(form.all_fields_shown, 60, trigger=form.show_all_button.click)
        return pop_gap[0], build_gap[0]

    pop_gap, build_gap = run_async(pop_then_show_all())
    assert pop_gap < 1.0, f"the loop stood still {pop_gap:.2f} s during the pop"
    assert build_gap < 1.0, f"the loop stood still {build_gap:.2f} s building every field"
    assert form.pending_count() == 0
    every = sum(len(group) for group in SHAPES[shape].values())
    assert len(form.inputs()) == every
    took, state = _timed_state(stack)
    assert took < 1.0
    fields = state["fields"]
    assert isinstance(fields, dict)
    assert len(fields) == every
    assert form.values() == fields

    async def next_caller() -> None:  # the next caller pops as usual
        assert stack.pop(PLAIN)
        await wait_until(lambda: window.status == "found" and
                         window.header.caller_name.text() == "Rohan Gupta", 5)
        await quiesce()

    run_async(next_caller())


def _view(count: int, name_suffix: str = "") -> Any:
    groups = (ContactGroup("Cu", (("mobile", int(DEMO_KNOWN_NUMBER)),
                                  *((f"Field {i}", f"value {i}{name_suffix}")
                                    for i in range(count)))),)
    # "Field 500" is editable (written back) and shown in its place, beyond the first batch.
    late = FieldSpec("Field 500", "custom", "Field 500", UNKNOWN_ORDER_BASE + 501, "text",
                     "custom_field_1")
    return build_contact_view(Contact(KNOWN, groups), FieldMapping((late,)))


def test_fields_built_late_keep_their_edits_through_a_refresh(qtbot: QtBot,
                                                              run_async: RunAsync) -> None:
    form = ContactForm()
    qtbot.addWidget(form)
    form.show_view(_view(3 * FIRST_BATCH))
    assert form.editor("Field 500") is None
    # Not built yet, still there: the view is the source of truth.
    assert form.values()["Field 500"] == "value 500"
    run_async(wait_signal(form.all_fields_shown, 10, trigger=form.show_all_button.click))
    late = form.editor("Field 500")
    assert isinstance(late, QLineEdit)
    late.setText("typed by the agent")
    # A background refresh of the same caller: everything stays built, the edit stays.
    # As many fields as the agent had open come back (a batch per turn, as before).
    refreshed = _view(3 * FIRST_BATCH, name_suffix=" (refreshed)")
    run_async(wait_signal(form.all_fields_shown, 10, trigger=lambda: form.show_view(refreshed)))
    assert form.pending_count() == 0
    assert form.values()["Field 2"] == "value 2 (refreshed)"
    kept = form.editor("Field 500")
    assert isinstance(kept, QLineEdit)
    assert kept.text() == "typed by the agent"
    assert form.edits() == {("Cu", "Field 500"): "typed by the agent"}
