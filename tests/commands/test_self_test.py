"""``screenpop self-test`` / ``--self-test`` and ``--version`` in real processes: the lines and
exit codes the release pipeline and IT read."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from app.commands import self_test_checks as checks
from app.commands.self_test import CHECK_NAMES

REPO = Path(__file__).resolve().parents[2]


def _screenpop(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def desktop_env(x_display: str, keyring_backend: object, tmp_path: Path) -> dict[str, str]:
    """A real display and keyring; HOME and the config folders are the test's own, to see
    that nothing is written to the agent's profile."""
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "DISPLAY": x_display, "QT_QPA_PLATFORM": "xcb", "HOME": str(home),
           "XDG_CONFIG_HOME": str(home / ".config"), "XDG_CACHE_HOME": str(home / ".cache")}
    env.pop("SCREENPOP_PROFILE", None)
    return env


def _lines(result: subprocess.CompletedProcess[str]) -> list[tuple[str, str]]:
    """(PASS|FAIL, name) per line; every line must be one of those."""
    found = []
    for line in result.stdout.splitlines():
        verdict, _, rest = line.partition(" ")
        name, colon, detail = rest.partition(": ")
        assert verdict in ("PASS", "FAIL"), line
        assert colon, line
        assert detail, line
        found.append((verdict, name))
    return found


@pytest.mark.parametrize("command", [["self-test"], ["--self-test"]])
def test_every_check_passes_on_a_whole_installation(desktop_env: dict[str, str],
                                                    command: list[str]) -> None:
    result = _screenpop(*command, env=desktop_env)
    assert _lines(result) == [("PASS", name) for name in CHECK_NAMES], result.stdout
    assert result.returncode == 0
    assert "Traceback" not in result.stderr
    assert list(Path(desktop_env["HOME"]).rglob("*")) == []  # no profile, no settings


def test_a_broken_qt_platform_is_a_fail_line_and_the_other_checks_still_run(
        desktop_env: dict[str, str]) -> None:
    # Qt aborts a process whose platform plugin cannot load: here only the child's.
    result = _screenpop("self-test", env={**desktop_env, "QT_QPA_PLATFORM": "no-such-platform"})
    verdicts = dict((name, verdict) for verdict, name in _lines(result))
    assert list(verdicts) == list(CHECK_NAMES)
    assert verdicts.pop("qt-platform") == "FAIL"
    assert verdicts.pop("icons") == "FAIL"
    assert set(verdicts.values()) == {"PASS"}
    assert 'platform plugin "no-such-platform"' in result.stdout.splitlines()[0]
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr


def test_in_a_locale_that_is_not_utf8_it_prints_only_its_lines(
        desktop_env: dict[str, str]) -> None:
    # Qt switches a C-locale process to C.UTF-8 and says so in four lines on stderr.
    env = {**desktop_env, "LC_ALL": "C", "LANG": "C"}
    env.pop("LC_CTYPE", None)
    result = _screenpop("self-test", env=env)
    assert _lines(result) == [("PASS", name) for name in CHECK_NAMES], result.stdout
    assert "locale" not in result.stderr, result.stderr
    assert result.returncode == 0


@pytest.mark.parametrize(("codeset", "platform", "override"), [
    ("ANSI_X3.4-1968", "linux", {"LC_ALL": "C.UTF-8"}),
    ("ISO-8859-1", "freebsd14", {"LC_ALL": "C.UTF-8"}),
    ("UTF-8", "linux", {}), ("utf8", "linux", {}),
    ("US-ASCII", "darwin", {}),  # Qt picks its own "UTF-8" locale there
    ("", "win32", {}),
])
def test_the_utf8_locale_is_set_only_where_qt_would_switch(
        codeset: str, platform: str, override: dict[str, str]) -> None:
    assert checks.utf8_locale_override(codeset, platform) == override


def test_the_fail_keyring_backend_is_a_fail_line(desktop_env: dict[str, str]) -> None:
    fail_backend = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    result = _screenpop("self-test", env={**desktop_env, **fail_backend})
    keyring_line = result.stdout.splitlines()[CHECK_NAMES.index("keyring")]
    assert keyring_line == "FAIL keyring: no usable keyring backend (fail.Keyring)"
    assert result.returncode == 1


def test_version_prints_the_package_version() -> None:
    result = _screenpop("--version", env=dict(os.environ))
    assert (result.returncode, result.stdout, result.stderr) == (
        0, f"screenpop {version('deepcall-screenpop')}\n", "")


@pytest.mark.parametrize("platform", ["offscreen", "minimal"])
def test_a_platform_that_is_not_the_desktop_is_a_fail_line(desktop_env: dict[str, str],
                                                           platform: str) -> None:
    # A CI job or a user's profile that forces QT_QPA_PLATFORM: Qt starts, but the desktop
    # plugin the agent needs was never loaded.
    result = _screenpop("self-test", env={**desktop_env, "QT_QPA_PLATFORM": platform})
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"FAIL qt-platform: Qt started on the {platform} platform"), first
    assert "run the self-test on the desktop" in first
    assert result.returncode == 1


@pytest.mark.parametrize("args", [["--version", "--self-test"], ["--self-test", "--version"],
                                  ["--version", "--demo"], ["--version", "tel:+919876543210"],
                                  ["--profile", "x", "--version"]])
def test_version_with_any_other_argument_is_a_usage_error(args: list[str]) -> None:
    result = _screenpop(*args, env=dict(os.environ))
    assert (result.returncode, result.stdout) == (2, ""), result.stdout
    assert result.stderr == "screenpop: --version takes no other argument " \
                            "(usage: screenpop --version)\n"


@pytest.mark.parametrize("args", [["--self-test", "--demo"], ["--self-test", "lookup"],
                                  ["self-test", "--profile", "x"]])
def test_self_test_with_another_argument_is_a_usage_error_not_skipped(args: list[str]) -> None:
    result = _screenpop(*args, env=dict(os.environ))
    assert (result.returncode, result.stdout) == (2, ""), result.stdout
    assert "screenpop self-test: error: unrecognized arguments" in result.stderr
