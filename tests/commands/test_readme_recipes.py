"""The README's softphone recipes, run as written, and its account of ``screenpop state``.

An integrator copies these lines into a softphone; if one stops working (or ``state`` gains a
call key nobody documented), the README is wrong, and this says so.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from app.services.call_tracker import CallTracker
from tests.commands.test_event import running
from tests.sources.processes import REPO, LineProcess, screenpop

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX socket files")

__all__ = ["running"]  # the headless stand-in app, shared with test_event.py

README = (REPO / "README.md").read_text(encoding="utf-8")
PLACEHOLDERS = {"<call id>": "r-1", "<caller number>": "08302390884"}


def section(title: str) -> str:
    start = README.index(f"\n### {title}")
    return README[start:README.index("\n### ", start + 1)]


def recipe(hook: str) -> list[str]:
    """The arguments after ``screenpop`` on the README's ``<hook>:`` line, placeholders filled."""
    found = re.search(rf"^{hook}:\s+screenpop (.+)$", section("Any other softphone"), re.M)
    assert found, f"no {hook!r} line in the README's recipe"
    line = found.group(1)
    for placeholder, value in PLACEHOLDERS.items():
        line = line.replace(placeholder, value)
    return shlex.split(line)


def test_the_call_event_recipe_runs_as_written(running: LineProcess, tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []
    for hook, prefix in (("incoming call", "POP "), ("call answered", "EVENT "),
                         ("call ended", "EVENT ")):
        result = screenpop(*recipe(hook), "--profile", str(tmp_path))
        assert result.returncode == 0, (hook, result.stderr)
        seen.append(json.loads(running.expect(prefix)))
    assert [(m.get("event", "ringing"), m["call_id"]) for m in seen] == [
        ("ringing", "r-1"), ("answered", "r-1"), ("ended", "r-1")]
    assert seen[0]["number"] == "+918302390884"


def flat(text: str) -> str:
    return " ".join(text.split())  # the README's line breaks are not its meaning


def test_each_recipe_says_what_to_do_without_a_call_id() -> None:
    microsip = flat(section("MicroSIP"))
    assert "(`cmdCallAnswer`, `cmdCallEnd`) append only the number, no call id" in microsip
    zoiper = flat(section("Zoiper"))
    assert "`event answered --call-id`" in zoiper
    assert "`event ended --call-id`" in zoiper
    assert "Without one, only `pop`." in zoiper
    other = flat(section("Any other softphone"))
    assert ("**No call id?** Run only `screenpop pop <caller number>` on the incoming call "
            "(without `--call-id`)") in other


def test_every_call_key_of_state_is_documented() -> None:
    # The keys the app's state takes from the call tracker (its idle shape has them all).
    keys = CallTracker.state(cast(CallTracker, SimpleNamespace(_shown=None)))
    bullet = README[README.index("* `screenpop state` reports the call shown"):]
    bullet = bullet[:bullet.index("\n* ")]
    for key in (*keys, "history", "call_state", "line"):
        assert f"`{key}`" in bullet, key
    assert '`"status": "withheld"` with `"number": null`' in bullet
    for state in ("null", '"ringing"', '"answered"', '"ended"'):
        assert f"`{state}`" in bullet, state
