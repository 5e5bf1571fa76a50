"""How the contact form groups and batches a ContactView: pure, linear in the fields.

A box per mapping section and group (the first group's boxes are titled by the section alone),
fields in the view's order. A contact with thousands of fields or groups is built a batch at a
time: the first ``FIRST_BATCH`` fields at once, the rest when the agent asks for them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from typing import Final

from app.core.contact_view import ContactView, FieldView
from app.core.screen_text import TITLE_CHARS, clip, one_line

FIRST_BATCH: Final = 200  # shown at once: more than any real contact has, cheap to build
LATER_BATCH: Final = 200  # built per turn of the event loop after "show all"


@dataclasses.dataclass(frozen=True)
class FormBox:
    title: str  # bounded, one line: group names are server data
    full_title: str
    fields: tuple[FieldView, ...]


def form_boxes(view: ContactView) -> list[FormBox]:
    """(section, group) boxes in section order, groups in the order they first appear."""
    group_rank: dict[str, int] = {}
    for f in view.fields():
        group_rank.setdefault(f.group, len(group_rank))
    primary = next(iter(group_rank), "")
    boxes: list[FormBox] = []
    for section in view.sections:
        by_group: dict[str, list[FieldView]] = {}
        for f in section.fields:
            by_group.setdefault(f.group, []).append(f)
        for group in sorted(by_group, key=group_rank.__getitem__):
            full = section.title if group == primary else f"{section.title} — {group}"
            boxes.append(FormBox(clip(one_line(full), TITLE_CHARS), full,
                                 tuple(by_group[group])))
    return boxes


def laid_out(boxes: Iterable[FormBox]) -> Iterator[tuple[int, FieldView]]:
    """(box index, field) in the order the form shows them."""
    for index, box in enumerate(boxes):
        for f in box.fields:
            yield index, f
