"""Field mapping: the shipped default, load/validate, import/export, unknown labels."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.core import resources
from app.core.field_mapping import (
    FieldMapping,
    FieldMappingError,
    FieldSpec,
    default_mapping,
    load_mapping,
    mapping_from_json,
    save_mapping,
)

DEMO_KEYS = {
    "Name": "name", "Email": "email", "Address": "address", "Company": "company",
    "Designation": "designation", "DOB": "dob", "city": "custom_field_1",
    "Customer Tier": "custom_field_2", "Preferred Language": "custom_field_3",
    "Lead Source": "custom_field_4", "Lead Status": "custom_field_5",
}


def _valid_field(**overrides: object) -> dict[str, object]:
    return {"label": "Name", "section": "standard", "display_name": "Name", "order": 1,
            "input_type": "text", "directory_key": "name", **overrides}


def test_default_mapping_matches_the_demo_account() -> None:
    mapping = default_mapping()
    for label, key in DEMO_KEYS.items():
        spec = mapping.lookup(label)
        assert spec is not None, label
        assert spec.directory_key == key
    mobile = mapping.lookup("mobile")
    assert mobile is not None
    assert mobile.read_only
    assert mobile.input_type == "phone"
    assert mapping.lookup("Email").input_type == "email"  # type: ignore[union-attr]
    assert mapping.lookup("DOB").input_type == "date"  # type: ignore[union-attr]
    # Standard fields first, in the demo account's order, then the custom ones.
    assert [f.label for f in mapping.fields] == [
        "mobile", "Name", "Email", "Address", "Company", "Designation", "DOB", "city",
        "Customer Tier", "Preferred Language", "Lead Source", "Lead Status"]


def test_agrees_with_the_sandbox_demo_account() -> None:
    from app.sandbox.accounts import DEMO

    mapping = default_mapping()
    for spec in DEMO.fields:
        mapped = mapping.lookup(spec.label)
        assert mapped is not None, spec.label
        assert mapped.directory_key == spec.key, spec.label


@pytest.mark.parametrize("label", ["customer tier", "  Customer   Tier ", "CUSTOMER TIER",
                                   "Customer\tTier"])
def test_labels_match_ignoring_case_and_whitespace(label: str) -> None:
    spec = default_mapping().spec_for(label)
    assert spec.directory_key == "custom_field_2"
    assert spec.known


def test_unknown_labels_land_in_custom_at_the_end_never_dropped() -> None:
    mapping = default_mapping()
    first = mapping.spec_for("tarun", position=5)
    second = mapping.spec_for("efwf", position=2)
    for spec, label in ((first, "tarun"), (second, "efwf")):
        assert spec.section == "custom"
        assert spec.display_name == label
        assert spec.read_only
        assert not spec.known
        assert spec.order > max(f.order for f in mapping.fields)
    assert second.order < first.order  # keeps the server's order among unknown labels


def test_export_then_import_round_trips(tmp_path: Path) -> None:
    mapping = default_mapping().with_field(FieldSpec(
        label="tarun", section="custom", display_name="Tarun's notes", order=99,
        input_type="multiline", directory_key="custom_field_6"))
    path = tmp_path / "exported.json"
    save_mapping(mapping, path)
    assert load_mapping(path) == mapping
    assert json.loads(path.read_text(encoding="utf-8"))["version"] == 1
    assert load_mapping(path).lookup("TARUN").display_name == "Tarun's notes"  # type: ignore[union-attr]
    assert not list(tmp_path.glob("*.tmp"))


def test_with_field_replaces_and_without_field_removes() -> None:
    mapping = default_mapping()
    renamed = mapping.with_field(FieldSpec("name", "standard", "Full name", 10, "text", "name"))
    assert renamed.lookup("Name").display_name == "Full name"  # type: ignore[union-attr]
    assert len(renamed.fields) == len(mapping.fields)
    assert mapping.without_field("city").lookup("city") is None


@pytest.mark.parametrize(("data", "message"), [
    ([], "JSON object"),
    ({"fields": "x"}, "no 'fields' list"),
    ({"version": 2, "fields": []}, "version 2"),
    ({"fields": [42]}, "field 1: expected an object"),
    ({"fields": [_valid_field(label="")]}, "'label' must be non-empty"),
    ({"fields": [_valid_field(section="misc")]}, "'section' must be one of standard, custom"),
    ({"fields": [_valid_field(input_type="number")]}, "'input_type' must be one of"),
    ({"fields": [_valid_field(order="1")]}, "'order' must be a whole number"),
    ({"fields": [_valid_field(directory_key="custom_field_0")]}, "'directory_key' must be"),
    ({"fields": [_valid_field(directory_key="phone")]}, "'directory_key' must be"),
    ({"fields": [_valid_field(colour="red")]}, "unknown entries colour"),
    ({"fields": [_valid_field(), _valid_field(label=" NAME ", directory_key="email")]},
     "listed twice"),
    ({"fields": [_valid_field(), _valid_field(label="Full name")]},
     "both write to Directory key 'name'"),
])
def test_bad_mappings_are_refused_plainly(data: object, message: str) -> None:
    with pytest.raises(FieldMappingError, match=message.replace("(", r"\(")):
        mapping_from_json(data)


def test_bad_files_name_the_file_and_the_problem(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"fields": [\n  {"label": "Name",}\n]}', encoding="utf-8")
    with pytest.raises(FieldMappingError, match=r"broken.json: not valid JSON \(line 2"):
        load_mapping(broken)
    with pytest.raises(FieldMappingError, match="file not found"):
        load_mapping(tmp_path / "missing.json")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(FieldMappingError, match="cannot be read"):
        load_mapping(binary)


def test_mapping_is_sorted_by_section_then_order() -> None:
    mapping = FieldMapping((
        FieldSpec("b", "custom", "B", 1, "text", None),
        FieldSpec("a", "standard", "A", 5, "text", None),
        FieldSpec("c", "standard", "C", 2, "text", None),
    ))
    assert [f.label for f in mapping.fields] == ["c", "a", "b"]


def test_resources_found_in_a_wheel_layout_and_a_bundle(tmp_path: Path) -> None:
    """Copy app/ without resources/ beside it, as an installed wheel or a bundle has it."""
    source_app = Path(resources.__file__).resolve().parent.parent
    default_file = source_app.parent / "resources" / "field_mapping.default.json"
    code = ("import sys\nfrom app.core.field_mapping import default_mapping\n"
            "from app.core.resources import resource_path\n"
            "print(resource_path('field_mapping.default.json'))\n"
            "print(len(default_mapping().fields))")

    wheel = tmp_path / "wheel"
    shutil.copytree(source_app, wheel / "app", ignore=shutil.ignore_patterns("__pycache__"))
    (wheel / "app" / "_resources").mkdir()
    shutil.copy(default_file, wheel / "app" / "_resources")
    out = subprocess.run([sys.executable, "-c", code], cwd=wheel, capture_output=True,
                         text=True, timeout=60, env={"PYTHONPATH": str(wheel)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        str(wheel / "app" / "_resources" / "field_mapping.default.json"), "12"]

    bundle = tmp_path / "bundle"
    shutil.copytree(source_app, bundle / "app", ignore=shutil.ignore_patterns("__pycache__"))
    (bundle / "resources").mkdir()
    shutil.copy(default_file, bundle / "resources")
    frozen = f"import sys\nsys._MEIPASS = {str(bundle)!r}\n" + code
    out = subprocess.run([sys.executable, "-c", frozen], cwd=bundle, capture_output=True,
                         text=True, timeout=60, env={"PYTHONPATH": str(bundle)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == str(bundle / "resources" / "field_mapping.default.json")

    empty = tmp_path / "empty"
    shutil.copytree(source_app, empty / "app", ignore=shutil.ignore_patterns("__pycache__"))
    out = subprocess.run([sys.executable, "-c", code], cwd=empty, capture_output=True,
                         text=True, timeout=60, env={"PYTHONPATH": str(empty)})
    assert out.returncode != 0
    assert "field_mapping.default.json" in out.stderr
    assert "reinstall" in out.stderr


def test_a_pattern_and_its_hint_round_trip_through_a_file(tmp_path: Path) -> None:
    data = {"fields": [_valid_field(label="Customer ID", directory_key="custom_field_9",
                                    display_name="Customer ID", pattern="[A-Z]{2}-[0-9]{4}",
                                    pattern_hint=" AB-1234 ")]}
    spec = mapping_from_json(data).lookup("customer id")
    assert spec is not None
    assert (spec.pattern, spec.pattern_hint) == ("[A-Z]{2}-[0-9]{4}", "AB-1234")
    path = tmp_path / "mapping.json"
    save_mapping(mapping_from_json(data), path)
    assert load_mapping(path).lookup("Customer ID") == spec
    # A field without one writes no empty entries: older files stay as they were.
    assert "pattern" not in mapping_from_json({"fields": [_valid_field()]}).fields[0].to_json()


@pytest.mark.parametrize(("extra", "message"), [
    ({"pattern": "[A-Z"}, "'pattern' is not a valid regular expression"),
    ({"pattern": 7}, "'pattern' must be text"),
    ({"pattern_hint": "AB-1234"}, "'pattern_hint' describes a 'pattern', and there is none"),
    ({"pattern": "[0-9]+", "directory_key": None}, "this field has no 'directory_key'"),
])
def test_a_bad_pattern_is_refused_plainly(extra: dict[str, object], message: str) -> None:
    with pytest.raises(FieldMappingError, match=r"field 1 \('Name'\): .*" + message):
        mapping_from_json({"fields": [_valid_field(**extra)]})
