"""``screenpop pop NUMBER`` / ``screenpop tel:...``: hand a caller number to the running app.

Softphones run this on every call, so it stays light: no Qt, the number is validated here first
(a typo never reaches DeepCall, and the user learns it at once), then one line goes over the
local socket. When no instance runs, it starts one detached and retries until it answers.

Exit codes: 0 popped; 2 invalid number or usage; 1 the app refused the request; 5 the app
did not answer (not running and could not be started in time); 6 the app it started exited at
once (its exit code and last error line are printed; its output is in <profile>/logs/launch.log).
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
from pathlib import Path
from typing import IO

from app.commands.output import print_stderr, write_stdout
from app.commands.profile_choice import add_profile_options, chosen_profile, start_hint
from app.core.phone import DEFAULT_REGION, display_format, normalise
from app.core.pop_request import (
    DIRECTIONS,
    MAX_CALL_ID,
    MAX_SOURCE,
    STATE_LINE,
    PopRequest,
    pop_line,
)
from app.core.profile import (
    ProfileUnusable,
    check_no_file_in_the_way,
    check_usable,
    profile_path,
)
from app.core.screen_text import shortened
from app.sources.forward import (
    GaveUp,
    NoAnswer,
    NotListening,
    UnsafeSocketDir,
    exchange,
    forward_until_answered,
)

EXIT_OK, EXIT_REFUSED, EXIT_INVALID, EXIT_NO_ANSWER, EXIT_START_FAILED = 0, 1, 2, 5, 6
LAUNCH_LOG = Path("logs") / "launch.log"  # in the profile: what the started app printed
MAX_LAUNCH_LOG = 1 << 20


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="screenpop pop",
        description="Pop a caller number in the running Screen-Pop (starting it if needed).",
    )
    parser.add_argument("number", help="the number: +918302390884, 08302390884, tel:+91-...")
    parser.add_argument("--call-id", help="the call's id, so notes attach to this call")
    parser.add_argument("--direction", choices=DIRECTIONS, help="inbound or outbound")
    parser.add_argument("--source", default="cli", help="who sent it (shown in logs)")
    add_profile_options(parser)
    parser.add_argument("--region",
                        help="country for numbers without a country code (default: the "
                             f"profile's default country in Settings, else {DEFAULT_REGION})")
    parser.add_argument("--no-start", action="store_true",
                        help="fail instead of starting Screen-Pop when it is not running")
    parser.add_argument("--wait", type=float, default=15.0, metavar="SECONDS",
                        help="how long to wait for a starting instance (default: %(default)s)")
    # The app's own option, as in `screenpop --log-format json tel:...`: used if it is started.
    parser.add_argument("--log-format", choices=("text", "json"),
                        help="the log format of Screen-Pop if this starts it")
    return parser


def profile_region(profile_dir: Path) -> str:
    """The default country set in the profile's Settings, read as the app reads it; else IN.

    A softphone in London hands over ``020 7219 3000``: it must be read as British here,
    exactly as the app would read it, not refused as an invalid Indian number. What is odd
    about the file (an unknown region, a section twice) is said on stderr.
    """
    from app.services.settings_file import stored_region

    return stored_region(profile_dir, lambda warning: print_stderr(f"screenpop pop: {warning}"))


def app_command(profile: str | None) -> list[str]:
    """How to start the app in the background: the same interpreter (or frozen executable).

    Only the profile goes on the command line: credentials reach the app from the keyring or
    its inherited environment, never through argv where other users could read them.
    """
    command = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "app"]
    if profile:
        command += ["--profile", profile]
    return command


def _launch_output(profile_dir: Path) -> IO[bytes]:
    """Where the started app's stdout/stderr go: a file, so an early failure can be shown.

    Not a pipe: the app outlives this command, and writing to a pipe nobody reads any more
    would fail (or block) in the app. Appended to (two pops may start two apps at once, the
    loser hands over and exits), and started afresh once it has grown past a megabyte.
    """
    path = profile_dir / LAUNCH_LOG
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        too_big = path.exists() and path.stat().st_size > MAX_LAUNCH_LOG
        output = path.open("w+b" if too_big else "a+b")
    except OSError:
        import tempfile

        output = tempfile.TemporaryFile()  # noqa: SIM115 - returned, closed by the caller
    output.seek(0, 2)
    return output


def detached() -> dict[str, object]:
    """``subprocess.Popen`` options for a process that outlives the one starting it (and the
    softphone's hook and its terminal)."""
    if sys.platform == "win32":
        return {"creationflags": subprocess.DETACHED_PROCESS  # type: ignore[attr-defined]
                | subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined]
    return {"start_new_session": True}


def start_instance(profile: str | None, output: IO[bytes] | int = subprocess.DEVNULL,
                   log_format: str | None = None, demo: bool = False) -> subprocess.Popen[bytes]:
    kwargs = detached()
    command = (app_command(profile) + (["--demo"] if demo else [])
               + (["--log-format", log_format] if log_format else []))
    child: subprocess.Popen[bytes] = subprocess.Popen(  # type: ignore[call-overload]
        command, stdin=subprocess.DEVNULL, stdout=output, stderr=output,
        close_fds=True, **kwargs)
    return child


def _last_error_line(output: IO[bytes], start: int) -> str:
    """The last non-blank line the failed app printed (usually the reason), shortened."""
    with contextlib.suppress(OSError, ValueError):
        end = output.seek(0, 2)
        output.seek(max(start, end - 8192))
        lines = [line.strip() for line in output.read().decode(
            "utf-8", "replace").splitlines() if line.strip()]
        if lines:
            return lines[-1][:300]
    return ""


def _report(reply: dict[str, object], e164: str) -> int:
    if reply.get("ok") is True:
        # The app has the number: whatever happens to this confirmation, a softphone that
        # saw a failure might pop the call again.
        problem = write_stdout(f"Screen-Pop: {display_format(e164)}\n")
        if problem is not None and not isinstance(problem, BrokenPipeError):
            print_stderr("screenpop pop: could not print the confirmation "
                         f"({problem.strerror}); the number was popped.")
        return EXIT_OK
    reason = str(reply.get("error") or "unknown error")
    print_stderr(f"screenpop pop: the app refused the request: {reason}")
    return EXIT_INVALID if "phone number" in reason else EXIT_REFUSED


def _note_start_problem(profile_dir: Path, e164: str) -> None:
    """After a cold start: if the new app could not look the number up at all (typically the
    first start, before DeepCall is set up), say why on stderr. The pop itself succeeded."""
    state: object = None
    for _ in range(5):  # the app starts the lookup on its next loop pass: a few quick asks
        try:
            state = exchange(profile_dir, STATE_LINE, timeout=1.0).get("state")
        except (ConnectionError, OSError):
            return
        if not (isinstance(state, dict) and state.get("status") in ("idle", "loading")):
            break
    if isinstance(state, dict) and state.get("number") == e164 \
            and state.get("status") == "error" and state.get("error_message"):
        print_stderr(f"screenpop pop: note: {state['error_message']}")


def _start_and_forward(profile_dir: Path, profile_arg: str | None, line: str,
                       wait: float, log_format: str | None,
                       demo: bool = False) -> dict[str, object] | int:
    """Start the app and hand it ``line``; the reply, or an exit code if the app died at once.

    A started app that exits with 0 before answering most likely lost a start-up race to
    another instance (it handed over and left), so waiting goes on for that one.
    """
    with _launch_output(profile_dir) as output:
        start = output.tell()
        child = start_instance(profile_arg, output, log_format, demo)
        try:
            return forward_until_answered(profile_dir, line, wait=wait,
                                          give_up=lambda: child.poll() not in (None, 0))
        except GaveUp:
            reason = _last_error_line(output, start)
            print_stderr("screenpop pop: Screen-Pop exited at start-up with code "
                         f"{child.returncode}" + (f": {reason}" if reason else "")
                         + f" (full output in {profile_dir / LAUNCH_LOG}).")
            return EXIT_START_FAILED


def _checked_text(value: str | None, option: str, limit: int, *,
                  shorten: bool = False) -> str | int | None:
    """``value`` stripped (None if empty), or EXIT_INVALID once the reason is printed.

    Control characters are refused (the app would refuse the whole pop); a text over ``limit``
    is refused too, or with ``shorten`` cut to it: a call id cut short would
    attach notes to another call, a source is only a label in the logs.
    """
    text = (value or "").strip()
    if not text.isprintable():  # before any cut: a control character past it is refused too
        print_stderr(f"screenpop pop: {option} must be printable text.")
        return EXIT_INVALID
    if shorten:
        text = shortened(text, limit).rstrip()
    if len(text) > limit:
        print_stderr(f"screenpop pop: {option} must be at most {limit} characters.")
        return EXIT_INVALID
    return text or None


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    # Not checked for writing yet: a running app pops even when the folder became read-only.
    profile_dir = profile_path(chosen_profile(args))
    check_no_file_in_the_way(profile_dir)  # only looks; named before the settings are read
    region = args.region or profile_region(profile_dir)
    e164 = normalise(args.number, region)
    if e164 is None:
        print_stderr(f"screenpop pop: {args.number!r} is not a valid phone number "
                     f"(numbers without a country code are read as {region.upper()}).")
        return EXIT_INVALID
    # The app refuses a whole pop over a bad call id or source: refuse here, saying which.
    call_id = _checked_text(args.call_id, "--call-id", MAX_CALL_ID)
    source = _checked_text(args.source, "--source", MAX_SOURCE, shorten=True)
    if isinstance(call_id, int) or isinstance(source, int):
        return EXIT_INVALID
    request = PopRequest(e164, call_id=call_id, direction=args.direction, source=source)
    line = pop_line(request)
    profile_arg = str(profile_dir) if args.profile else None

    try:
        try:
            reply = exchange(profile_dir, line)
        except UnsafeSocketDir as err:
            print_stderr(f"screenpop pop: cannot reach Screen-Pop safely: {err}.")
            return EXIT_NO_ANSWER
        except NotListening:
            check_usable(profile_dir)  # nothing answers: an unusable folder is the likely cause
            if args.no_start:
                print_stderr("screenpop pop: Screen-Pop is not running "
                             f"(start it with: {start_hint(args, profile_dir)}).")
                return EXIT_NO_ANSWER
            reply_or_code = _start_and_forward(profile_dir, profile_arg, line, args.wait,
                                               args.log_format, args.demo)
            if isinstance(reply_or_code, int):
                return reply_or_code
            reply = reply_or_code
            if reply.get("ok") is True:
                _note_start_problem(profile_dir, e164)
    except NotListening:
        print_stderr(f"screenpop pop: started Screen-Pop but it did not answer within "
                     f"{args.wait:g} s. Check its logs under {profile_dir / 'logs'}.")
        return EXIT_NO_ANSWER
    except NoAnswer as err:
        print_stderr(f"screenpop pop: Screen-Pop is running but did not answer: {err}.")
        return EXIT_NO_ANSWER
    except ProfileUnusable:
        raise  # exit 7 with the reason, from app.cli
    except OSError as err:
        print_stderr(f"screenpop pop: cannot reach Screen-Pop: {err}")
        return EXIT_NO_ANSWER
    return _report(reply, e164)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
