"""The field mapping in use: the IT preset's, else an admin's saved one, else the shipped one.

A preset's ``field_mapping`` (``app.services.preset``) is managed: the editor shows it
read-only and ``ActiveMapping.save`` refuses (``ManagedByPreset``). A preset mapping that
cannot be used is warned about, naming the preset, and the profile's own mapping counts.

``ActiveMapping`` holds the one in use and announces a newly saved one; the functions below
read and write the file without Qt.

A broken saved file never stops the app: the shipped default is used, the file is left as it
is (nothing the admin wrote is lost) and the caller gets a plain warning to show.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final

from PySide6.QtCore import QObject, Signal

from app.core.field_mapping import (
    FieldMapping,
    FieldMappingError,
    default_mapping,
    load_mapping,
    save_mapping,
)
from app.core.small_file import may_exist
from app.services.preset import NO_PRESET, Preset, read_preset

log = logging.getLogger(__name__)

MAPPING_FILE_NAME: Final = "field_mapping.json"


def active_mapping_path(profile_dir: Path) -> Path:
    return Path(profile_dir) / MAPPING_FILE_NAME


def load_active_mapping(profile_dir: Path,
                        preset: Preset = NO_PRESET) -> tuple[FieldMapping, str | None]:
    """(mapping, warning): the preset's mapping if it sets a usable one, else the saved
    mapping if valid, else the default; with a warning for each that could not be used."""
    if preset.mapping_file is not None:
        try:
            return load_mapping(preset.mapping_file), None
        except FieldMappingError as exc:
            problem = (f"The field mapping of {preset.label} could not be used, so this "
                       f"computer's own is shown instead. ({exc})")
            log.warning("%s", problem)
            mapping, warning = load_active_mapping(profile_dir)
            return mapping, " ".join(filter(None, (problem, warning)))
    path = active_mapping_path(profile_dir)
    try:
        return load_mapping(path), None
    except FieldMappingError as exc:
        if not may_exist(path):
            return default_mapping(), None
        warning = (f"The saved field mapping could not be used, so the standard one is shown "
                   f"instead. Fix or re-import it under Tools › Field mapping. ({exc})")
        log.warning("%s", warning)
        return default_mapping(), warning


def save_active_mapping(profile_dir: Path, mapping: FieldMapping) -> Path:
    path = active_mapping_path(profile_dir)
    save_mapping(mapping, path)
    return path


def reset_active_mapping(profile_dir: Path) -> None:
    """Back to the shipped default (the saved file is removed)."""
    active_mapping_path(profile_dir).unlink(missing_ok=True)


class ActiveMapping(QObject):
    """The profile's field mapping in use; ``changed(mapping)`` after the admin saved one."""

    changed = Signal(object)  # FieldMapping

    def __init__(self, profile_dir: Path, parent: QObject | None = None, *,
                 preset: Preset | None = None) -> None:
        super().__init__(parent)
        self._profile_dir = Path(profile_dir)
        self._preset = read_preset() if preset is None else preset
        self.mapping, self.warning = load_active_mapping(self._profile_dir, self._preset)
        # The preset's mapping file, when it is the one in use: read-only here.
        self.managed_by = (self._preset.path if self._preset.mapping_file is not None
                           and self.warning is None else None)

    def save(self, mapping: FieldMapping) -> Path:
        """Write it to the profile and use it; OSError if the file cannot be written,
        ``ManagedByPreset`` (an OSError too) if the IT preset sets the mapping."""
        if self.managed_by is not None:
            raise self._preset.refusal("The field mapping")
        path = save_active_mapping(self._profile_dir, mapping)
        self.mapping = mapping
        self.changed.emit(mapping)
        return path
