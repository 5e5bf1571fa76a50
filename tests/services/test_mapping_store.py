"""The profile's saved field mapping, with the shipped default as the fallback."""

from __future__ import annotations

from pathlib import Path

from app.core.field_mapping import FieldSpec, default_mapping
from app.services.mapping_store import (
    active_mapping_path,
    load_active_mapping,
    reset_active_mapping,
    save_active_mapping,
)


def test_default_until_saved_then_the_saved_one(tmp_path: Path) -> None:
    mapping, warning = load_active_mapping(tmp_path)
    assert mapping == default_mapping()
    assert warning is None
    edited = default_mapping().with_field(
        FieldSpec("tarun", "custom", "Tarun", 5, "text", "custom_field_9"))
    save_active_mapping(tmp_path, edited)
    assert load_active_mapping(tmp_path) == (edited, None)
    reset_active_mapping(tmp_path)
    assert load_active_mapping(tmp_path)[0] == default_mapping()


def test_a_broken_saved_file_falls_back_and_is_kept(tmp_path: Path) -> None:
    path = active_mapping_path(tmp_path)
    path.write_text('{"fields": [{"label": "Name", "section": "nowhere"}]}', encoding="utf-8")
    mapping, warning = load_active_mapping(tmp_path)
    assert mapping == default_mapping()
    assert warning is not None
    assert "'section' must be one of" in warning
    assert "nowhere" in path.read_text(encoding="utf-8")
