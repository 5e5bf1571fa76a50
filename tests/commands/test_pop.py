"""``screenpop pop`` / ``screenpop state`` / ``screenpop tel:...`` as a softphone runs them.

The round trips against a running instance are in tests/sources/test_local_socket.py; here
the command line itself: validation, exit codes, messages, and that it stays light.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.commands import pop
from tests.platforms import posix_only
from tests.sources.processes import REPO, harness, screenpop, screenpop_into_each_dead_end

# The private socket folder /tmp/screenpop-<uid> (os.getuid, mode bits): Windows uses named pipes.
SOCKET_FOLDER = posix_only("os.getuid and the /tmp socket folder's mode bits")


# (A bare ``tel:`` is an empty caller id: withheld, tests/commands/test_event.py.)
@pytest.mark.parametrize("number", ["12345", "hello", "tel:anon", "+91 12", "08302390884x"])
def test_an_invalid_number_exits_2_with_a_plain_message(tmp_path: Path, number: str) -> None:
    result = screenpop("pop", number, "--profile", str(tmp_path))
    assert result.returncode == 2
    assert "is not a valid phone number" in result.stderr
    assert "read as IN" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_an_invalid_tel_link_exits_2(tmp_path: Path) -> None:
    result = screenpop("tel:12345", "--profile", str(tmp_path))
    assert result.returncode == 2
    assert "'tel:12345' is not a valid phone number" in result.stderr


def test_bad_arguments_get_usage(tmp_path: Path) -> None:
    result = screenpop("pop", "+918302390884", "--direction", "sideways")
    assert result.returncode == 2
    assert "usage: screenpop pop" in result.stderr
    too_long = screenpop("pop", "+918302390884", "--call-id", "x" * 300, "--no-start",
                         "--profile", str(tmp_path))
    assert too_long.returncode == 2
    assert "--call-id" in too_long.stderr


def test_the_region_option(tmp_path: Path) -> None:
    result = screenpop("pop", "08302390884", "--region", "GB", "--no-start",
                       "--profile", str(tmp_path))
    assert result.returncode == 2  # as a UK number it is invalid
    assert "read as GB" in result.stderr
    result = screenpop("pop", "08302390884", "--no-start", "--profile", str(tmp_path))
    assert result.returncode == 5  # valid as an Indian number; nobody runs: not running
    assert "Screen-Pop is not running" in result.stderr


def test_a_refusal_from_the_app_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(pop, "exchange",
                        lambda *_a, **_k: {"ok": False, "error": "too many messages; slow down"})
    assert pop.main(["+918302390884", "--profile", str(tmp_path)]) == 1
    assert "the app refused the request: too many messages" in capsys.readouterr().err


def test_the_client_does_not_load_qt() -> None:
    code = ("import sys, app.cli, app.commands.pop, app.commands.event, app.commands.state\n"
            "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def test_a_tel_link_from_the_os_reaches_the_running_app(tmp_path: Path) -> None:
    running = harness(tmp_path)
    try:
        running.expect("LISTENING")
        result = screenpop("TEL:%2B91-83023-90884", "--call-id", "os-1", "--profile",
                           str(tmp_path))
        assert result.returncode == 0, result.stderr
        assert '"call_id": "os-1"' in running.expect("POP")
    finally:
        running.stop()


DIES_AT_START = ("import sys; print('starting', flush=True); "
                 "sys.exit('ModuleNotFoundError: No module named PySide6')")


def test_an_app_that_dies_at_start_is_reported_at_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # e.g. a broken install: the started app exits with an error before it listens. Say so
    # with its exit code and reason now, not after --wait seconds of "did not answer".
    monkeypatch.setattr(pop, "app_command", lambda _p: [sys.executable, "-c", DIES_AT_START])
    started = time.monotonic()
    assert pop.main(["08302390884", "--wait", "30", "--profile", str(tmp_path)]) == 6
    assert time.monotonic() - started < 15
    err = capsys.readouterr().err
    assert "Screen-Pop exited at start-up with code 1: ModuleNotFoundError: No module named " \
           "PySide6" in err
    assert "launch.log" in err
    assert "did not answer" not in err
    launch_log = (tmp_path / "logs" / "launch.log").read_text()
    assert "starting" in launch_log
    assert "No module named PySide6" in launch_log


def test_a_started_app_that_hands_over_and_exits_0_is_not_an_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # Exit 0 before answering = it lost a start-up race and handed over: keep waiting.
    monkeypatch.setattr(pop, "app_command", lambda _p: [sys.executable, "-c", "pass"])
    assert pop.main(["08302390884", "--wait", "1", "--profile", str(tmp_path)]) == 5
    assert "did not answer within 1 s" in capsys.readouterr().err


def test_a_bare_number_as_first_argument_is_popped(tmp_path: Path) -> None:
    # `screenpop 08302390884`, as a softphone's "run a program with the number" calls it.
    result = screenpop("08302390884", "--no-start", "--profile", str(tmp_path))
    assert result.returncode == 5, result.stderr
    assert "Screen-Pop is not running" in result.stderr
    invalid = screenpop("12345", "--profile", str(tmp_path))
    assert invalid.returncode == 2
    assert "'12345' is not a valid phone number" in invalid.stderr


def test_a_bare_number_reaches_the_running_app(tmp_path: Path) -> None:
    running = harness(tmp_path)
    try:
        running.expect("LISTENING")
        result = screenpop("--profile", str(tmp_path), "+91 83023 90884", "--call-id", "c-3")
        assert result.returncode == 0, result.stderr
        assert '"number": "+918302390884", "call_id": "c-3"' in running.expect("POP")
    finally:
        running.stop()


def test_the_profiles_default_country_applies_without_region(tmp_path: Path) -> None:
    # The agent set the default country to the UK in Settings (app/services/settings.py
    # keeps it in settings.ini): a national UK number from the softphone is valid.
    (tmp_path / "settings.ini").write_text("[General]\nbrand_url=https://x.example\n"
                                           "default_region=GB\n", encoding="utf-8")
    result = screenpop("pop", "020 7219 3000", "--no-start", "--profile", str(tmp_path))
    assert result.returncode == 5, result.stderr  # valid; only "not running" stops it
    assert "Screen-Pop is not running" in result.stderr
    indian = screenpop("pop", "08302390884", "--no-start", "--profile", str(tmp_path))
    assert indian.returncode == 2
    assert "read as GB" in indian.stderr
    # --region still wins over the profile.
    forced = screenpop("pop", "08302390884", "--region", "IN", "--no-start",
                       "--profile", str(tmp_path))
    assert forced.returncode == 5


@pytest.mark.parametrize("content", ["default_region=XX\n", "no section at all\n",
                                     "[General]\ndefault_region=\n", "\udcff"])
def test_a_broken_settings_file_falls_back_to_india(tmp_path: Path, content: str) -> None:
    (tmp_path / "settings.ini").write_bytes(content.encode("utf-8", "surrogateescape"))
    assert pop.profile_region(tmp_path) == "IN"


def test_settings_written_by_the_app_are_read(tmp_path: Path) -> None:
    from app.services.settings import Settings

    Settings(tmp_path).default_region = "ae"
    assert pop.profile_region(tmp_path) == "AE"


def test_state_prints_the_socket_address_for_own_clients(tmp_path: Path) -> None:
    from app.sources.socket_address import server_name

    result = screenpop("state", "--address", "--profile", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == server_name(tmp_path)


@SOCKET_FOLDER
def test_an_unsafe_socket_directory_is_reported_without_starting_anything(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import shutil
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="spt", dir="/tmp"))  # short: no /tmp fallback
    try:
        (base / f"screenpop-{os.getuid()}").mkdir(mode=0o777)
        (base / f"screenpop-{os.getuid()}").chmod(0o777)  # open to every user
        monkeypatch.setattr(tempfile, "gettempdir", lambda: str(base))

        def no_start(*_a: object, **_k: object) -> None:
            raise AssertionError("must not start an app that would refuse the directory too")

        monkeypatch.setattr(pop, "start_instance", no_start)
        assert pop.main(["08302390884", "--profile", str(tmp_path)]) == 5
        assert "cannot reach Screen-Pop safely" in capsys.readouterr().err
        from app.commands import state

        assert state.main(["--profile", str(tmp_path)]) == 5
        err = capsys.readouterr().err
        assert "is open to other users" in err
        assert "not running" not in err
    finally:
        shutil.rmtree(base, ignore_errors=True)


@SOCKET_FOLDER
def test_an_unsafe_socket_directory_is_not_waited_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A second start hands over with a long wait; an unsafe directory must end it at once.
    import shutil
    import tempfile
    import time

    from app.core.pop_request import SHOW_LINE
    from app.sources.forward import UnsafeSocketDir, forward_until_answered

    base = Path(tempfile.mkdtemp(prefix="spt", dir="/tmp"))  # short: no /tmp fallback
    try:
        (base / f"screenpop-{os.getuid()}").mkdir(mode=0o777)
        (base / f"screenpop-{os.getuid()}").chmod(0o777)  # open to every user
        monkeypatch.setattr(tempfile, "gettempdir", lambda: str(base))
        started = time.monotonic()
        with pytest.raises(UnsafeSocketDir):
            forward_until_answered(tmp_path, SHOW_LINE, wait=15.0)
        assert time.monotonic() - started < 5.0
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize("source", ["soft\x1bphone", "line\nbreak", "\u202eenohptfos",
                                    "s" * 70 + "\x1b[2J"])  # past the 64 it is cut to
def test_a_bad_source_is_refused_here_not_by_the_app(tmp_path: Path, source: str) -> None:
    # The app refuses a whole pop whose source has control characters: say so before sending.
    result = screenpop("pop", "08302390884", "--source", source, "--no-start",
                       "--profile", str(tmp_path))
    assert result.returncode == 2, result.stderr
    assert "--source must be printable text" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_long_source_is_shortened_not_refused(tmp_path: Path) -> None:
    # Only a label for the logs: a softphone passing a long one still pops (as it always did).
    running = harness(tmp_path)
    try:
        running.expect("LISTENING")
        result = screenpop("pop", "08302390884", "--source", "  " + "s" * 200,
                           "--profile", str(tmp_path))
        assert result.returncode == 0, result.stderr
        assert f'"source": "{"s" * 64}"' in running.expect("POP")
    finally:
        running.stop()


def test_foreign_digits_log_format_and_a_bom_reach_the_running_app(tmp_path: Path) -> None:
    running = harness(tmp_path)
    try:
        running.expect("LISTENING")
        for args in (["pop", "\ufeff08302390884"],
                     ["\uff0b\uff19\uff11\uff18\uff13\uff10\uff12\uff13\uff19\uff10\uff18\uff18"
                      "\uff14"],  # ＋９１８３０２３９０８８４, bare, as a tel: handler passes it
                     ["\u0660\u0668\u0663\u0660\u0662\u0663\u0669\u0660\u0668\u0668\u0664"],
                     ["--log-format", "json", "tel:+91-83023-90884"]):
            result = screenpop(*args, "--profile", str(tmp_path))
            assert result.returncode == 0, (args, result.stderr)
            assert '"number": "+918302390884"' in running.expect("POP")
    finally:
        running.stop()


def test_the_log_format_goes_to_the_app_it_starts(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    record = tmp_path / "argv"
    # The stand-in records its arguments, then fails: giving up follows the write by itself,
    # whatever --wait and however slow the machine.
    monkeypatch.setattr(pop, "app_command", lambda _p: [
        sys.executable, "-c", f"import sys, pathlib; pathlib.Path({str(record)!r})"
                              ".write_text(' '.join(sys.argv[1:])); sys.exit(3)"])
    assert pop.main(["tel:+918302390884", "--log-format", "json", "--wait", "60",
                     "--profile", str(tmp_path)]) == 6
    assert record.read_text() == "--log-format json"


@pytest.mark.parametrize(("args", "code"), [
    (["pop", "abc"], 2), (["pop", "08302390884", "--no-start"], 5), (["state"], 3),
    (["pop", "08302390884", "--source", "a\x1bb", "--no-start"], 2)])
def test_exit_codes_hold_when_stderr_is_lost_too(tmp_path: Path, args: list[str],
                                                 code: int) -> None:
    # A softphone hook may run us with both streams on a full disk or a closed pipe: the
    # message is lost, its exit code must not be (1, as an unhandled write error gave).
    codes = screenpop_into_each_dead_end(*args, "--profile", str(tmp_path))
    assert codes, "no way to lose the output on this system"
    assert set(codes.values()) == {code}, codes


WINDOWED = ("import sys; sys.stdout = sys.stderr = None; from app.cli import main; "
            "sys.exit(main(sys.argv[1:]))")


@pytest.mark.parametrize(("args", "code"), [
    (["pop", "abc"], 2), (["state"], 3), (["state", "--address"], 0)])
def test_a_windowed_build_without_stdout_or_stderr_keeps_its_exit_codes(
        tmp_path: Path, args: list[str], code: int) -> None:
    # A windowed (pythonw / PyInstaller --windowed) build has sys.stdout and sys.stderr None.
    result = subprocess.run([sys.executable, "-c", WINDOWED, *args, "--profile", str(tmp_path)],
                            cwd=REPO, capture_output=True, text=True, timeout=40, check=False)
    assert result.returncode == code, result.stderr


@pytest.mark.parametrize(("call_id", "message"), [
    ("c" * 129, "--call-id must be at most 128 characters"),
    ("call\x1b[2J", "--call-id must be printable text")])
def test_a_bad_call_id_is_refused_not_cut(tmp_path: Path, call_id: str, message: str) -> None:
    # A call id cut short could attach the agent's notes to another call.
    result = screenpop("pop", "08302390884", "--call-id", call_id, "--no-start",
                       "--profile", str(tmp_path))
    assert (result.returncode, result.stderr) == (2, f"screenpop pop: {message}.\n")
