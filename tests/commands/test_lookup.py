"""``screenpop lookup`` as a real child process against the sandbox: exit codes, output, and
never a traceback or a secret."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from app.sandbox import accounts
from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_UNKNOWN_NUMBER
from app.sandbox.server import SandboxServer

SECRETS = (accounts.DEMO_TOKEN, accounts.DEMO_SSID, accounts.EXPIRED_TOKEN,
           accounts.SUSPENDED_TOKEN, accounts.SUSPENDED_SSID)


@pytest.fixture
def child_env(tmp_path: Path) -> dict[str, str]:
    """No saved settings, no env credentials, and a keyring that always fails (so a test never
    reads the developer's real keyring)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEEPCALL_")}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"),
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring", PYTHONUTF8="1")
    return env


def lookup(args: list[str], env: dict[str, str],
           command: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*(command or [sys.executable, "-m", "app"]), "lookup", *args],
                            env=env, capture_output=True, text=True, timeout=60)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    for secret in SECRETS:
        assert secret not in output, "a secret was printed"
    return result


def token_env(env: dict[str, str], token: str = accounts.DEMO_TOKEN) -> dict[str, str]:
    return {**env, "DEEPCALL_TOKEN": token}


def brand(sandbox: SandboxServer, user_id: str = accounts.DEMO_USER_ID) -> list[str]:
    return ["--brand", sandbox.base_url, "--user-id", user_id]


def _save_address(sandbox: SandboxServer, address: str) -> None:
    """The demo caller's address becomes ``address`` in DeepCall (the sandbox, over HTTP)."""
    import httpx

    update = httpx.post(f"{sandbox.base_url}/api/v2/Directory/update", timeout=10, json={
        "userId": accounts.DEMO_USER_ID, "token": accounts.DEMO_TOKEN,
        "contact": DEMO_KNOWN_NUMBER, "contactinfo": {"address": address}}).json()
    assert update["status"] == "success"


def test_known_caller_prints_every_group_and_field(sandbox: SandboxServer,
                                                   child_env: dict[str, str]) -> None:
    result = lookup(["+" + DEMO_KNOWN_NUMBER, *brand(sandbox)], token_env(child_env))
    assert result.returncode == 0, result.stderr
    for text in ("[Cu]", "[Lead]", "Aarav Mehta", DEMO_KNOWN_NUMBER, "Preferred Language",
                 "Lead Status"):
        assert text in result.stdout


