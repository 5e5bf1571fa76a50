"""Which account a run uses: overrides first, then settings + keyring; overrides never persist."""

from __future__ import annotations

import asyncio
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from app.api.client import DeepCallClient
from app.sandbox.accounts import DEMO_ACCOUNT_NAME, DEMO_TOKEN, DEMO_USER_ID
from app.services.credentials import (
    CredentialOverrides,
    ResolvedCredentials,
    StoredAccountSnapshot,
    read_stored_account,
    resolve_credentials,
)
from app.services.errors import CredentialsMissing, SecretsUnavailable
from app.services.secrets import SecretStore
from app.services.settings import Settings


@pytest.fixture
def no_keyring() -> object:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield None
    keyring.set_keyring(previous)


def test_env_token_and_flags_work_without_any_keyring(no_keyring: None, tmp_path: Path) -> None:
    overrides = CredentialOverrides.from_args_and_env(
        brand_url="http://127.0.0.1:9999", user_id="42",
        environ={"DEEPCALL_TOKEN": "env-token-secret"})
    resolved = resolve_credentials(overrides, stored=Settings(tmp_path))
    assert resolved.brand_url == "http://127.0.0.1:9999"
    assert resolved.auth.body_fields() == {"userId": "42", "token": "env-token-secret"}
    assert resolved.secret_source == "override"
    assert not resolved.persisted
    assert "env-token-secret" not in repr(resolved) + repr(overrides)
    # Nothing was written: no settings file appears from resolving.
    assert not any(tmp_path.iterdir())


def test_env_ssid_selects_ssid_mode(no_keyring: None) -> None:
    overrides = CredentialOverrides.from_args_and_env(
        brand_url="http://x", environ={"DEEPCALL_SSID": "env-ssid"})
    resolved = resolve_credentials(overrides, stored=StoredAccountSnapshot(auth_mode="token"))
    assert resolved.auth.body_fields() == {"ssid": "env-ssid"}


def test_both_env_secrets_user_id_decides(no_keyring: None) -> None:
    env = {"DEEPCALL_SSID": "s", "DEEPCALL_TOKEN": "t"}
    with_user = CredentialOverrides.from_args_and_env("http://x", "7", env)
    assert resolve_credentials(with_user).auth.body_fields() == {"userId": "7", "token": "t"}
    without_user = CredentialOverrides.from_args_and_env("http://x", None, env)
    assert resolve_credentials(without_user).auth.body_fields() == {"ssid": "s"}


def test_override_brand_wins_over_settings(no_keyring: None) -> None:
    stored = StoredAccountSnapshot(brand_url="https://stored", auth_mode="ssid")
    overrides = CredentialOverrides(brand_url="https://flag", ssid="s")
    assert resolve_credentials(overrides, stored).brand_url == "https://flag"
    assert resolve_credentials(CredentialOverrides(ssid="s"), stored).brand_url == "https://stored"


def test_missing_pieces_say_what_to_do(no_keyring: None) -> None:
    with pytest.raises(CredentialsMissing, match="--brand"):
        resolve_credentials(CredentialOverrides(token="t", user_id="1"))
    with pytest.raises(CredentialsMissing, match="--user-id"):
        resolve_credentials(CredentialOverrides(brand_url="http://x", token="t"))
    with pytest.raises(SecretsUnavailable, match="DEEPCALL_TOKEN") as unavailable:
        resolve_credentials(CredentialOverrides(brand_url="http://x", user_id="1"))
    # The way out is said once, for the mode in use.
    assert unavailable.value.user_message.count("DEEPCALL_") == 1


@pytest.mark.keyring
def test_keyring_secret_used_when_no_override(keyring_service: str) -> None:
    stored = StoredAccountSnapshot(brand_url="https://b", auth_mode="ssid")
    secrets = SecretStore(keyring_service)
    with pytest.raises(CredentialsMissing, match="DEEPCALL_SSID"):
        resolve_credentials(stored=stored, secrets=secrets)
    secrets.store("ssid", "kr-ssid-secret")
    resolved = resolve_credentials(stored=stored, secrets=secrets)
    assert resolved.auth.body_fields() == {"ssid": "kr-ssid-secret"}
    assert resolved.persisted


