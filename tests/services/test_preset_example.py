"""packaging/preset.example.ini documents every key a preset takes, and what it shows is
valid: uncommented, each example line is read by the real Settings as a managed value with
no warning."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from app.services.preset import MAPPING_KEY, PRESET_ENV, load_preset
from app.services.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / "packaging" / "preset.example.ini"
EXAMPLE_LINE = re.compile(r"^;([a-z_]+)=(.*)$", re.MULTILINE)


def example_lines() -> dict[str, str]:
    return dict(EXAMPLE_LINE.findall(EXAMPLE.read_text(encoding="utf-8")))


def test_every_key_is_documented_once() -> None:
    names = [name for name, _ in EXAMPLE_LINE.findall(EXAMPLE.read_text(encoding="utf-8"))]
    declared = [info.name for info in Settings.declared()]
    assert sorted(names) == sorted([*declared, MAPPING_KEY])
    for info in Settings.declared():
        if info.default not in ("", None) and info.kind is not bool:
            # The default each key falls back to is written beside it.
            default = f"{info.default:g}" if isinstance(info.default, float) else info.default
            assert f"Default: {default}" in _comment_of(info.name), info.name


def _comment_of(name: str) -> str:
    """The comment block just above ``;name=...``."""
    text = EXAMPLE.read_text(encoding="utf-8")
    return text[:text.index(f"\n;{name}=")].rsplit("\n\n", 1)[-1]


def test_the_example_values_are_valid_and_all_managed(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    lines = example_lines()
    preset = tmp_path / "preset.ini"
    preset.write_text("[General]\n" + "".join(f"{k}={v}\n" for k, v in lines.items()),
                      encoding="utf-8")
    monkeypatch.setenv(PRESET_ENV, str(preset))
    with caplog.at_level(logging.WARNING):
        settings = Settings(tmp_path / "profile")
        for info in Settings.declared():
            assert settings.managed_by(info.name) == preset, info.name
    assert caplog.text == ""
    assert settings.run_program == r"C:\Program Files\Example CRM\crm-pop.exe"
    assert load_preset(preset).mapping_file == tmp_path / "field_mapping.json"


def test_it_is_told_plainly_that_a_preset_can_be_set_aside() -> None:
    """An agent owns their account: SCREENPOP_PRESET (or --brand) sets the preset aside.
    IT must not read the preset as a lock, and must know where it shows when it happens."""
    text = " ".join(line.lstrip("; ").strip() for line in EXAMPLE.read_text(
        encoding="utf-8").splitlines())
    assert "NOT: a security boundary" in text
    assert "SCREENPOP_PRESET sets a machine-wide preset aside, a warning naming it" in text
    assert "The demo (`screenpop --demo`) ignores the preset" in text
