"""``screenpop lookup`` and ``pop`` read settings.ini as the app does (real processes): a
duplicated [General] still gives the saved account, and an unknown region is a plain warning
on stderr, never a silent guess or a traceback."""

from __future__ import annotations

from pathlib import Path

from app.sandbox import accounts
from app.sandbox.seed import DEMO_KNOWN_NUMBER
from app.sandbox.server import SandboxServer
from tests.commands.test_bad_address import screenpop


def test_lookup_reads_the_account_from_a_duplicated_general_section(
        sandbox: SandboxServer, tmp_path: Path) -> None:
    profile = tmp_path / "p"
    profile.mkdir()
    (profile / "settings.ini").write_text(
        f"[General]\nauth_mode=token\n[geometry]\nscreens-1=QUJD\n"
        f"[General]\nbrand_url={sandbox.base_url}\nuser_id={accounts.DEMO_USER_ID}\n",
        encoding="utf-8")
    result = screenpop(["lookup", "+" + DEMO_KNOWN_NUMBER, "--profile", str(profile)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Aarav Mehta" in result.stdout
    assert "[General] section appears more than once" in result.stderr


def test_lookup_warns_about_an_unknown_region(sandbox: SandboxServer, tmp_path: Path) -> None:
    profile = tmp_path / "p"
    profile.mkdir()
    (profile / "settings.ini").write_text(
        f"[General]\nbrand_url={sandbox.base_url}\nuser_id={accounts.DEMO_USER_ID}\n"
        "default_region=XX\n", encoding="utf-8")
    result = screenpop(["lookup", "09876543210", "--profile", str(profile)], tmp_path)
    assert result.returncode == 0, result.stderr  # read as IN, the default
    assert "screenpop lookup: settings.ini: default_region 'XX' is not a country code" in (
        result.stderr)


def test_pop_warns_about_an_unknown_region(tmp_path: Path) -> None:
    profile = tmp_path / "p"
    profile.mkdir()
    (profile / "settings.ini").write_text("[General]\ndefault_region=XX\n", encoding="utf-8")
    result = screenpop(["pop", "09876543210", "--no-start", "--profile", str(profile)], tmp_path)
    assert result.returncode == 5, result.stderr  # nothing running, and told not to start it
    assert "screenpop pop: settings.ini: default_region 'XX' is not a country code" in (
        result.stderr)
