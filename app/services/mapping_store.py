"""The profile's field mapping: an admin's saved mapping, else the one shipped in resources/.

A broken saved file never stops the app: the shipped default is used, the file is left as it
is (nothing the admin wrote is lost) and the caller gets a plain warning to show.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final

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
