"""Every documented DeepCall code has a plain message, chosen per API group."""

from __future__ import annotations

import pytest

from app.api.errors import DeepCallError
from app.core.error_messages import MESSAGES, ApiGroup, user_message

DOCUMENTED = {
    ApiGroup.AGENT_DASHBOARD: [1000, 1001, 1002, 1003, 1004, 1014, 1020, 1032, 1039, 1501],
    ApiGroup.DIRECTORY: [1000, 1005, 1012, 1501, 1502, 1503, 1504, 1505, 1506, 1507, 1508, 1509,
                         1510],
    ApiGroup.CALL_REPORT: [1000, 1009, 1010, 1015, 1047],
}


@pytest.mark.parametrize(("group", "code"),
                         [(g, c) for g, codes in DOCUMENTED.items() for c in codes])
def test_every_documented_code_has_its_own_message(group: ApiGroup, code: int) -> None:
    assert code in MESSAGES[group]
    message = user_message(group, code)
    assert message.endswith((".", "!"))
    assert len(message) > 20
    assert str(code) not in message  # a real sentence, not the generic fallback


def test_1501_means_different_things_per_group() -> None:
    dashboard = user_message(ApiGroup.AGENT_DASHBOARD, 1501)
    directory = user_message(ApiGroup.DIRECTORY, 1501)
    assert dashboard != directory
    assert "dashboard" in dashboard.lower()
    assert "sticky" in directory.lower()


def test_unknown_codes_get_a_generic_message_naming_the_code() -> None:
    assert "4242" in user_message(ApiGroup.DIRECTORY, 4242)
    assert user_message(ApiGroup.AGENT_DASHBOARD, None)


def test_deepcall_error_carries_code_server_message_group_and_ours() -> None:
    error = DeepCallError(1014, "Invalid token", ApiGroup.AGENT_DASHBOARD, "contactInfo")
    assert (error.code, error.server_message, error.group) == \
        (1014, "Invalid token", ApiGroup.AGENT_DASHBOARD)
    assert error.user_message == user_message(ApiGroup.AGENT_DASHBOARD, 1014)
    assert "expired" in str(error)
    assert "1014" in str(error)


def test_transport_messages_read_as_plain_english() -> None:
    from app.api.errors import BadResponse
    from app.api.parse import bad_shape, decode_json
    from app.api.transport import deadline_error, too_large

    assert "within 1 second." in deadline_error("h", 1.0).user_message
    assert "within 2.5 seconds." in deadline_error("h", 2.5).user_message
    assert "larger than 1 MB," in too_large(1 << 20, 2 << 20).user_message
    assert "larger than 1000 bytes," in too_large(1000, 2000).user_message
    # One name for the setting everywhere: "DeepCall address", as Settings and --brand say.
    with pytest.raises(BadResponse) as not_json:
        decode_json(b"<html>login</html>", "text/html")
    for message in (bad_shape("x").user_message, not_json.value.user_message):
        assert "DeepCall address" in message
        assert "brand address" not in message


def test_1014_fits_both_auth_modes() -> None:
    # An expired panel session (ssid) answers 1014 too: "token" alone would mislead that agent.
    message = user_message(ApiGroup.AGENT_DASHBOARD, 1014)
    assert message.startswith("Your token is invalid or missing — open Settings")
    assert "token or session" in message
    assert "expired" in message
