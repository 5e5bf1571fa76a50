"""The profile's field mapping: an admin's saved mapping, else the one shipped in resources/.

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

log = logging.getLogger(__name__)

MAPPING_FILE_NAME: Final = "field_mapping.json"


def active_mapping_path(profile_dir: Path) -> Path:
    return Path(profile_dir) / MAPPING_FILE_NAME


def load_active_mapping(profile_dir: Path) -> tuple[FieldMapping, str | None]:
    """(mapping, warning): the saved mapping if valid, else the default with a warning."""
    path = active_mapping_path(profile_dir)
    if not path.exists():
        return default_mapping(), None
    try:
        return load_mapping(path), None
    except FieldMappingError as exc:
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

    def __init__(self, profile_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._profile_dir = Path(profile_dir)
        self.mapping, self.warning = load_active_mapping(self._profile_dir)

    def save(self, mapping: FieldMapping) -> Path:
        """Write it to the profile and use it; OSError if the file cannot be written."""
        path = save_active_mapping(self._profile_dir, mapping)
        self.mapping = mapping
        self.changed.emit(mapping)
        return path
