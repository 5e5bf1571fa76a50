"""The field mapping: how each DeepCall label is shown in the form and written back.

contactInfo returns display labels of the account's own configuration ("Name", "tarun", ...);
the Directory API writes fields by key (``name``, ``custom_field_3``). The mapping joins the two
and says how to lay each field out. Labels match case- and whitespace-insensitively; a label the
mapping does not know still gets a spec (custom section, at the end, read-only), so no field
DeepCall returns is ever dropped.

File format (JSON, UTF-8)::

    {"version": 1, "fields": [{"label": "Name", "section": "standard", "display_name": "Name",
      "order": 10, "input_type": "text", "directory_key": "name"}, ...]}

A writable field may also carry ``"pattern"`` (a regular expression the whole value must match
before it is saved, e.g. ``"[A-Z]{2}-[0-9]{4}"``) and ``"pattern_hint"`` (how the value should
look, for the message: "Customer ID must look like AB-1234"). Both are optional; a hint needs a
pattern. Values are checked in linear time (``app.core.safe_pattern``): a pattern that needs
backtracking, such as a back-reference, is refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal, cast, get_args

from app.core.resources import ResourceNotFound, resource_path
from app.core.safe_pattern import PatternRefused, check_pattern
from app.core.small_file import FileTooLarge, NotARegularFile, read_small_file

Section = Literal["standard", "custom"]
InputType = Literal["text", "multiline", "email", "phone", "date"]
SECTIONS: Final[tuple[str, ...]] = get_args(Section)
INPUT_TYPES: Final[tuple[str, ...]] = get_args(InputType)
STANDARD_DIRECTORY_KEYS: Final = ("name", "email", "address", "company", "designation", "dob")
_CUSTOM_KEY = re.compile(r"custom_field_[1-9][0-9]*")
FORMAT_VERSION: Final = 1
DEFAULT_MAPPING_RESOURCE: Final = "field_mapping.default.json"
# A mapping is a few kilobytes; like the settings files, more is not one (and must not be
# read whole into memory).
MAX_MAPPING_BYTES: Final = 1 << 20
# Unknown labels sort after every mapped field, in the order DeepCall sent them.
UNKNOWN_ORDER_BASE: Final = 1_000_000


class FieldMappingError(ValueError):
    """A mapping file or edit is not valid; the message says where and why, plainly."""


def normalise_label(label: str) -> str:
    """``" Customer  tier"`` and ``"customer tier"`` are the same label."""
    return " ".join(label.split()).casefold()


def is_directory_key(key: str) -> bool:
    return key in STANDARD_DIRECTORY_KEYS or _CUSTOM_KEY.fullmatch(key) is not None


@dataclass(frozen=True)
class FieldSpec:
    label: str
    section: Section
    display_name: str
    order: int
    input_type: InputType
    directory_key: str | None  # None: shown read-only (e.g. mobile), never written back
    known: bool = True  # False: the mapping did not list this label
    pattern: str = ""  # the whole value must match it to be saved ("" = no extra rule)
    pattern_hint: str = ""  # how a matching value looks, for the message

    @property
    def read_only(self) -> bool:
        return self.directory_key is None

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "label": self.label, "section": self.section, "display_name": self.display_name,
            "order": self.order, "input_type": self.input_type,
            "directory_key": self.directory_key}
        if self.pattern:
            data["pattern"] = self.pattern
        if self.pattern_hint:
            data["pattern_hint"] = self.pattern_hint
        return data


def refuse_unusable_pattern(pattern: str, where: str = "") -> None:
    """FieldMappingError, in plain words, if ``pattern`` cannot be used: not a regular
    expression, or one whose check could take minutes (``app.core.safe_pattern``, which
    also keeps the compiled form for the checks to come)."""
    if not pattern:
        return
    prefix = f"{where + ': ' if where else ''}'pattern'"
    try:
        check_pattern(pattern)
    except re.error as exc:
        raise FieldMappingError(f"{prefix} is not a valid regular expression ({exc.msg}, at "
                                f"position {exc.pos})") from None
    except PatternRefused as exc:
        raise FieldMappingError(f"{prefix} cannot be used: {exc}. Write it without that "
                                "(e.g. [A-Z0-9]+ in place of ([A-Z0-9]+)+)") from None


def _unknown_spec(label: str, position: int) -> FieldSpec:
    return FieldSpec(label=label, section="custom", display_name=label.strip() or label,
                     order=UNKNOWN_ORDER_BASE + position, input_type="text",
                     directory_key=None, known=False)


@dataclass(frozen=True)
class FieldMapping:
    """Validated specs, sorted by section then order."""

    fields: tuple[FieldSpec, ...]
    _by_label: dict[str, FieldSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_unique(self.fields)
        ordered = tuple(sorted(self.fields,
                               key=lambda f: (SECTIONS.index(f.section), f.order)))
        # frozen: the sorted copy and the index are set once, here.
        object.__setattr__(self, "fields", ordered)
        object.__setattr__(self, "_by_label", {normalise_label(f.label): f for f in ordered})

    def lookup(self, label: str) -> FieldSpec | None:
        return self._by_label.get(normalise_label(label))

    def spec_for(self, label: str, position: int = 0) -> FieldSpec:
        """The spec for a label DeepCall returned; unknown labels get a custom, read-only one.

        ``position`` (the label's place in the response) keeps unknown labels in the server's
        order at the end of the custom section.
        """
        return self.lookup(label) or _unknown_spec(label, position)

    def by_directory_key(self, key: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.directory_key == key), None)

    def to_json(self) -> dict[str, object]:
        return {"version": FORMAT_VERSION, "fields": [f.to_json() for f in self.fields]}

    def with_field(self, spec: FieldSpec) -> FieldMapping:
        """A copy with ``spec`` added or replacing the field with the same label (admin edit)."""
        key = normalise_label(spec.label)
        rest = [f for f in self.fields if normalise_label(f.label) != key]
        return FieldMapping((*rest, spec))

    def without_field(self, label: str) -> FieldMapping:
        key = normalise_label(label)
        return FieldMapping(tuple(f for f in self.fields if normalise_label(f.label) != key))


def _check_unique(fields: Iterable[FieldSpec]) -> None:
    labels: dict[str, str] = {}
    keys: dict[str, str] = {}
    for spec in fields:
        norm = normalise_label(spec.label)
        if norm in labels:
            raise FieldMappingError(
                f"the label {spec.label!r} is listed twice (also as {labels[norm]!r}); "
                "labels are compared ignoring case and spaces")
        labels[norm] = spec.label
        if spec.directory_key is not None:
            if spec.directory_key in keys:
                raise FieldMappingError(
                    f"labels {keys[spec.directory_key]!r} and {spec.label!r} both write to "
                    f"Directory key {spec.directory_key!r}; each key may be used once")
            keys[spec.directory_key] = spec.label


def _field_from_json(raw: object, index: int) -> FieldSpec:
    where = f"field {index + 1}"
    if not isinstance(raw, Mapping):
        raise FieldMappingError(f"{where}: expected an object with label, section, ... "
                                f"(got {type(raw).__name__})")
    label = raw.get("label")
    if not isinstance(label, str) or not label.strip():
        raise FieldMappingError(f"{where}: 'label' must be non-empty text")
    where = f"field {index + 1} ({label!r})"
    unknown = set(raw) - {"label", "section", "display_name", "order", "input_type",
                          "directory_key", "pattern", "pattern_hint"}
    if unknown:
        raise FieldMappingError(f"{where}: unknown entries {', '.join(sorted(unknown))}")
    section = raw.get("section", "custom")
    if section not in SECTIONS:
        raise FieldMappingError(f"{where}: 'section' must be one of {', '.join(SECTIONS)} "
                                f"(got {section!r})")
    display_name = raw.get("display_name", label)
    if not isinstance(display_name, str) or not display_name.strip():
        raise FieldMappingError(f"{where}: 'display_name' must be non-empty text")
    order = raw.get("order", 0)
    if not isinstance(order, int) or isinstance(order, bool):
        raise FieldMappingError(f"{where}: 'order' must be a whole number (got {order!r})")
    input_type = raw.get("input_type", "text")
    if input_type not in INPUT_TYPES:
        raise FieldMappingError(f"{where}: 'input_type' must be one of "
                                f"{', '.join(INPUT_TYPES)} (got {input_type!r})")
    key = raw.get("directory_key")
    if key is not None and (not isinstance(key, str) or not is_directory_key(key)):
        raise FieldMappingError(
            f"{where}: 'directory_key' must be one of {', '.join(STANDARD_DIRECTORY_KEYS)}, "
            f"custom_field_N, or null for a read-only field (got {key!r})")
    pattern, hint = raw.get("pattern", ""), raw.get("pattern_hint", "")
    for name, text in (("pattern", pattern), ("pattern_hint", hint)):
        if not isinstance(text, str):
            raise FieldMappingError(f"{where}: {name!r} must be text (got {text!r})")
    if hint.strip() and not pattern:
        raise FieldMappingError(f"{where}: 'pattern_hint' describes a 'pattern', and there "
                                "is none")
    if pattern and key is None:
        raise FieldMappingError(f"{where}: a 'pattern' checks what is written back, and this "
                                "field has no 'directory_key'")
    refuse_unusable_pattern(pattern, where)
    return FieldSpec(label=label.strip(), section=cast(Section, section),
                     display_name=display_name.strip(), order=order,
                     input_type=cast(InputType, input_type), directory_key=key,
                     pattern=pattern, pattern_hint=hint.strip())


def mapping_from_json(data: object) -> FieldMapping:
    """Validate parsed JSON into a mapping; ``FieldMappingError`` says what is wrong."""
    if not isinstance(data, Mapping):
        raise FieldMappingError("a field mapping file must hold a JSON object with 'fields'")
    version = data.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise FieldMappingError(f"this app reads field mapping version {FORMAT_VERSION}; "
                                f"the file says version {version!r}")
    fields = data.get("fields")
    if not isinstance(fields, list):
        raise FieldMappingError("the field mapping has no 'fields' list")
    return FieldMapping(tuple(_field_from_json(raw, i) for i, raw in enumerate(fields)))


def load_mapping(path: Path) -> FieldMapping:
    """Read and validate a mapping file (import); errors name the file and the problem."""
    try:
        text = read_small_file(Path(path), MAX_MAPPING_BYTES).decode("utf-8")
    except FileNotFoundError:
        raise FieldMappingError(f"{path}: file not found") from None
    except NotARegularFile:
        raise FieldMappingError(f"{path}: not a regular file") from None
    except FileTooLarge:
        raise FieldMappingError(f"{path}: larger than 1 MiB, so not a field mapping") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FieldMappingError(f"{path}: cannot be read ({type(exc).__name__})") from None
    try:
        return mapping_from_json(json.loads(text))
    except json.JSONDecodeError as exc:
        raise FieldMappingError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except FieldMappingError as exc:
        raise FieldMappingError(f"{path}: {exc}") from None
    except (RecursionError, MemoryError):  # a file made to exhaust the reader, not a mapping
        raise FieldMappingError(f"{path}: nested too deeply or too large to be a field "
                                "mapping") from None


def save_mapping(mapping: FieldMapping, path: Path) -> None:
    """Write a mapping file (export), atomically so a crash never leaves half a file."""
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps(mapping.to_json(), indent=2, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    tmp.replace(target)


def default_mapping() -> FieldMapping:
    """The mapping shipped in resources/ (matches the sandbox's demo account)."""
    try:
        return load_mapping(resource_path(DEFAULT_MAPPING_RESOURCE))
    except ResourceNotFound as exc:
        raise FieldMappingError(str(exc)) from None
