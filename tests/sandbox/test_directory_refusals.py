"""Directory refusals a test asks for: the Do-Not-Call list (1510) and a create that loses the
race to a colleague's create of the same number (1504), from Python and the admin API."""

from __future__ import annotations

import httpx
import pytest

from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_PLAIN_NUMBER, DEMO_UNKNOWN_NUMBER
from app.sandbox.server import SandboxServer
from tests.sandbox.conftest import Post
from tests.sandbox.helpers import TOKEN, error_code

NEW_NAME = {"name": "Meera Nair"}


def test_a_number_on_the_dnc_list_refuses_update_and_create_with_1510(
        post: Post, sandbox: SandboxServer) -> None:
    sandbox.mark_dnc("9876543210")  # the 10-digit reading of DEMO_KNOWN_NUMBER
    sandbox.mark_dnc("+" + DEMO_UNKNOWN_NUMBER)
    update = post("Directory/update", {**TOKEN, "contact": DEMO_KNOWN_NUMBER,
                                       "contactinfo": NEW_NAME})
    create = post("Directory/create", {**TOKEN, "contact": DEMO_UNKNOWN_NUMBER,
                                       "contactinfo": NEW_NAME})
    assert (error_code(update), error_code(create)) == (1510, 1510)
    assert update["message"].startswith("DNC error")
    record = sandbox.contact(DEMO_KNOWN_NUMBER)
    assert record is not None
    assert record.values["name"] == "Aarav Mehta"  # nothing written
    assert sandbox.contact(DEMO_UNKNOWN_NUMBER) is None
    # Reading is not refused, and other numbers are not on the list.
    assert error_code(post("Directory/getInfo", {**TOKEN, "cn": DEMO_KNOWN_NUMBER})) is None
    assert error_code(post("Directory/update", {**TOKEN, "contact": DEMO_PLAIN_NUMBER,
                                                "contactinfo": NEW_NAME})) is None
    sandbox.reset()
    assert error_code(post("Directory/update", {**TOKEN, "contact": DEMO_KNOWN_NUMBER,
                                                "contactinfo": NEW_NAME})) is None


def test_a_create_racing_a_colleagues_create_answers_1504_and_the_contact_exists(
        post: Post, sandbox: SandboxServer) -> None:
    sandbox.race_next_create(DEMO_UNKNOWN_NUMBER, {"name": "Colleague Entry",
                                                   "company": "Nair Exports"})
    before = post("Directory/getInfo", {**TOKEN, "cn": DEMO_UNKNOWN_NUMBER})
    assert error_code(before) == 1012  # the client's check: no contact yet
    mine = post("Directory/create", {**TOKEN, "contact": DEMO_UNKNOWN_NUMBER,
                                     "contactinfo": NEW_NAME})
    assert error_code(mine) == 1504
    after = post("Directory/getInfo", {**TOKEN, "cn": DEMO_UNKNOWN_NUMBER})
    assert (after["message"]["name"], after["message"]["company"]) == (
        "Colleague Entry", "Nair Exports")
    # Once: the colleague's create has landed; an update now works as usual.
    assert error_code(post("Directory/update", {**TOKEN, "contact": DEMO_UNKNOWN_NUMBER,
                                                "contactinfo": NEW_NAME})) is None


@pytest.mark.parametrize(("path", "body"), [
    ("dnc", {"number": "+" + DEMO_PLAIN_NUMBER}),
    ("race-create", {"number": DEMO_UNKNOWN_NUMBER, "contactinfo": {"name": "Colleague"}}),
])
def test_the_admin_api_sets_them_up_and_refuses_a_bad_body(
        http: httpx.Client, post: Post, path: str, body: dict[str, object]) -> None:
    assert http.post(f"/__sandbox__/{path}", json=body).json() == {"ok": True}
    number = str(body["number"])
    if path == "dnc":
        answer = post("Directory/update", {**TOKEN, "contact": number, "contactinfo": NEW_NAME})
        assert error_code(answer) == 1510
    else:
        answer = post("Directory/create", {**TOKEN, "contact": number, "contactinfo": NEW_NAME})
        assert error_code(answer) == 1504
    bad_bodies: list[dict[str, object]] = [{}, {"number": 5}, {"number": "no digits"},
                                           {**body, "account": "nobody"}]
    if path == "race-create":
        bad_bodies.append({**body, "contactinfo": {"name": 7}})
    for bad in bad_bodies:
        refused = http.post(f"/__sandbox__/{path}", json=bad)
        assert refused.status_code == 400, (bad, refused.text)
        assert refused.json()["ok"] is False
    assert http.post(f"/__sandbox__/{path}", content=b"not json").status_code == 400
