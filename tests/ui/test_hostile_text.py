"""DeepCall's text is text: markup from the server shows as its characters, everywhere.

Caller names, labels, group names and values come from callers and lead forms. A name like
``<b style=...>FRAUD ALERT</b>`` must not render as a red headline, and ``<img src=...>`` must
not load a local file: every label showing outside text is plain text, every tooltip escaped.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFont, QFontMetrics, QImage, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QGroupBox,
    QLabel,
    QLineEdit,
    QToolTip,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.api.auth import Auth
from app.api.client import DeepCallClient
from app.api.models import CampaignCount, Counters, RecentCall
from app.core.contact import Contact, ContactGroup
from app.core.contact_view import build_contact_view
from app.core.field_mapping import FieldMapping
from app.core.screen_text import TOOLTIP_CHARS, ZERO_WIDTH_SPACE
from app.sandbox.accounts import DEMO_TOKEN, DEMO_USER_ID
from app.sandbox.seed import DEMO_KNOWN_NUMBER
from app.sandbox.server import SandboxServer
from app.services.secrets import MemorySecretStore
from app.services.settings import Settings
from app.ui.contact_form import TITLE_EM, ContactForm
from app.ui.crash_dialog import CrashReporter
from app.ui.error_banner import ErrorAction, ErrorView
from app.ui.mapping_editor import MappingEditor
from app.ui.plain_text import ElidedLabel, plain_tooltip
from app.ui.settings_dialog import SettingsDialog
from app.ui.tray import Tray
from tests.fixtures.qt_async import wait_signal, wait_until
from tests.ui.conftest import StackFactory, quiesce

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]
KNOWN = "+" + DEMO_KNOWN_NUMBER
MARKUP = "<b style='color:red;font-size:40pt'>FRAUD ALERT</b><img src='file:///etc/hosts'>"
RAW_TAGS = ("<b style", "<img")


def markup_contact() -> dict[str, dict[str, object]]:
    """A contact whose every name, label, group and value is markup."""
    return {"Cu": {"mobile": int(DEMO_KNOWN_NUMBER), "Name": MARKUP, f"{MARKUP} label": MARKUP},
            f"{MARKUP} group": {"Email": MARKUP, "Notes": MARKUP}}


def tooltip_shows(tip: str) -> str:
    """The characters a tooltip shows (its invisible break points left out)."""
    return html.unescape(tip).replace(ZERO_WIDTH_SPACE, "")


def drawn_as_its_characters(label: QLabel) -> bool:
    """Whether ``label`` draws its text as the characters themselves (as the same text,
    escaped, draws as rich text) and not as the markup would render: the pixels, not a
    setting. The label is restored afterwards."""
    text, text_format = label.text(), label.textFormat()

    def drawn(shown: str, as_format: Qt.TextFormat) -> QImage:
        label.setTextFormat(as_format)
        QLabel.setText(label, shown)  # as given, past ElidedLabel's own setText
        return label.grab().toImage()

    try:
        characters = drawn(html.escape(text), Qt.TextFormat.RichText)
        rendered = drawn(text, Qt.TextFormat.RichText)
    finally:
        label.setTextFormat(text_format)
        QLabel.setText(label, text)
    shown = label.grab().toImage()
    return shown == characters and shown != rendered


def _labels_with_markup(root: QWidget) -> list[QLabel]:
    """Labels showing outside text (an elided one by its whole text)."""
    return [label for label in root.findChildren(QLabel)
            if "FRAUD" in (label.full_text() if isinstance(label, ElidedLabel) else label.text())]


def _raw_tooltips(root: QWidget) -> list[str]:
    """Tooltips that still hold a tag Qt would render (escaped ones hold "&lt;")."""
    return [w.toolTip() for w in [root, *root.findChildren(QWidget)]
            if any(tag in w.toolTip() for tag in RAW_TAGS)]


def test_markup_from_deepcall_shows_as_its_characters_in_the_window(
        make_stack: StackFactory, sandbox: SandboxServer, run_async: RunAsync) -> None:
    sandbox.craft_contact_info(KNOWN, markup_contact())
    stack = make_stack()
    window = stack.window

    async def pop() -> None:
        assert stack.pop(KNOWN)
        await wait_until(lambda: window.status == "found")
        await quiesce()

    run_async(pop())
    # The other places DeepCall's words land: counters, recent calls, an error, a note failure.
    window.counters.show_counters(Counters(agent_status=MARKUP, login_type="WebRTC",
                                           campaigns=(CampaignCount(MARKUP, 3),)))
    window.show_recent_calls([RecentCall("c1<b>", "inbound", MARKUP, 30, datetime(2026, 1, 2),
                                         MARKUP, MARKUP)])
    window.banner.show_error(ErrorView(MARKUP, ErrorAction.RETRY))
    window.notes.note_failed(MARKUP)

    header = window.header.caller_name
    assert MARKUP.startswith(header.text().rstrip("…"))
    assert header.textFormat() == Qt.TextFormat.PlainText
    assert drawn_as_its_characters(header)
    assert drawn_as_its_characters(window.banner.message)
    shown = _labels_with_markup(window)
    # header name, the unmapped label's row, counters, error banner, note status
    assert len(shown) >= 5, [label.accessibleName() for label in shown]
    assert [label.accessibleName() or label.text() for label in shown
            if label.textFormat() != Qt.TextFormat.PlainText] == []
    assert _raw_tooltips(window) == []
    item = window.recent.topLevelItem(0)
    assert item is not None
    assert item.text(4) == MARKUP  # items are plain; their tooltips are escaped
    assert not any(tag in item.toolTip(col) for col in range(5) for tag in RAW_TAGS)
    assert "&lt;b style" in item.toolTip(4)
    name = window.form.editor("Name")
    assert isinstance(name, QLineEdit)
    assert name.text() == MARKUP
    titles = [box.title() for box in window.form.findChildren(QGroupBox)]
    assert any(title.startswith("More details — <b style") for title in titles), titles
    assert stack.state()["fields"]["Name"] == MARKUP  # type: ignore[index]


def test_the_tray_never_hands_markup_to_the_desktop(qtbot: QtBot) -> None:
    tray = Tray()
    tray.set_state("found", f"{MARKUP} (+91 98765 43210)")
    tip = tray.icon.toolTip()
    assert "FRAUD ALERT" in tip
    assert "<" not in tip
    assert ">" not in tip


def test_an_ampersand_from_deepcall_never_becomes_a_keyboard_shortcut(
        make_stack: StackFactory, sandbox: SandboxServer, run_async: RunAsync) -> None:
    # "R&D" as a box title underlined the D and took Alt+D from "Sen&d note".
    sandbox.craft_contact_info(KNOWN, {"Cu": {"mobile": int(DEMO_KNOWN_NUMBER), "Name": "A"},
                                       "R&D": {"Q&A": "B"}})
    stack = make_stack()

    async def pop() -> None:
        assert stack.pop(KNOWN)
        await wait_until(lambda: stack.window.status == "found")
        await quiesce()

    run_async(pop())
    titles = [box.title() for box in stack.window.form.findChildren(QGroupBox)]
    labels = [label.text() for label in stack.window.form.findChildren(ElidedLabel)]
    assert any("R&&D" in title for title in titles), titles  # shown as "R&D"
    assert any("Q&&A" in label for label in labels), labels
    assert [text for text in titles + labels if not QKeySequence.mnemonic(text).isEmpty()] == []


# Every bidi embedding, override, isolate and mark: each can reorder the text after it.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


@pytest.mark.usefixtures("tray_notices_seen")
def test_the_tray_and_its_notification_always_show_the_callers_number(
        make_stack: StackFactory, sandbox: SandboxServer, run_async: RunAsync,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A long name with markup and a right-to-left override in it: the number after the name
    # must neither be cut off nor shown reversed, and the desktop must get no markup.
    name = f"{MARKUP}\u202e{BIDI_CONTROLS}" + "Ravi " * 200
    sandbox.craft_contact_info(KNOWN, {"Cu": {"mobile": int(DEMO_KNOWN_NUMBER), "Name": name}})
    stack = make_stack()
    stack.settings.pop_behaviour = "tray_only"
    tray = stack.session.tray
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(tray.icon, "isVisible", lambda: True)
    monkeypatch.setattr(tray.icon, "showMessage",
                        lambda title, message, *_: shown.append((title, message)))

    async def pop() -> None:
        assert stack.pop(KNOWN)
        await wait_until(lambda: stack.window.status == "found")
        await quiesce()

    run_async(pop())
    number = stack.coordinator.current.formatted  # type: ignore[union-attr]
    assert number
    title, message = shown[-1]
    tip = tray.icon.toolTip()
    for text in (message, tip, stack.window.header.caller_name.text()):
        assert not set(BIDI_CONTROLS) & set(text), repr(text[:80])
    for text in (message, tip):
        assert f"({number})" in text, text
        assert not set("<>") & set(text + title), text
    assert "FRAUD ALERT" in message


@pytest.mark.usefixtures("tray_notices_seen")
def test_the_agent_copies_and_is_notified_of_the_real_error_text(
        make_stack: StackFactory, run_async: RunAsync, monkeypatch: pytest.MonkeyPatch) -> None:
    # A long unbreakable host name: the banner shows it with invisible break points, which
    # must not reach the notification or what the agent copies.
    host = "deepcall-" + "x" * 40 + "." + "y" * 30 + ".invalid"
    stack = make_stack(base_url=f"https://{host}")
    stack.settings.pop_behaviour = "tray_only"
    tray = stack.session.tray
    shown: list[str] = []
    monkeypatch.setattr(tray.icon, "isVisible", lambda: True)
    monkeypatch.setattr(tray.icon, "showMessage",
                        lambda _title, message, *_: shown.append(message))

    async def failing_pop() -> None:
        assert stack.pop(KNOWN)
        await wait_until(lambda: stack.window.status == "error")
        await quiesce()

    run_async(failing_pop())
    banner = stack.window.banner
    assert banner.view is not None
    assert host in banner.view.message
    assert ZERO_WIDTH_SPACE in banner.message.text()  # so it wraps in a narrow window
    assert host in shown[-1]
    assert ZERO_WIDTH_SPACE not in shown[-1]
    [copy] = banner.message.actions()
    copy.trigger()
    assert QApplication.clipboard().text() == banner.view.message


@pytest.mark.parametrize("text", ["W" * TOOLTIP_CHARS, "W" * 20_000, "W " * 3_000])
def test_a_tooltip_is_never_wider_than_the_screen(qtbot: QtBot, text: str) -> None:
    owner = QWidget()
    qtbot.addWidget(owner)
    owner.show()
    QToolTip.showText(QPoint(10, 10), plain_tooltip(text), owner)
    try:
        [tip] = [w for w in QApplication.topLevelWidgets()
                 if w.inherits("QTipLabel") and w.isVisible()]
        assert tip.width() <= owner.screen().availableGeometry().width()
        # All of the text up to the bound, only wrapped.
        assert tooltip_shows(tip.text()).count("W") == text[:TOOLTIP_CHARS].count("W")
    finally:
        QToolTip.hideText()


def test_an_inputs_tooltip_names_its_label_before_a_long_group(qtbot: QtBot) -> None:
    group = "G" * 20_000
    view = build_contact_view(Contact(KNOWN, (
        ContactGroup("Cu", (("mobile", int(DEMO_KNOWN_NUMBER)), ("Name", "A"))),
        ContactGroup(group, (("Lead source", "web"),)))), FieldMapping(()))
    form = ContactForm()
    qtbot.addWidget(form)
    form.show_view(view)
    editor = form.editor("Lead source", group)
    assert editor is not None
    tip = tooltip_shows(editor.toolTip())
    assert "Lead source" in tip[:TOOLTIP_CHARS // 2], tip[:100]
    assert "G" * 100 in tip


def test_a_box_title_fits_its_width_in_the_bold_letters_it_is_drawn_in(qtbot: QtBot) -> None:
    view = build_contact_view(Contact(KNOWN, (
        ContactGroup("Cu", (("mobile", int(DEMO_KNOWN_NUMBER)), ("Name", "A"))),
        ContactGroup("W" * 200, (("Lead source", "web"),)))), FieldMapping(()))
    form = ContactForm()
    qtbot.addWidget(form)
    form.show_view(view)
    [box] = [box for box in form.findChildren(QGroupBox) if "W" in box.title()]
    bold = QFont(box.font())
    bold.setBold(True)  # as Fusion and others draw a group box title
    widest = QFontMetrics(box.font()).horizontalAdvance("M") * TITLE_EM
    assert QFontMetrics(bold).horizontalAdvance(box.title()) <= widest
    assert box.title().endswith("…")


def test_an_elided_label_fits_again_after_a_font_change(qtbot: QtBot) -> None:
    label = ElidedLabel("A" * 200)
    qtbot.addWidget(label)
    label.resize(200, 40)
    label.show()
    qtbot.waitExposed(label)
    assert label.text().endswith("…")
    larger = label.font()
    larger.setPointSizeF(larger.pointSizeF() * 2)
    label.setFont(larger)  # the agent's font or the style changed: same width, bigger letters
    assert label.fontMetrics().horizontalAdvance(label.text()) <= label.contentsRect().width()
    assert label.text().endswith("…")


def test_a_label_built_hidden_is_elided_to_the_width_it_is_shown_at(qtbot: QtBot) -> None:
    # As a form row is built: the label is made, given its buddy and a tooltip, laid out,
    # and only then shown. It elides once there, to the width its layout gave it.
    row = QWidget()
    qtbot.addWidget(row)
    layout = QVBoxLayout(row)
    label = ElidedLabel("R&D " + "A" * 200, max_em=24)
    label.setBuddy(QLineEdit(row))
    label.set_full_text(label.full_text(), "Not in the field mapping")
    layout.addWidget(label)
    row.resize(200, 60)
    row.show()
    qtbot.waitExposed(row)

    def fits() -> bool:
        shown = label.text()
        return shown.startswith("R&&D ") and shown.endswith("…") and \
            label.fontMetrics().horizontalAdvance(shown.replace("&&", "&")) \
            <= label.contentsRect().width()

    assert fits(), label.text()
    assert "AAAA" in label.toolTip()
    assert "Not in the field mapping" in label.toolTip()
    narrow = label.text()
    row.hide()
    row.resize(400, 60)  # resized while hidden: elided again when shown, at the new width
    row.show()
    qtbot.waitExposed(row)
    assert fits(), label.text()
    assert len(label.text()) > len(narrow)


async def _counters_from(url: str, auth: Auth) -> Counters:
    """The connection test's own request: DeepCall's counters over HTTP."""
    async with DeepCallClient(url, auth) as client:
        return await client.counters()


def test_the_connection_test_shows_deepcall_words_as_text(
        qtbot: QtBot, tmp_path: Path, run_async: RunAsync, sandbox: SandboxServer) -> None:
    sandbox.craft_agent_status(MARKUP)
    dialog = SettingsDialog(Settings(tmp_path), MemorySecretStore(), _counters_from)
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.brand_url.setText(sandbox.base_url)
    dialog.user_id.setText(DEMO_USER_ID)
    dialog.secret.setText(DEMO_TOKEN)
    run_async(wait_signal(dialog.test_finished, 10, trigger=dialog.test_button.click))
    assert "<b style" in dialog.test_result.text()
    assert dialog.test_result.textFormat() == Qt.TextFormat.PlainText
    assert dialog.error.textFormat() == Qt.TextFormat.PlainText
    assert dialog.secret_note.textFormat() == Qt.TextFormat.PlainText


def test_the_mapping_editor_shows_a_file_problem_as_text(qtbot: QtBot, tmp_path: Path) -> None:
    editor = MappingEditor(FieldMapping(()))
    qtbot.addWidget(editor)
    bad = tmp_path / f"{MARKUP}.json".replace("/", "_")
    bad.write_text("{not json", encoding="utf-8")
    assert not editor.import_file(bad)
    assert "FRAUD" in editor.message.text()
    assert editor.message.textFormat() == Qt.TextFormat.PlainText


def test_the_crash_box_shows_the_log_path_as_text(qtbot: QtBot, tmp_path: Path,
                                                  run_async: RunAsync) -> None:
    folder = tmp_path / "<b style='color:red'>profile<br>"
    folder.mkdir()
    reporter = CrashReporter(folder / "screenpop.log", lambda: None)
    reporter.report(RuntimeError("a test crash"))

    run_async(wait_until(lambda: reporter.box is not None and reporter.box.isVisible()))
    box = reporter.box
    assert box is not None
    assert "<b style='color:red'>profile<br>" in box.informativeText()
    assert box.textFormat() == Qt.TextFormat.PlainText
    # The path is in the informative text: Qt gives it the box's format, checked as drawn-to.
    informative = box.findChild(QLabel, "qt_msgbox_informativelabel")
    assert informative is not None
    assert informative.textFormat() == Qt.TextFormat.PlainText
    box.close()


@pytest.mark.parametrize("length", [2_000, 20_000])
def test_a_huge_value_never_widens_the_window(make_stack: StackFactory, sandbox: SandboxServer,
                                              run_async: RunAsync, length: int) -> None:
    huge = "W" * (length - 4) + " end"  # one unbreakable run, in the widest letter
    sandbox.craft_contact_info(KNOWN, {
        "Cu": {"mobile": int(DEMO_KNOWN_NUMBER), "Name": huge, huge: huge},
        huge: {"Email": huge, "Notes": huge}})
    stack = make_stack()
    window = stack.window
    before = window.width()
    screen = window.screen().availableGeometry().width()

    async def pop() -> None:
        assert stack.pop(KNOWN)
        await wait_until(lambda: window.status == "found")
        await quiesce()

    run_async(pop())
    window.counters.show_counters(Counters(agent_status=huge, campaigns=(CampaignCount(huge, 1),)))
    window.banner.show_error(ErrorView(huge, ErrorAction.RETRY))
    window.notes.note_failed(huge)
    window.show_recent_calls([RecentCall("c1", "inbound", huge, 3, None, huge, huge)])

    QApplication.processEvents()  # let any layout that would grow do so
    # The window grows only when its content needs more than it has: it must not.
    assert window.minimumSizeHint().width() <= min(before, screen)
    assert window.width() == before
    # ...and the form needs no sideways scrolling: labels and box titles are cut to fit.
    assert window.form.horizontalScrollBar().maximum() == 0
    # ...nor do recent calls: a status as long as a book is cut, its whole text in the tooltip.
    assert window.recent.horizontalScrollBar().maximum() == 0
    call = window.recent.topLevelItem(0)
    assert call is not None
    assert huge[:TOOLTIP_CHARS] in tooltip_shows(call.toolTip(2))
    # The whole value stays reachable: the state snapshot and the field hold all of it, the
    # tooltip up to its bound.
    fields = stack.state()["fields"]
    assert isinstance(fields, dict)
    assert fields["Name"] == huge
    name = window.form.editor("Name")
    assert isinstance(name, QLineEdit)
    assert name.text() == huge
    shown = window.header.caller_name.text()
    assert shown.endswith("…")  # elided to the header's width: visibly cut, not clipped
    # Copying the name or the number gives the whole value, not what fits the header.
    for label in (window.header.caller_name, window.header.number):
        assert not label.hasSelectedText()
        assert label.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse \
            == Qt.TextInteractionFlag.NoTextInteraction
        [copy] = label.actions()
        copy.trigger()
        assert QApplication.clipboard().text() == label.full_text()
    assert window.header.caller_name.full_text() == huge
    assert len(shown) < 300
    tip = window.header.caller_name.toolTip()
    assert huge[:TOOLTIP_CHARS] in tooltip_shows(tip)
    if length <= TOOLTIP_CHARS:
        assert huge in tooltip_shows(tip)
