"""``screenpop event {ringing|answered|ended|transferred} --call-id ID ...``: a call's lifecycle.

A softphone's hooks run this on each step of a call, so the window follows the call: ``ringing``
pops the caller (as ``screenpop pop``), ``answered`` and ``ended`` update the call shown,
``transferred`` pops the ORIGINAL caller (``--number``) with the agent it came from.

Exit codes as ``screenpop pop``: 0 delivered (an unreadable ``--number`` on
``answered``/``ended`` is dropped, said on stderr: the call id names the call); 2 invalid
number or usage; 1 the app refused the request; 5 the app did not answer, or is not running
for ``answered``/``ended`` (an event for a call nobody popped needs no window, so those never
start the app); 6 the app it started exited at once.
"""

from __future__ import annotations

import argparse
import sys

from app.commands.pop import (
    EXIT_INVALID,
    add_app_options,
    checked_caller,
    chosen_profile_dir,
    deliver,
    labels,
    pop_caller,
    profile_region,
    report,
    shown_caller,
)
from app.core.caller_id import is_withheld
from app.core.pop_request import CALL_EVENTS, DIRECTIONS, CallEvent, PopRequest, event_line
from app.core.profile import check_no_file_in_the_way

# These name the caller a pop needs; answered/ended only move a call along.
NEEDS_NUMBER = ("ringing", "transferred")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="screenpop event",
        description="Tell the running Screen-Pop what happened to a call.",
    )
    parser.add_argument("event", choices=CALL_EVENTS, help="what happened to the call")
    parser.add_argument("--call-id", required=True, help="the call's id (the same on every "
                                                         "event of one call)")
    parser.add_argument("--number", help="the caller's number (needed for ringing and "
                                         "transferred: the ORIGINAL caller); anonymous, "
                                         "private or an empty id for a withheld one")
    parser.add_argument("--line", help='the dialled line or queue ("Sales IN")')
    parser.add_argument("--from-agent", metavar="AGENT",
                        help="who transferred the call (for transferred)")
    parser.add_argument("--direction", choices=DIRECTIONS, help="inbound or outbound")
    parser.add_argument("--source", default="cli", help="who sent it (shown in logs)")
    add_app_options(parser)
    return parser


def main(argv: list[str]) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.event in NEEDS_NUMBER and args.number is None:
        parser.error(f"{args.event} needs --number (the caller's number, or anonymous)")
    profile_dir = chosen_profile_dir(args)
    check_no_file_in_the_way(profile_dir)
    # answered/ended name their call by its id: an unreadable number there is dropped.
    region = profile_region(profile_dir, "event", demo=args.demo, region=args.region)
    e164 = None if args.number is None else checked_caller(
        args.number, region, "event", optional=args.event not in NEEDS_NUMBER)
    withheld = args.number is not None and is_withheld(args.number)
    details = labels(args, "event")
    if isinstance(e164, int) or isinstance(details, int):
        return EXIT_INVALID
    if args.event == "ringing":
        if details["call_id"] is None:
            parser.error("--call-id must not be empty")
        return pop_caller(args, profile_dir,
                          PopRequest(e164, direction=args.direction, **details), "event")
    call_id = details.pop("call_id")
    if call_id is None:
        parser.error("--call-id must not be empty")
    event = CallEvent(args.event, call_id, number=e164, withheld=withheld,
                      direction=args.direction, **details)
    delivered = deliver(args, profile_dir, event_line(event), command="event",
                        may_start=args.event in NEEDS_NUMBER,
                        not_running="" if args.event in NEEDS_NUMBER
                        else f", so there is no call to mark {args.event}")
    if isinstance(delivered, int):
        return delivered
    reply, _started = delivered
    caller = f" · {shown_caller(e164)}" if e164 is not None or withheld else ""
    return report(reply, f"{args.event} (call {call_id}){caller}", "event")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
