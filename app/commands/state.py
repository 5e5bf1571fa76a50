"""``screenpop state``: print the running app's state as JSON (for scripts and tests).

Prints the state object (number, status idle|loading|found|unknown|error, fields, error code)
on stdout. Exit codes: 0 printed; 3 no instance runs for this profile; 5 it did not answer;
1 it answered with an error, or the state could not be written; 141 the reader closed the pipe.
"""

from __future__ import annotations

import argparse
import json
import sys

from app.commands.output import EXIT_BROKEN_PIPE, print_stderr, write_stdout
from app.commands.profile_choice import add_profile_options, chosen_profile, start_hint
from app.core.pop_request import STATE_LINE
from app.core.profile import check_usable, profile_path
from app.sources.forward import NoAnswer, NotListening, UnsafeSocketDir, exchange
from app.sources.socket_address import server_name

EXIT_OK, EXIT_ERROR, EXIT_NOT_RUNNING, EXIT_NO_ANSWER = 0, 1, 3, 5


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="screenpop state",
                                     description="Print the running Screen-Pop's state as JSON.")
    add_profile_options(parser, "the profile of the instance to ask")
    parser.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS",
                        help="how long to wait for the answer (default: %(default)s)")
    parser.add_argument("--address", action="store_true",
                        help="only print the local socket's address for this profile "
                             "(for your own clients, e.g. socat); asks nothing")
    args = parser.parse_args(argv)
    profile_dir = profile_path(chosen_profile(args))  # asking a running app writes nothing
    if args.address:
        return _print(server_name(profile_dir) + "\n", "the address")
    try:
        reply = exchange(profile_dir, STATE_LINE, timeout=args.timeout)
    except UnsafeSocketDir as err:
        print_stderr(f"screenpop state: cannot reach Screen-Pop safely: {err}.")
        return EXIT_NO_ANSWER
    except NotListening:
        check_usable(profile_dir)  # nothing answers: an unusable folder is the likely cause
        print_stderr(f"screenpop state: Screen-Pop is not running for the profile {profile_dir} "
                     f"(start it with: {start_hint(args, profile_dir)}).")
        return EXIT_NOT_RUNNING
    except NoAnswer as err:
        print_stderr(f"screenpop state: Screen-Pop is running but did not answer: {err}.")
        return EXIT_NO_ANSWER
    if reply.get("ok") is not True:
        print_stderr(f"screenpop state: {reply.get('error') or 'unknown error'}")
        return EXIT_ERROR
    # \u escapes: text from DeepCall (a name with U+202E or a C1 CSI) must not reorder or
    # drive the terminal, and ASCII survives any stdout encoding. JSON readers decode them.
    return _print(json.dumps(reply.get("state"), indent=2, ensure_ascii=True) + "\n",
                  "the state")


def _print(text: str, what: str) -> int:
    problem = write_stdout(text)
    if isinstance(problem, BrokenPipeError):
        return EXIT_BROKEN_PIPE  # the reader stopped early: nothing to tell anyone
    if problem is not None:
        print_stderr(f"screenpop state: could not write {what} ({problem.strerror}).")
        return EXIT_ERROR
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
