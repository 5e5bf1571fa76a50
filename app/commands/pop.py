"""``screenpop pop NUMBER`` / ``screenpop tel:...``: hand a caller number to the running app.

A withheld caller id (``anonymous``, ``sip:private@host``, ``""``, ``000000``) pops as
"Withheld number". ``screenpop event`` (app/commands/event.py) reaches the app through the
functions here.

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
import os
import subprocess
import sys
from pathlib import Path, PureWindowsPath
from typing import IO

from app.commands.output import print_stderr, write_stdout
from app.commands.profile_choice import add_profile_options, chosen_profile, start_hint
from app.core import child_env
from app.core.caller_id import WITHHELD_LABEL, is_withheld
from app.core.phone import DEFAULT_REGION, display_format, normalise
from app.core.pop_request import (
    DIRECTIONS,
    MAX_AGENT,
    MAX_CALL_ID,
    MAX_LINE_NAME,
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
    parser.add_argument("number", help="the number: +918302390884, 08302390884, tel:+91-...; "
                                       "anonymous, private or an empty id for a withheld one")
    parser.add_argument("--call-id", help="the call's id, so notes attach to this call")
    parser.add_argument("--direction", choices=DIRECTIONS, help="inbound or outbound")
    parser.add_argument("--source", default="cli", help="who sent it (shown in logs)")
    parser.add_argument("--line", help='the dialled line or queue ("Sales IN"), shown with '
                                       "the caller")
    add_app_options(parser)
    return parser


def add_app_options(parser: argparse.ArgumentParser) -> None:
    """Which app to reach and how to start it: the options ``pop`` and ``event`` share."""
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


def chosen_profile_dir(args: argparse.Namespace) -> Path:
    """The profile folder the options name (``--profile``, ``--demo``, else the agent's)."""
    return profile_path(chosen_profile(args))


def profile_region(profile_dir: Path, command: str = "pop", *, demo: bool = False,
                   region: str | None = None) -> str:
    """``region`` if given, else the default country set in the profile's Settings, read as
    the app reads it; else IN.

    A softphone in London hands over ``020 7219 3000``: it must be read as British here,
    exactly as the app would read it, not refused as an invalid Indian number. What is odd
    about the IT preset and the file (an unknown region, a section twice) is said on stderr,
    with or without ``--region``. The demo ignores any IT preset, as the demo app does.
    """
    from app.services.preset import NO_PRESET
    from app.services.stored_settings import report_stored

    def warn(warning: str) -> None:
        print_stderr(f"screenpop {command}: {warning}")

    stored = report_stored(profile_dir, warn, NO_PRESET if demo else None)
    return region or stored.region(warn)


def app_command(profile: str | None) -> list[str]:
    """How to start the app in the background: the same interpreter (or frozen executable).

    Only the profile goes on the command line: credentials reach the app from the keyring or
    its inherited environment, never through argv where other users could read them.
    """
    command = [frozen_app_executable()] if getattr(sys, "frozen", False) \
        else [sys.executable, "-m", "app"]
    if profile:
        command += ["--profile", profile]
    return command


def frozen_app_executable(executable: str | None = None, platform: str = sys.platform) -> str:
    """The bundle's executable that runs the app.

    On Windows the bundle holds a console ``screenpop.com`` (typed commands print and set
    ERRORLEVEL) beside the windowed ``screenpop.exe``: the app is always the windowed one, or
    a ``pop`` typed in a console would start it with a console window of its own (closing that
    window would end the app).
    """
    executable = executable or sys.executable
    if platform == "win32":
        return str(PureWindowsPath(executable).with_suffix(".exe"))
    return executable


def app_environment() -> dict[str, str]:
    """The started app's environment: the user's, and a new top-level instance for a bundle
    (not a child of this short-lived command; app/core/child_env.py)."""
    return child_env.app_environment(os.environ, child_env.bundle_dir())


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
        close_fds=True, env=app_environment(), **kwargs)
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


def report(reply: dict[str, object], confirmation: str, command: str = "pop") -> int:
    """Print ``Screen-Pop: <confirmation>`` for an accepted request, else the app's reason;
    the exit code."""
    if reply.get("ok") is True:
        # The app has the request: whatever happens to this confirmation, a softphone that
        # saw a failure might pop the call again.
        problem = write_stdout(f"Screen-Pop: {confirmation}\n")
        if problem is not None and not isinstance(problem, BrokenPipeError):
            print_stderr(f"screenpop {command}: could not print the confirmation "
                         f"({problem.strerror}); the app has the request.")
        return EXIT_OK
    reason = str(reply.get("error") or "unknown error")
    print_stderr(f"screenpop {command}: the app refused the request: {reason}")
    return EXIT_INVALID if "phone number" in reason else EXIT_REFUSED


def shown_caller(e164: str | None) -> str:
    """How the confirmation names the caller: ``+91 83023 90884`` or "Withheld number"."""
    return WITHHELD_LABEL if e164 is None else display_format(e164)


def _note_start_problem(profile_dir: Path, e164: str, command: str) -> None:
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
        print_stderr(f"screenpop {command}: note: {state['error_message']}")


def _start_and_forward(profile_dir: Path, profile_arg: str | None, line: str,
                       wait: float, log_format: str | None,
                       command: str, demo: bool = False) -> dict[str, object] | int:
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
            print_stderr(f"screenpop {command}: Screen-Pop exited at start-up with code "
                         f"{child.returncode}" + (f": {reason}" if reason else "")
                         + f" (full output in {profile_dir / LAUNCH_LOG}).")
            return EXIT_START_FAILED


