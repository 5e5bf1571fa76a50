"""``screenpop pop NUMBER`` / ``screenpop tel:...``: hand a caller number to the running app.

Softphones run this on every call, so it stays light: no Qt, the number is validated here first
(a typo never reaches DeepCall, and the user learns it at once), then one line goes over the
local socket. When no instance runs, it starts one detached and retries until it answers.

Exit codes: 0 popped; 2 invalid number or usage; 1 the app refused the request; 5 the app
did not answer (not running and could not be started in time).
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from app.core.phone import DEFAULT_REGION, display_format, normalise
from app.core.pop_request import DIRECTIONS, MAX_CALL_ID, PopRequest, pop_line
from app.core.profile import resolve_profile_dir
from app.sources.forward import NoAnswer, NotListening, exchange, forward_until_answered

EXIT_OK, EXIT_REFUSED, EXIT_INVALID, EXIT_NO_ANSWER = 0, 1, 2, 5


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="screenpop pop",
        description="Pop a caller number in the running Screen-Pop (starting it if needed).",
    )
    parser.add_argument("number", help="the number: +918302390884, 08302390884, tel:+91-...")
    parser.add_argument("--call-id", help="the call's id, so notes attach to this call")
    parser.add_argument("--direction", choices=DIRECTIONS, help="inbound or outbound")
    parser.add_argument("--source", default="cli", help="who sent it (shown in logs)")
    parser.add_argument("--profile", metavar="DIR", help="the profile of the instance to use")
    parser.add_argument("--region", default=DEFAULT_REGION,
                        help="country for numbers without a country code (default: %(default)s)")
    parser.add_argument("--no-start", action="store_true",
                        help="fail instead of starting Screen-Pop when it is not running")
    parser.add_argument("--wait", type=float, default=15.0, metavar="SECONDS",
                        help="how long to wait for a starting instance (default: %(default)s)")
    return parser


def app_command(profile: str | None) -> list[str]:
    """How to start the app in the background: the same interpreter (or frozen executable).

    Only the profile goes on the command line: credentials reach the app from the keyring or
    its inherited environment, never through argv where other users could read them.
    """
    command = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "app"]
    if profile:
        command += ["--profile", profile]
    return command


def start_instance(profile: str | None) -> None:
    kwargs: dict[str, object] = {}
    if sys.platform == "win32":
        kwargs["creationflags"] = (subprocess.DETACHED_PROCESS  # type: ignore[attr-defined]
                                   | subprocess.CREATE_NEW_PROCESS_GROUP)  # type: ignore[attr-defined]
    else:
        kwargs["start_new_session"] = True  # outlives the softphone's hook and its terminal
    subprocess.Popen(app_command(profile), stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     close_fds=True, **kwargs)  # type: ignore[call-overload]


def _report(reply: dict[str, object], e164: str) -> int:
    if reply.get("ok") is True:
        print(f"Screen-Pop: {display_format(e164)}")
        return EXIT_OK
    reason = str(reply.get("error") or "unknown error")
    print(f"screenpop pop: the app refused the request: {reason}", file=sys.stderr)
    return EXIT_INVALID if "phone number" in reason else EXIT_REFUSED


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    e164 = normalise(args.number, args.region)
    if e164 is None:
        print(f"screenpop pop: {args.number!r} is not a valid phone number "
              f"(numbers without a country code are read as {args.region.upper()}).",
              file=sys.stderr)
        return EXIT_INVALID
    call_id = args.call_id.strip() if args.call_id else None
    if call_id and (len(call_id) > MAX_CALL_ID or not call_id.isprintable()):
        print("screenpop pop: --call-id must be printable text of at most "
              f"{MAX_CALL_ID} characters.", file=sys.stderr)
        return EXIT_INVALID
    request = PopRequest(e164, call_id=call_id or None, direction=args.direction,
                         source=(args.source or "")[:64] or None)
    line = pop_line(request)
    profile_dir = resolve_profile_dir(args.profile)
    profile_arg = str(profile_dir) if args.profile else None

    try:
        try:
            reply = exchange(profile_dir, line)
        except NotListening:
            if args.no_start:
                hint = f"screenpop --profile {profile_dir}" if profile_arg else "screenpop"
                print(f"screenpop pop: Screen-Pop is not running (start it with: {hint}).",
                      file=sys.stderr)
                return EXIT_NO_ANSWER
            start_instance(profile_arg)
            reply = forward_until_answered(profile_dir, line, wait=args.wait)
    except NotListening:
        print(f"screenpop pop: started Screen-Pop but it did not answer within {args.wait:g} s. "
              f"Check its log under {profile_dir}.", file=sys.stderr)
        return EXIT_NO_ANSWER
    except NoAnswer as err:
        print(f"screenpop pop: Screen-Pop is running but did not answer: {err}.",
              file=sys.stderr)
        return EXIT_NO_ANSWER
    except OSError as err:
        print(f"screenpop pop: cannot reach Screen-Pop: {err}", file=sys.stderr)
        return EXIT_NO_ANSWER
    return _report(reply, e164)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
