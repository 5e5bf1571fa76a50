"""The contact form's boxes and batches (app.core.form_boxes): linear in the fields."""

from __future__ import annotations

from typing import Any

from app.core.contact import Contact, ContactGroup
from app.core.contact_view import ContactView, build_contact_view
from app.core.field_mapping import FieldMapping
from app.core.form_boxes import form_boxes, laid_out

NUMBER = "+919876543210"


class CountedName(str):
    """A group name that counts how often it is compared or hashed."""

    __slots__ = ()
    operations = 0

    def __eq__(self, other: object) -> bool:
        CountedName.operations += 1
        return str.__eq__(self, other)

    def __hash__(self) -> int:
        CountedName.operations += 1
        return str.__hash__(self)


def _view(groups: Any) -> ContactView:
    return build_contact_view(Contact(NUMBER, tuple(groups)), FieldMapping(()))


def _groups_view(count: int) -> ContactView:
    return _view([ContactGroup("Cu", (("mobile", 919876543210), ("Name", "A"))),
                  *(ContactGroup(CountedName(f"Group {i}"), (("Name", f"n{i}"),))
                    for i in range(count))])


def _operations_to_box(view: ContactView) -> int:
    CountedName.operations = 0
    form_boxes(view)
    return CountedName.operations


def test_grouping_work_grows_linearly_with_the_groups() -> None:
    # Was: every section scanned every field once per group (10,000 groups: 11 s).
    small, large = _operations_to_box(_groups_view(1_000)), _operations_to_box(_groups_view(4_000))
    assert large <= 4 * small * 1.2, (small, large)
    assert large <= 10 * 4_000


def test_boxes_keep_sections_then_groups_in_first_seen_order() -> None:
    view = _view([ContactGroup("Cu", (("mobile", 919876543210), ("Name", "A"))),
                  ContactGroup("Lead", (("Source", "web"),)),
                  ContactGroup("Extra", (("Name", "B"),))])
    boxes = form_boxes(view)
    assert [box.title for box in boxes] == ["More details", "More details — Lead",
                                            "More details — Extra"]
    assert [f.group for _, f in laid_out(boxes)].count("Cu") == 2
    groups_in_order = [box.fields[0].group for box in boxes if box.fields[0].group != "Cu"]
    assert groups_in_order == ["Lead", "Extra"]
    assert sum(len(box.fields) for box in boxes) == len(view.fields())


def test_a_long_group_name_makes_a_bounded_one_line_title() -> None:
    view = _view([ContactGroup("Cu", (("mobile", 919876543210), ("Name", "A"))),
                  ContactGroup("G\n" + "x" * 20_000, (("Name", "B"),))])
    last = form_boxes(view)[-1]
    assert len(last.title) <= 60
    assert "\n" not in last.title
    assert last.full_title.endswith("x" * 20_000)