def checked_text(value: str | None, option: str, limit: int, *, shorten: bool = False,
                 command: str = "pop") -> str | int | None:
    """``value`` stripped (None if empty), or EXIT_INVALID once the reason is printed.

    Control characters are refused (the app would refuse the whole pop); a text over ``limit``
    is refused too, or with ``shorten`` cut to it: a call id cut short would
    attach notes to another call, a source or a line name is only a label.
    """
    text = (value or "").strip()
    if not text.isprintable():  # before any cut: a control character past it is refused too
        print_stderr(f"screenpop {command}: {option} must be printable text.")
        return EXIT_INVALID
    if shorten:
        text = shortened(text, limit).rstrip()
    if len(text) > limit:
        print_stderr(f"screenpop {command}: {option} must be at most {limit} characters.")
        return EXIT_INVALID
    return text or None


def checked_caller(raw: str, region: str, command: str = "pop", *,
                   optional: bool = False) -> str | int | None:
    """The caller's E.164 number, None for a withheld caller id, or EXIT_INVALID once the
    reason is printed (a typo never reaches the app, and the softphone's log says why).
    ``optional``: a number the request can do without is dropped instead (None, said)."""
    if is_withheld(raw):
        return None
    e164 = normalise(raw, region)
    if e164 is None and optional:
        print_stderr(f"screenpop {command}: the caller id given is not a phone number; "
                     "sent without it (the call id names the call).")
        return None
    if e164 is None:
        print_stderr(f"screenpop {command}: {raw!r} is not a valid phone number "
                     f"(numbers without a country code are read as {region.upper()}).")
        return EXIT_INVALID
    return e164


def labels(args: argparse.Namespace, command: str = "pop") -> dict[str, str | None] | int:
    """The checked ``--call-id``, ``--source`` and ``--line`` (keyword names of PopRequest and
    CallEvent), or EXIT_INVALID: the app refuses a whole request over one bad label."""
    checked = {
        "call_id": checked_text(args.call_id, "--call-id", MAX_CALL_ID, command=command),
        "source": checked_text(args.source, "--source", MAX_SOURCE, shorten=True,
                               command=command),
        "line": checked_text(args.line, "--line", MAX_LINE_NAME, shorten=True,
                             command=command),
        # Only `event` has --from-agent: a transfer is an event, not a plain pop.
        "from_agent": checked_text(getattr(args, "from_agent", None), "--from-agent",
                                   MAX_AGENT, shorten=True, command=command),
    }
    if any(isinstance(value, int) for value in checked.values()):
        return EXIT_INVALID
    return {key: value for key, value in checked.items() if not isinstance(value, int)}


def deliver(args: argparse.Namespace, profile_dir: Path, line: str, *, command: str = "pop",
            may_start: bool = True, not_running: str = "") -> tuple[dict[str, object], bool] | int:
    """Send ``line`` to the app of ``profile_dir``, starting it when none runs (unless
    ``--no-start`` or not ``may_start``); (the reply, whether it was started) or an exit code
    once the reason is printed. ``not_running`` explains why a command does not start it."""
    profile_arg = str(profile_dir) if args.profile else None
    try:
        try:
            return exchange(profile_dir, line), False
        except UnsafeSocketDir as err:
            print_stderr(f"screenpop {command}: cannot reach Screen-Pop safely: {err}.")
            return EXIT_NO_ANSWER
        except NotListening:
            check_usable(profile_dir)  # nothing answers: an unusable folder is the likely cause
            if args.no_start or not may_start:
                print_stderr(f"screenpop {command}: Screen-Pop is not running"
                             f"{not_running} (start it with: {start_hint(args, profile_dir)}).")
                return EXIT_NO_ANSWER
            reply_or_code = _start_and_forward(profile_dir, profile_arg, line, args.wait,
                                               args.log_format, command, args.demo)
            if isinstance(reply_or_code, int):
                return reply_or_code
            return reply_or_code, True
    except NotListening:
        print_stderr(f"screenpop {command}: started Screen-Pop but it did not answer within "
                     f"{args.wait:g} s. Check its logs under {profile_dir / 'logs'}.")
        return EXIT_NO_ANSWER
    except NoAnswer as err:
        print_stderr(f"screenpop {command}: Screen-Pop is running but did not answer: {err}.")
        return EXIT_NO_ANSWER
    except ProfileUnusable:
        raise  # exit 7 with the reason, from app.cli
    except OSError as err:
        print_stderr(f"screenpop {command}: cannot reach Screen-Pop: {err}")
        return EXIT_NO_ANSWER


def pop_caller(args: argparse.Namespace, profile_dir: Path, request: PopRequest,
               command: str = "pop") -> int:
    """Hand ``request`` to the app (starting it if needed) and report; the exit code."""
    delivered = deliver(args, profile_dir, pop_line(request), command=command)
    if isinstance(delivered, int):
        return delivered
    reply, started = delivered
    if started and reply.get("ok") is True and request.number is not None:
        _note_start_problem(profile_dir, request.number, command)
    return report(reply, shown_caller(request.number), command)


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    # Not checked for writing yet: a running app pops even when the folder became read-only.
    profile_dir = chosen_profile_dir(args)
    check_no_file_in_the_way(profile_dir)  # only looks; named before the settings are read
    region = profile_region(profile_dir, demo=args.demo, region=args.region)
    e164 = checked_caller(args.number, region)
    details = labels(args)
    if isinstance(e164, int) or isinstance(details, int):
        return EXIT_INVALID
    return pop_caller(args, profile_dir, PopRequest(e164, direction=args.direction, **details))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
