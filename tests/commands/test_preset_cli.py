"""``screenpop lookup`` and ``pop`` read the IT preset as the app does (real processes, the
sandbox on loopback): its account and country count with an empty profile, the machine-wide
place is found, its oddities are said on stderr naming its path, and a secret written into
it is never used or shown."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from app.sandbox import accounts
from app.sandbox.seed import DEMO_KNOWN_NUMBER
from app.sandbox.server import SandboxServer
from app.services.preset import PRESET_ENV
from tests.commands.test_bad_address import child_env
from tests.platforms import MACHINE_PRESET_VIA_XDG

KNOWN = "+" + DEMO_KNOWN_NUMBER


def run(args: list[str], tmp_path: Path, timeout: float = 60,
        **env: str | None) -> subprocess.CompletedProcess[str]:
    environ = child_env(tmp_path)
    for name, value in env.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    result = subprocess.run([sys.executable, "-m", "app", *args], env=environ,
                            capture_output=True, text=True, timeout=timeout, check=False)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert accounts.DEMO_TOKEN not in result.stdout + result.stderr
    return result


def preset(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True)
    path = folder / "preset.ini"
    path.write_text(text, encoding="utf-8")
    return path


def account(sandbox: SandboxServer) -> str:
    return f"[General]\nbrand_url={sandbox.base_url}\nuser_id={accounts.DEMO_USER_ID}\n"


def test_lookup_uses_the_presets_account(sandbox: SandboxServer, tmp_path: Path) -> None:
    path = preset(tmp_path / "it", account(sandbox))
    result = run(["lookup", KNOWN, "--profile", str(tmp_path / "p")], tmp_path,
                 **{PRESET_ENV: str(path)})
    assert result.returncode == 0, result.stderr
    assert "Aarav Mehta" in result.stdout


@MACHINE_PRESET_VIA_XDG
def test_lookup_finds_the_machine_wide_preset(sandbox: SandboxServer, tmp_path: Path) -> None:
    xdg = tmp_path / "xdg"
    preset(xdg / "DeepCall Screen-Pop", account(sandbox))
    args = ["lookup", KNOWN, "--profile", str(tmp_path / "p")]
    found = run(args, tmp_path, XDG_CONFIG_DIRS=f"/nonexistent:{xdg}", **{PRESET_ENV: None})
    assert found.returncode == 0, found.stderr
    assert "Aarav Mehta" in found.stdout
    # Set but empty: no preset at all, so no address either (a usage error, said plainly).
    ignored = run(args, tmp_path, XDG_CONFIG_DIRS=str(xdg), **{PRESET_ENV: ""})
    assert ignored.returncode == 2
    assert "No DeepCall address is set" in ignored.stderr


def test_a_secret_in_the_preset_is_never_used_or_shown(sandbox: SandboxServer,
                                                       tmp_path: Path) -> None:
    path = preset(tmp_path / "it", account(sandbox) + f"token={accounts.DEMO_TOKEN}\n")
    # No token of the agent's own (environment or keyring): the preset's must not stand in.
    result = run(["lookup", KNOWN, "--profile", str(tmp_path / "p")], tmp_path,
                 DEEPCALL_TOKEN=None, **{PRESET_ENV: str(path)})
    assert result.returncode == 2, result.stderr
    assert f"the IT preset {path}: token looks like a secret and is ignored" in result.stderr
    assert "the DeepCall token cannot be read" in result.stderr  # the keyring, never the preset


def test_pop_reads_the_presets_country_and_names_the_preset_in_warnings(
        tmp_path: Path) -> None:
    path = preset(tmp_path / "it", "[General]\ndefault_region=GB\nnot a setting line\n")
    profile = tmp_path / "p"
    profile.mkdir()
    (profile / "settings.ini").write_text("[General]\ndefault_region=IN\n", encoding="utf-8")
    uk = run(["pop", "020 7219 3000", "--no-start", "--profile", str(profile)], tmp_path,
             **{PRESET_ENV: str(path)})
    assert uk.returncode == 5, uk.stderr  # a valid UK number; only "not running" stops it
    assert f"screenpop pop: the IT preset {path}: line 3 is not 'name=value'" in uk.stderr
    indian = run(["pop", "08302390884", "--no-start", "--profile", str(profile)], tmp_path,
                 **{PRESET_ENV: str(path)})
    assert indian.returncode == 2
    assert "read as GB" in indian.stderr