def test_known_caller_as_json_with_ssid_and_a_national_number(
        sandbox: SandboxServer, child_env: dict[str, str]) -> None:
    env = {**child_env, "DEEPCALL_SSID": accounts.DEMO_SSID}
    result = lookup(["098765 43210", "--json", "--brand", sandbox.base_url], env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["status"] == "found"
    assert data["callerNumber"] == "+" + DEMO_KNOWN_NUMBER
    cu = data["groups"][0]
    assert cu["name"] == "Cu"
    assert cu["fields"]["mobile"] == int(DEMO_KNOWN_NUMBER)
    assert sandbox.last_request().auth_fields == ["ssid"]  # type: ignore[union-attr]


def test_single_field(sandbox: SandboxServer, child_env: dict[str, str]) -> None:
    result = lookup([DEMO_KNOWN_NUMBER, "--json", "--field", "city", *brand(sandbox)],
                    token_env(child_env))
    assert result.returncode == 0
    assert json.loads(result.stdout)["groups"] == [{"name": "Cu", "fields": {"city": "Mumbai"}}]


def test_unknown_caller_exits_3(sandbox: SandboxServer, child_env: dict[str, str]) -> None:
    result = lookup(["+" + DEMO_UNKNOWN_NUMBER, *brand(sandbox)], token_env(child_env))
    assert result.returncode == 3
    assert "unknown caller" in result.stdout
    as_json = lookup(["+" + DEMO_UNKNOWN_NUMBER, "--json", *brand(sandbox)], token_env(child_env))
    assert as_json.returncode == 3
    assert json.loads(as_json.stdout)["status"] == "unknown"


@pytest.mark.parametrize(("env_token", "user_id", "code", "words"), [
    (accounts.EXPIRED_TOKEN, accounts.DEMO_USER_ID, 1014, "expired"),
    (accounts.SUSPENDED_TOKEN, accounts.SUSPENDED_USER_ID, 1039, "suspended"),
    (accounts.DEMO_TOKEN, "999999", 1003, "agent"),
])
def test_deepcall_error_exits_4_with_code_and_plain_message(
        sandbox: SandboxServer, child_env: dict[str, str], env_token: str, user_id: str,
        code: int, words: str) -> None:
    result = lookup([DEMO_KNOWN_NUMBER, *brand(sandbox, user_id)],
                    token_env(child_env, env_token))
    assert result.returncode == 4
    assert str(code) in result.stderr
    assert words in result.stderr.lower()
    as_json = lookup([DEMO_KNOWN_NUMBER, "--json", *brand(sandbox, user_id)],
                     token_env(child_env, env_token))
    assert json.loads(as_json.stdout)["code"] == code


@pytest.mark.parametrize("fault", ["http502", "malformed_json", "drop", "oversized"])
def test_server_and_transport_faults_exit_5(sandbox: SandboxServer, child_env: dict[str, str],
                                            fault: str) -> None:
    sandbox.set_faults(fault)
    result = lookup([DEMO_KNOWN_NUMBER, *brand(sandbox)], token_env(child_env))
    assert result.returncode == 5
    assert result.stderr.startswith("screenpop lookup: ")


def test_trickle_times_out_and_exits_5(sandbox: SandboxServer, child_env: dict[str, str]) -> None:
    sandbox.set_faults("trickle=5000")
    result = lookup([DEMO_KNOWN_NUMBER, "--timeout", "0.7", "--json", *brand(sandbox)],
                    token_env(child_env))
    assert result.returncode == 5
    assert json.loads(result.stdout)["error"] == "RequestTimedOut"


def test_refused_exits_5(child_env: dict[str, str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = lookup([DEMO_KNOWN_NUMBER, "--brand", f"http://127.0.0.1:{port}", "--user-id", "1"],
                    token_env(child_env))
    assert result.returncode == 5
    assert "connect" in result.stderr.lower()


@pytest.mark.parametrize("args", [
    ["not-a-number", "--brand", "http://127.0.0.1:9"],
    ["--no-such-option"],
    [],
    [DEMO_KNOWN_NUMBER, "--brand", "http://deepcall.example.com"],  # plain http to a remote
    [DEMO_KNOWN_NUMBER, "--timeout", "-1", "--brand", "http://127.0.0.1:9"],
])
def test_usage_errors_exit_2(child_env: dict[str, str], args: list[str]) -> None:
    result = lookup(args, {**token_env(child_env), "DEEPCALL_SSID": accounts.DEMO_SSID})
    assert result.returncode == 2
    assert result.stderr.strip()


def test_no_credentials_exits_2_and_says_how_to_give_them(sandbox: SandboxServer,
                                                         child_env: dict[str, str]) -> None:
    result = lookup([DEMO_KNOWN_NUMBER, "--brand", sandbox.base_url], child_env)
    assert result.returncode == 2
    assert "DEEPCALL_" in result.stderr
    no_brand = lookup([DEMO_KNOWN_NUMBER], token_env(child_env))
    assert no_brand.returncode == 2
    assert "--brand" in no_brand.stderr


def test_help_documents_the_exit_codes(child_env: dict[str, str]) -> None:
    result = lookup(["--help"], child_env)
    assert result.returncode == 0
    for line in ("0  the caller is known", "3  unknown caller", "4  DeepCall answered",
                 "5  DeepCall could not be reached", "2  usage error"):
        assert line in result.stdout


def test_the_installed_console_script(sandbox: SandboxServer, child_env: dict[str, str]) -> None:
    script = shutil.which("screenpop", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the screenpop console script is not installed in this environment")
    result = lookup(["+" + DEMO_KNOWN_NUMBER, "--json", *brand(sandbox)], token_env(child_env),
                    command=[script])
    assert result.returncode == 0
    assert json.loads(result.stdout)["status"] == "found"


def test_errors_say_where_the_address_and_credentials_came_from(
        sandbox: SandboxServer, child_env: dict[str, str]) -> None:
    # The client's messages say "in Settings"; a script using --brand and env vars must be
    # told that those are what it used, without printing the secret.
    result = lookup([DEMO_KNOWN_NUMBER, *brand(sandbox)], token_env(child_env, "bad-token-1"))
    assert result.returncode == 4
    assert (f"This run used the DeepCall address {sandbox.base_url} (from --brand) and userId "
            f"{accounts.DEMO_USER_ID} (from --user-id) with the token from DEEPCALL_TOKEN."
            ) in result.stderr
    assert "bad-token-1" not in result.stderr
    env = {**child_env, "DEEPCALL_SSID": "bad-ssid-1"}
    as_json = lookup([DEMO_KNOWN_NUMBER, "--json", "--brand", sandbox.base_url], env)
    data = json.loads(as_json.stdout)
    assert data["code"] == 1014
    assert "valid token or session" in data["message"]
    assert data["hint"].endswith("and the session (ssid) from DEEPCALL_SSID.")
    assert "bad-ssid-1" not in as_json.stdout


def test_a_junk_number_says_how_to_write_one(child_env: dict[str, str]) -> None:
    result = lookup(["call me", "--brand", "http://127.0.0.1:9"], token_env(child_env))
    assert result.returncode == 2
    assert "'call me' is not a phone number" in result.stderr
    assert "country code, like +918302390884" in result.stderr
    assert "--region" in result.stderr


def test_a_field_typo_gets_deepcalls_words_and_a_pointer_to_field(
        sandbox: SandboxServer, child_env: dict[str, str]) -> None:
    result = lookup([DEMO_KNOWN_NUMBER, "--field", "Citty", *brand(sandbox)],
                    token_env(child_env))
    assert result.returncode == 4
    assert "DeepCall said: \"Invalid parameter: unknown field 'Citty'\"." in result.stderr
    assert "Is --field 'Citty' a field of this account?" in result.stderr


def test_multi_line_and_control_characters_cannot_garble_the_terminal(
        sandbox: SandboxServer, child_env: dict[str, str]) -> None:
    address = "12, Hill Road\nBandra West\x1b[2J\x07"
    _save_address(sandbox, address)
    result = lookup([DEMO_KNOWN_NUMBER, *brand(sandbox)], token_env(child_env))
    assert result.returncode == 0
    assert "\x1b" not in result.stdout
    assert "\x07" not in result.stdout
    lines = result.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.lstrip().startswith("Address"))
    assert lines[at].endswith("12, Hill Road")
    assert lines[at + 1].strip() == "Bandra West\\x1b[2J\\x07"
    assert lines[at + 1].index("Bandra") == lines[at].index("12,")  # under the value
    as_json = lookup([DEMO_KNOWN_NUMBER, "--json", *brand(sandbox)], token_env(child_env))
    assert json.loads(as_json.stdout)["groups"][0]["fields"]["Address"] == address  # exact


def test_json_output_is_strict_json_even_for_non_finite_numbers() -> None:
    from app.commands.lookup import result_json
    from app.core.contact import Contact, ContactGroup

    contact = Contact("+918302390884", (ContactGroup("Cu", (("score", float("inf")),
                                                            ("mobile", 918302390884))),))
    text = json.dumps(result_json(contact), allow_nan=False)  # raises on NaN/Infinity
    assert json.loads(text)["groups"][0]["fields"] == {"score": "inf", "mobile": 918302390884}


def test_verbose_logs_the_exchange_but_never_the_secret(sandbox: SandboxServer,
                                                         child_env: dict[str, str]) -> None:
    sandbox.set_faults("drop@contactInfo*1")  # so the retry is logged too
    result = lookup([DEMO_KNOWN_NUMBER, "-v", *brand(sandbox)], token_env(child_env))
    assert result.returncode == 0
    assert "attempt 1 failed" in result.stderr
    assert "retrying once" in result.stderr
    assert "attempt 2 -> HTTP 200" in result.stderr  # lookup() asserts no secret anywhere


@pytest.mark.parametrize("mode", ["token", "ssid"])
def test_credentials_from_the_saved_settings_and_the_real_keyring(
        sandbox: SandboxServer, keyring_service: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], mode: str) -> None:
    # In this process (a child could only use the default keyring service, which on a
    # developer's desktop holds their real token): settings.ini + gnome-keyring, no env.
    import app.services.credentials as credentials
    from app.commands.lookup import main
    from app.services.secrets import SecretStore

    for name in ("DEEPCALL_TOKEN", "DEEPCALL_SSID"):
        monkeypatch.delenv(name, raising=False)
    store = SecretStore(keyring_service)
    store.store(mode, accounts.DEMO_TOKEN if mode == "token" else accounts.DEMO_SSID)
    monkeypatch.setattr(credentials, "SecretStore", lambda: store)
    (tmp_path / "settings.ini").write_text(
        f"[General]\nbrand_url={sandbox.base_url}\nauth_mode={mode}\n"
        f"user_id={accounts.DEMO_USER_ID}\n", encoding="utf-8")
    code = main(["+" + DEMO_KNOWN_NUMBER, "--json", "--profile", str(tmp_path)])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert json.loads(out.out)["status"] == "found"
    assert sandbox.last_request().auth_fields == (  # type: ignore[union-attr]
        ["userId", "token"] if mode == "token" else ["ssid"])
    store.store(mode, "stale-secret-1234")  # what the agent sees when the saved one is stale
    assert main(["+" + DEMO_KNOWN_NUMBER, "--profile", str(tmp_path)]) == 4
    err = capsys.readouterr().err
    assert "from the system keyring" in err
    assert "(from the saved settings)" in err
    assert "stale-secret-1234" not in err


def test_a_usage_error_with_json_is_json_on_stdout(child_env: dict[str, str]) -> None:
    result = lookup([DEMO_KNOWN_NUMBER, "--json", "--timeout", "soon"], token_env(child_env))
    assert result.returncode == 2
    data = json.loads(result.stdout)
    assert data["status"] == "error"
    assert data["error"] == "Usage"
    assert "--timeout" in data["message"]
    assert "usage: screenpop lookup" in result.stderr


def _lookup_with_stdout(args: list[str], env: dict[str, str],
                        stdout: int) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "app", "lookup", *args], env=env,
                            stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=60)
    assert "Traceback" not in result.stderr
    assert "Exception ignored" not in result.stderr
    return result


