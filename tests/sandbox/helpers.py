"""Shared bits of the sandbox tests: auth bodies and reading a DeepCall answer."""

from __future__ import annotations

from typing import Any

from app.sandbox.accounts import DEMO_SSID, DEMO_TOKEN, DEMO_USER_ID

SSID = {"ssid": DEMO_SSID}
TOKEN = {"userId": DEMO_USER_ID, "token": DEMO_TOKEN}


def error_code(answer: Any) -> int | None:
    assert isinstance(answer, dict)
    if answer.get("status") == "error":
        assert isinstance(answer.get("message"), str)
        assert answer["message"]
        return int(answer["code"])
    assert answer.get("status") == "success", answer
    return None
