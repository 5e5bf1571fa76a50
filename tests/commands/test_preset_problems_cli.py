"""What the commands IT checks a preset with (``lookup``, ``pop``, ``event``) do with a preset
that is wrong or cannot be read: a machine-wide place the agent cannot look at, a name the OS
refuses, a FIFO, unknown keys and bad values, a machine-wide preset set aside by
SCREENPOP_PRESET. Never a traceback or a hang; each problem on stderr naming the preset,
whatever the options. Real processes; lookup against the sandbox on loopback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.sandbox import accounts
from app.sandbox.server import SandboxServer
from app.services.preset import PRESET_ENV
from tests.commands.test_bad_address import child_env
from tests.commands.test_preset_cli import KNOWN, account, preset, run
from tests.platforms import MACHINE_PRESET_VIA_XDG

INDIAN_NUMBER = "08302390884"  # valid in IN, not in GB


def as_another_user() -> tuple[str, ...]:
    """How to run a command as a user without IT's rights (nobody, when the tests are root)."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root and setpriv is missing: cannot run as a user who "
                    "lacks access to IT's folder")
    return (setpriv, "--reuid=65534", "--regid=65534", "--clear-groups")


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder any user can enter (pytest's tmp_path is root-only when run as root)."""
    folder = Path(tempfile.mkdtemp(prefix="preset-unreadable-"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@MACHINE_PRESET_VIA_XDG  # and POSIX permissions, setpriv
@pytest.mark.parametrize("command", [["pop", "--no-start", "9876543210"],
                                     ["lookup", "+918302390884"],
                                     ["event", "ended", "--call-id", "c1"]])
def test_a_machine_wide_preset_the_agent_cannot_look_at_is_said_not_a_crash(
        shared_dir: Path, command: list[str]) -> None:
    xdg = shared_dir / "xdg"
    folder = xdg / "DeepCall Screen-Pop"
    folder.mkdir(parents=True)
    (folder / "preset.ini").write_text("[General]\nbrand_url=https://it.example\n",
                                       encoding="utf-8")
    xdg.chmod(0o755)
    folder.chmod(0o700)  # IT made it root-only: the agent cannot even stat preset.ini
    profile = shared_dir / "profile"
    profile.mkdir()
    profile.chmod(0o777)
    env = {**child_env(shared_dir), "XDG_CONFIG_DIRS": str(xdg)}
    env.pop(PRESET_ENV, None)
    result = subprocess.run(
        [*as_another_user(), sys.executable, "-m", "app", command[0], "--profile", str(profile),
         *command[1:]], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert "profile folder cannot be used" not in result.stderr, result.stderr  # the setup
    assert "Traceback" not in result.stderr, result.stderr
    assert "internal error" not in result.stderr, result.stderr
    assert (f"the IT preset {folder / 'preset.ini'} cannot be read (Permission denied); "
            "nothing is preset") in result.stderr, result.stderr


@pytest.mark.parametrize("command", [["pop", "--no-start", "9876543210"],
                                     ["lookup", "+918302390884"]])
def test_a_preset_name_the_os_refuses_is_said_not_a_crash(
        tmp_path: Path, command: list[str]) -> None:
    too_long = tmp_path / ("a" * 300) / "preset.ini"  # ENAMETOOLONG, even for root
    result = run([command[0], "--profile", str(tmp_path / "p"), *command[1:]], tmp_path,
                 **{PRESET_ENV: str(too_long)})
    assert "internal error" not in result.stderr, result.stderr
    assert f"the IT preset {too_long} cannot be read (File name too long)" in result.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs are POSIX")
def test_a_fifo_named_as_the_preset_never_hangs_pop(tmp_path: Path) -> None:
    fifo = tmp_path / "preset.ini"
    os.mkfifo(fifo)
    try:
        result = run(["pop", "--no-start", "--profile", str(tmp_path / "p"), "9876543210"],
                     tmp_path, timeout=20, **{PRESET_ENV: str(fifo)})
    except subprocess.TimeoutExpired:
        pytest.fail("screenpop pop hung opening a FIFO named as the preset")
    assert result.returncode == 5, result.stderr  # not running; the preset said and skipped
    assert f"the IT preset {fifo} cannot be read: it is not a regular file" in result.stderr


def test_lookup_says_what_is_wrong_in_the_preset_and_where_the_address_came_from(
        tmp_path: Path) -> None:
    path = preset(tmp_path / "it", "[General]\nbrand_url=http://127.0.0.1:9\nuser_id=5\n"
                                   "auth_mode=SSID\npop_behavior=tray_only\n")
    result = run(["lookup", "--region", "IN", "--profile", str(tmp_path / "p"),
                  "+918302390884"], tmp_path, **{PRESET_ENV: str(path)})
    assert result.returncode == 5, result.stderr  # nothing listens on port 9: transport
    assert f"the IT preset {path}: ignoring bad auth_mode" in result.stderr
    assert f"the IT preset {path}: there is no setting 'pop_behavior'" in result.stderr
    assert f"http://127.0.0.1:9 (from the IT preset {path})" in result.stderr
    assert f"userId 5 (from the IT preset {path})" in result.stderr
    assert "from the saved settings" not in result.stderr


@pytest.mark.parametrize("command", [["pop", "--region", "IN", "--no-start", "9876543210"],
                                     ["event", "ended", "--call-id", "c1", "--region", "IN"]])
def test_pop_and_event_say_the_presets_mistakes_even_with_region(
        tmp_path: Path, command: list[str]) -> None:
    path = preset(tmp_path / "it", "[General]\npop_behavior=tray_only\n"
                                   "dedupe_seconds=many\napi_token=abc\n")
    result = run([command[0], "--profile", str(tmp_path / "p"), *command[1:]], tmp_path,
                 **{PRESET_ENV: str(path)})
    assert result.returncode == 5, result.stderr
    for words in ("there is no setting 'pop_behavior'", "ignoring bad dedupe_seconds",
                  "api_token looks like a secret"):
        assert f"screenpop {command[0]}: the IT preset {path}: {words}" in result.stderr
    assert "abc" not in result.stderr


@MACHINE_PRESET_VIA_XDG
def test_a_machine_wide_preset_set_aside_by_screenpop_preset_is_said(
        sandbox: SandboxServer, tmp_path: Path) -> None:
    machine = preset(tmp_path / "xdg" / "DeepCall Screen-Pop", account(sandbox))
    other = preset(tmp_path / "it", account(sandbox))
    for named, instead in (("", "no preset is used"), (str(other), f"{other} is used instead")):
        result = run(["lookup", KNOWN, "--profile", str(tmp_path / "p")], tmp_path,
                     XDG_CONFIG_DIRS=str(tmp_path / "xdg"), **{PRESET_ENV: named})
        assert (f"screenpop lookup: {PRESET_ENV} is set, so the machine-wide IT preset "
                f"{machine} is ignored ({instead})") in result.stderr, result.stderr
    assert accounts.DEMO_TOKEN  # the helper checks no output ever shows it


@pytest.mark.parametrize("command", [["pop"], ["event", "ringing", "--call-id", "c1",
                                               "--number"]])
def test_pop_and_event_for_the_demo_ignore_the_preset(tmp_path: Path,
                                                      command: list[str]) -> None:
    path = preset(tmp_path / "it", "[General]\ndefault_region=GB\nno_such_setting=1\n")
    demo = run([*command, INDIAN_NUMBER, "--demo", "--no-start"], tmp_path,
               **{PRESET_ENV: str(path)})
    assert demo.returncode == 5, demo.stderr  # read as IN, the demo's own country: valid
    assert str(path) not in demo.stderr
    agent = run([*command, INDIAN_NUMBER, "--profile", str(tmp_path / "p"), "--no-start"],
                tmp_path, **{PRESET_ENV: str(path)})
    assert agent.returncode == 2, agent.stderr  # the preset's GB counts outside the demo
    assert "read as GB" in agent.stderr
    assert f"the IT preset {path}: there is no setting 'no_such_setting'" in agent.stderr
