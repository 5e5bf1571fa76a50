"""End to end: the editing keys in the real app on X11 (xcb on Xvfb), typed by xdotool from
inside the fields, where a text field has key bindings of its own (Ctrl+E is "end of line" in
an X11 QLineEdit): F2 and Ctrl+E put the caret at the end of the first editable field, so the
next key adds to the value instead of wiping it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.sandbox.seed import DEMO_KNOWN_NUMBER
from tests.e2e.real_app import real_app

KNOWN = "+" + DEMO_KNOWN_NUMBER

pytestmark = [pytest.mark.xvfb,
              pytest.mark.skipif(shutil.which("xdotool") is None,
                                 reason="needs xdotool: apt-get install xdotool")]


def test_f2_and_ctrl_e_from_inside_a_field_put_the_caret_at_the_end_of_the_first_field(
        app_env: dict[str, str], tmp_path: Path) -> None:
    with real_app(tmp_path / "profile", app_env, tmp_path / "app.log") as app:
        assert app.cli("pop", KNOWN).returncode == 0
        fields = app.shown(KNOWN)["fields"]
        name, email, address = fields["Name"], fields["Email"], fields["Address"]
        app.focus_window()
        app.xdotool("key", "--clearmodifiers", "F2")
        app.xdotool("type", "--delay", "50", "Q")
        app.until_unsaved({"Name": name + "Q"})  # added at the end, the name not wiped out
        app.xdotool("key", "--clearmodifiers", "Escape")
        app.until_unsaved({})
        # From a line field (Email) and from a multi-line one (Address), Ctrl+E goes to
        # the end of Name, whatever the text field would do with it.
        app.xdotool("key", "--clearmodifiers", "F2", "Tab", "End")
        app.xdotool("type", "--delay", "50", "W")
        app.xdotool("key", "--clearmodifiers", "ctrl+e")
        app.xdotool("type", "--delay", "50", "E")
        app.until_unsaved({"Name": name + "E", "Email": email + "W"})
        app.xdotool("key", "--clearmodifiers", "Tab", "Tab", "ctrl+End")
        app.xdotool("type", "--delay", "50", "Z")
        app.xdotool("key", "--clearmodifiers", "ctrl+e")
        app.xdotool("type", "--delay", "50", "E")
        app.until_unsaved({"Name": name + "EE", "Email": email + "W", "Address": address + "Z"})
