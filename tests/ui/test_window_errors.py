"""Every kind of failure shows a plain message with the next step; never a traceback."""

from __future__ import annotations

import socket
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from app.api.auth import Auth, TokenAuth
from app.sandbox.accounts import (
    DEMO_TOKEN,
    DEMO_USER_ID,
    EXPIRED_TOKEN,
    SUSPENDED_TOKEN,
    SUSPENDED_USER_ID,
)
from app.sandbox.seed import DEMO_KNOWN_NUMBER
from app.sandbox.server import SandboxServer
from app.ui.error_banner import ErrorAction
from tests.fixtures.qt_async import wait_until
from tests.ui.conftest import Stack, StackFactory, quiesce

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]
KNOWN = "+" + DEMO_KNOWN_NUMBER


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pop_until_error(stack: Stack, run_async: RunAsync) -> None:
    async def scenario() -> None:
        stack.pop(KNOWN)
        await wait_until(lambda: stack.window.status == "error", 8.0)
        await quiesce()

    run_async(scenario())


def _assert_plain(stack: Stack) -> str:
    banner = stack.window.banner
    assert banner.isVisibleTo(stack.window)
    text = banner.message.text()
    assert "Traceback" not in text
    assert "Error(" not in text  # no exception repr
    assert DEMO_TOKEN not in text
    return text


@pytest.mark.parametrize(("auth", "code", "words"), [
    (TokenAuth(DEMO_USER_ID, EXPIRED_TOKEN), 1014, "token is invalid or missing"),
    (TokenAuth(DEMO_USER_ID, ""), 1020, "token is invalid or missing"),
])
def test_bad_credentials_point_to_settings(make_stack: StackFactory, run_async: RunAsync,
                                           auth: Auth, code: int, words: str) -> None:
    stack = make_stack(auth=auth)
    opened: list[bool] = []
    stack.window.settings_requested.connect(lambda: opened.append(True))
    _pop_until_error(stack, run_async)
    text = _assert_plain(stack)
    assert words in text
    assert stack.window.error_view is not None
    assert stack.window.error_view.code == code
    assert stack.window.banner.settings_button.isVisibleTo(stack.window)
    assert not stack.window.banner.retry_button.isVisibleTo(stack.window)
    stack.window.banner.settings_button.click()
    assert opened == [True]
    assert stack.state()["error_code"] == code


def test_a_suspended_account_says_so(make_stack: StackFactory, run_async: RunAsync) -> None:
    stack = make_stack(auth=TokenAuth(SUSPENDED_USER_ID, SUSPENDED_TOKEN))
    _pop_until_error(stack, run_async)
    text = _assert_plain(stack)
    assert "suspended" in text
    assert "administrator" in text
    assert stack.window.error_view is not None
    assert stack.window.error_view.action is ErrorAction.NONE


@pytest.mark.parametrize("fault", ["http502", "malformed_json", "internal", "drop",
                                   "oversized"])
def test_server_faults_offer_retry(make_stack: StackFactory, run_async: RunAsync,
                                   sandbox: SandboxServer, fault: str) -> None:
    stack = make_stack()
    sandbox.add_fault(fault, action="contactInfo")
    _pop_until_error(stack, run_async)
    _assert_plain(stack)
    assert stack.window.banner.retry_button.isVisibleTo(stack.window)


def test_a_timeout_offers_retry_and_retry_recovers(make_stack: StackFactory,
                                                   run_async: RunAsync,
                                                   sandbox: SandboxServer) -> None:
    stack = make_stack(total_timeout=0.5)
    sandbox.add_fault("latency", action="contactInfo", ms=3000)
    _pop_until_error(stack, run_async)
    text = _assert_plain(stack)
    assert stack.window.banner.retry_button.isVisibleTo(stack.window)
    host = sandbox.base_url.split("//", 1)[1]
    assert f"DeepCall ({host}) did not answer within 0.5 seconds" in text

    sandbox.clear_faults()

    async def retry() -> None:
        stack.window.banner.retry_button.click()
        assert stack.window.status == "loading" or stack.coordinator.status == "loading"
        await wait_until(lambda: stack.window.status == "found")
        await quiesce()

    run_async(retry())
    assert not stack.window.banner.isVisibleTo(stack.window)
    assert stack.window.header.caller_name.text() == "Aarav Mehta"


def test_a_refused_connection_offers_retry(make_stack: StackFactory,
                                           run_async: RunAsync) -> None:
    port = _free_port()
    stack = make_stack(base_url=f"http://127.0.0.1:{port}")
    _pop_until_error(stack, run_async)
    text = _assert_plain(stack)
    assert stack.window.banner.retry_button.isVisibleTo(stack.window)
    assert f"Could not connect to DeepCall at 127.0.0.1:{port}" in text
