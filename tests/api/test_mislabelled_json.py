"""DeepCall's JSON is its answer whatever the Content-Type says (text/html, text/plain, none):
real HTTP from the sandbox's mislabelling faults, through the client and through
``screenpop lookup`` in a child process. A body that is not such JSON stays a BadResponse."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.api.auth import TokenAuth
from app.api.errors import BadResponse, DeepCallError, ServerError
from app.api.parse import decode_json
from app.core.contact import Contact
from app.sandbox import accounts
from app.sandbox.seed import DEMO_KNOWN_NUMBER
from app.sandbox.server import SandboxServer
from tests.api.test_contract import DEMO_TOKEN_AUTH, with_client

EXPIRED_AUTH = TokenAuth(accounts.DEMO_USER_ID, accounts.EXPIRED_TOKEN)
MISLABELS = ["json_as_html", "json_as_text", "json_unlabelled"]


@pytest.mark.parametrize("fault", MISLABELS)
def test_a_mislabelled_json_answer_is_deepcalls_answer(sandbox: SandboxServer,
                                                       fault: str) -> None:
    sandbox.set_faults(fault)
    result = with_client(sandbox, DEMO_TOKEN_AUTH, lambda c: c.contact_info(DEMO_KNOWN_NUMBER))
    assert isinstance(result, Contact)
    assert result.groups[0].name == "Cu"


@pytest.mark.parametrize("fault", MISLABELS)
def test_a_mislabelled_json_error_keeps_its_code(sandbox: SandboxServer, fault: str) -> None:
    sandbox.set_faults(fault)
    with pytest.raises(DeepCallError) as caught:
        with_client(sandbox, EXPIRED_AUTH, lambda c: c.contact_info(DEMO_KNOWN_NUMBER))
    assert caught.value.code == 1014


@pytest.mark.parametrize("fault", MISLABELS)
def test_lookup_finds_the_caller_through_a_mislabelled_answer(
        sandbox: SandboxServer, fault: str, tmp_path: Path) -> None:
    sandbox.set_faults(fault)
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring", "PYTHONUTF8": "1",
           "PATH": "/usr/bin:/bin", "DEEPCALL_TOKEN": accounts.DEMO_TOKEN}
    result = subprocess.run(
        [sys.executable, "-m", "app", "lookup", "+" + DEMO_KNOWN_NUMBER,
         "--brand", sandbox.base_url, "--user-id", accounts.DEMO_USER_ID,
         "--profile", str(tmp_path / "profile")],
        env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Aarav Mehta" in result.stdout
    assert "Traceback" not in result.stderr


def test_an_html_502_stays_a_server_error(sandbox: SandboxServer) -> None:
    sandbox.set_faults("http502")
    with pytest.raises(ServerError):
        with_client(sandbox, DEMO_TOKEN_AUTH, lambda c: c.contact_info(DEMO_KNOWN_NUMBER))


@pytest.mark.parametrize(("body", "content_type"), [
    (b"<html><body>Please sign in to the Wi-Fi</body></html>", "text/html"),  # captive portal
    (b"<html><body>Please sign in to the Wi-Fi</body></html>", ""),
    (b"\xef\xbb\xbf<!DOCTYPE html><html></html>", "text/plain"),
    (b"Service temporarily unavailable", "text/plain"),
    (b"\x00\x01junk", ""),
])
def test_a_body_that_is_not_json_is_a_bad_response(body: bytes, content_type: str) -> None:
    with pytest.raises(BadResponse):
        decode_json(body, content_type)


@pytest.mark.parametrize("body", [b"\xef\xbb\xbf<!DOCTYPE html><html></html>",
                                  b"\xef\xbb\xbf \n<html></html>", b" <html></html>"])
def test_an_html_page_is_named_so_even_after_a_bom(body: bytes) -> None:
    with pytest.raises(BadResponse) as caught:
        decode_json(body, "text/plain")
    assert "an HTML page" in caught.value.detail


@pytest.mark.parametrize("content_type", ["text/html", "text/plain; charset=utf-8", ""])
def test_mislabelled_json_that_is_no_deepcall_answer_points_at_the_address(
        content_type: str) -> None:
    # A portal's or another site's JSON: "a shape ... tell your administrator" misled.
    with pytest.raises(BadResponse) as caught:
        decode_json(b'{"portal": "sign in", "redirect": "/login"}', content_type)
    assert "not a web page or a login portal" in caught.value.user_message


def test_json_labelled_json_without_a_status_is_still_decoded() -> None:
    assert decode_json(b'{"portal": 1}', "application/json") == {"portal": 1}