@pytest.mark.keyring
def test_env_override_is_never_written_to_the_keyring(keyring_service: str,
                                                      tmp_path: Path) -> None:
    secrets = SecretStore(keyring_service)
    overrides = CredentialOverrides(brand_url="http://x", user_id="1", token="env-only-token")
    resolve_credentials(overrides, stored=Settings(tmp_path), secrets=secrets)
    assert secrets.load("token") is None
    assert not any(tmp_path.iterdir())


def test_headless_reader_on_missing_or_broken_file(tmp_path: Path) -> None:
    assert read_stored_account(tmp_path) == StoredAccountSnapshot()
    (tmp_path / "settings.ini").write_bytes(b"\xff\xfe not ini [[[")
    assert read_stored_account(tmp_path) == StoredAccountSnapshot()


def test_from_env_reads_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEEPCALL_TOKEN", "from-os-env")
    monkeypatch.delenv("DEEPCALL_SSID", raising=False)
    overrides = CredentialOverrides.from_args_and_env()
    assert overrides.token == "from-os-env"
    assert overrides.ssid is None
    monkeypatch.setenv("DEEPCALL_TOKEN", "")  # set but empty is "not given"
    assert CredentialOverrides.from_args_and_env().token is None


def test_resolved_secrets_are_redacted_from_logs(no_keyring: None, tmp_path: Path) -> None:
    import io
    import logging

    from app.services import logs

    stream = io.StringIO()
    setup = logs.setup_logging(tmp_path, "json", stderr=stream)
    try:
        overrides = CredentialOverrides(brand_url="http://x", user_id="1",
                                        token="override-token-to-hide",
                                        ssid="unused-ssid-to-hide")
        resolve_credentials(overrides)
        logging.getLogger("app.test").warning("oops override-token-to-hide unused-ssid-to-hide")
        assert "to-hide" not in stream.getvalue()
    finally:
        setup.close()
        logs.redactor.forget("override-token-to-hide", "unused-ssid-to-hide")


def _account_key(credentials: ResolvedCredentials) -> str:
    client = DeepCallClient(credentials.brand_url, credentials.auth,
                            account_name=credentials.account_name)
    asyncio.run(client.aclose())
    return client.account_key


def test_the_demo_sandbox_is_one_account_whatever_its_port_and_real_addresses_stay_apart(
        no_keyring: None) -> None:
    def demo(port: int) -> ResolvedCredentials:
        return resolve_credentials(CredentialOverrides(
            brand_url=f"http://127.0.0.1:{port}", user_id=DEMO_USER_ID, token=DEMO_TOKEN,
            account_name=DEMO_ACCOUNT_NAME))

    def real(url: str) -> ResolvedCredentials:
        return resolve_credentials(CredentialOverrides(brand_url=url, user_id=DEMO_USER_ID,
                                                       token=DEMO_TOKEN))

    assert _account_key(demo(41001)) == _account_key(demo(52002))
    # Without the name, an address is the account: another port, another account.
    assert _account_key(real("http://127.0.0.1:41001")) \
        != _account_key(real("http://127.0.0.1:52002"))
    assert _account_key(real("https://a.deepcall.test")) \
        != _account_key(real("https://b.deepcall.test"))
    assert _account_key(demo(41001)) != _account_key(real("http://127.0.0.1:41001"))
    # The name goes with the address given for this run, never with a saved one.
    saved = resolve_credentials(
        CredentialOverrides(token=DEMO_TOKEN, account_name=DEMO_ACCOUNT_NAME),
        StoredAccountSnapshot(brand_url="https://a.deepcall.test", user_id=DEMO_USER_ID))
    assert saved.account_name is None
