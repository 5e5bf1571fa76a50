"""``screenpop`` entry point: picks the command, imports only what that command needs.

Commands are imported lazily so that ``screenpop lookup`` never loads Qt and a ``tel:`` forward
starts in a few milliseconds.
"""

from __future__ import annotations

import importlib
import sys

# command word -> module under app.commands exposing ``main(argv: list[str]) -> int``
COMMANDS = {
    "lookup": "lookup",
    "sandbox": "sandbox",
    "pop": "pop",
    "state": "state",
}


def _looks_like_a_number(arg: str) -> bool:
    return not arg.startswith("-") and any(ch.isdigit() for ch in arg) and all(
        ch.isdigit() or ch in "+-() ." for ch in arg)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in COMMANDS:
        module_name, rest = COMMANDS[args[0]], args[1:]
    elif args and (args[0].lower().startswith(("tel:", "callto:", "sip:"))
                   or _looks_like_a_number(args[0])):
        # A softphone or the OS hands us a tel: link or a bare number ("run a program with
        # the caller's number"): forward it to the running instance.
        module_name, rest = "pop", args
    else:
        module_name, rest = "gui", args
    module = importlib.import_module(f"app.commands.{module_name}")
    try:
        return int(module.main(rest))
    except KeyboardInterrupt:
        return 130