def test_a_reader_that_stops_early_is_not_an_internal_error(
        sandbox: SandboxServer, child_env: dict[str, str]) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `screenpop lookup ... | head -0`: nobody reads
    try:
        result = _lookup_with_stdout([DEMO_KNOWN_NUMBER, *brand(sandbox)],
                                     token_env(child_env), write_end)
    finally:
        os.close(write_end)
    assert result.returncode == 141
    assert result.stderr == ""


def test_a_full_disk_is_said_plainly(sandbox: SandboxServer, child_env: dict[str, str]) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full (Linux) to simulate a full disk")
    with open("/dev/full", "w") as full:
        result = _lookup_with_stdout([DEMO_KNOWN_NUMBER, *brand(sandbox)],
                                     token_env(child_env), full.fileno())
    assert result.returncode == 1
    assert result.stderr == ("screenpop lookup: could not write the result "
                             "(No space left on device).\n")


BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def test_bidi_controls_cannot_reorder_what_the_terminal_shows(
        sandbox: SandboxServer, child_env: dict[str, str]) -> None:
    # "Pay 1000" shown reversed as "0001 yaP"-like tricks: each control shows as its escape.
    address = "Refund \u202e0001 yaP\u202c to " + BIDI_CONTROLS
    _save_address(sandbox, address)
    result = lookup([DEMO_KNOWN_NUMBER, *brand(sandbox)], token_env(child_env))
    assert result.returncode == 0
    assert not set(BIDI_CONTROLS) & set(result.stdout)
    assert "Refund \\u202e0001 yaP\\u202c to \\u202a\\u202b" in result.stdout
    assert "\\u061c" in result.stdout
    as_json = lookup([DEMO_KNOWN_NUMBER, "--json", *brand(sandbox)], token_env(child_env))
    assert json.loads(as_json.stdout)["groups"][0]["fields"]["Address"] == address  # exact


# Invisible or line-breaking format characters: a zero-width space, word joiner and soft
# hyphen hide text, a tag character carries hidden text, U+206A..U+206F change how digits
# and shaping show, and U+2028/U+2029 break the line where none was shown to break.
INVISIBLE_FORMATS = "\u200b\u2060\u00ad\U000e0041\u206a\u206f\u2028\u2029"
# Zero-width (non-)joiners are part of how Indic names are spelled: they stay as they are.
JOINED_NAME = "\u0915\u094d\u200d\u0937 \u0d28\u0d4d\u200c"


def test_invisible_format_characters_show_as_escapes(
        sandbox: SandboxServer, child_env: dict[str, str]) -> None:
    address = "Acct 12\u200b34 " + INVISIBLE_FORMATS + JOINED_NAME
    _save_address(sandbox, address)
    result = lookup([DEMO_KNOWN_NUMBER, *brand(sandbox)], token_env(child_env))
    assert result.returncode == 0
    assert not set(INVISIBLE_FORMATS) & set(result.stdout)
    assert "Acct 12\\u200b34 \\u200b\\u2060\\xad\\U000e0041\\u206a\\u206f\\u2028\\u2029" \
           + JOINED_NAME in result.stdout
