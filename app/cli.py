"""``screenpop`` entry point: picks the command, imports only what that command needs.

Commands are imported lazily so that ``screenpop lookup`` never loads Qt and a ``tel:`` forward
starts in a few milliseconds.
"""

from __future__ import annotations

import importlib
import sys

from app.commands.output import give_streams_to_a_windowed_app, print_stderr, write_stdout
from app.core.digits import ASCII_DIGITS, fold_digits
from app.core.profile import EXIT_PROFILE_UNUSABLE, ProfileUnusable

# command word -> module under app.commands exposing ``main(argv: list[str]) -> int``
COMMANDS = {
    "lookup": "lookup",
    "sandbox": "sandbox",
    "pop": "pop",
    "event": "event",
    "state": "state",
    "self-test": "self_test",
}
# Options that are whole commands of their own (``screenpop --self-test``).
COMMAND_OPTIONS = {"--self-test": "self_test"}
VERSION_OPTION = "--version"
EXIT_USAGE = 2  # as argparse exits for a usage error
DISTRIBUTION = "deepcall-screenpop"

URI_SCHEMES = ("tel:", "callto:", "sip:", "sips:")

# The app's own options that take a value (``--profile DIR``): their value is not a command,
# so ``screenpop --profile DIR tel:+91...`` (as a tel: handler may be set up) still pops.
_GUI_OPTIONS_WITH_VALUE = ("--profile", "--log-format", "--brand", "--user-id")


# Besides digits: the ASCII dialling marks (fold_digits makes fullwidth ones ASCII and drops
# a byte-order mark or the direction marks a copied number comes wrapped in).
_DIALLING_MARKS = frozenset("+-() .")


def looks_like_a_number(arg: str) -> bool:
    """``08302390884``, ``+91 83023 90884``, ``(083) 023-90884``: digits and dialling marks only.

    Digits are what app/core/phone.py reads as digits (one rule, in app/core/digits.py); only
    the shape is checked here; ``screenpop pop`` validates the number itself.
    """
    folded = fold_digits(arg)
    return not arg.startswith("-") and any(ch in ASCII_DIGITS for ch in folded) and all(
        ch in ASCII_DIGITS or ch in _DIALLING_MARKS for ch in folded)


def is_number_or_uri(arg: str) -> bool:
    return arg.lower().startswith(URI_SCHEMES) or looks_like_a_number(arg)


def _first_positional(args: list[str]) -> int | None:
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            return index + 1 if index + 1 < len(args) else None
        if not arg.startswith("-") or arg == "-" or looks_like_a_number(arg):
            return index
        index += 2 if arg in _GUI_OPTIONS_WITH_VALUE else 1
    return None


def route(args: list[str]) -> tuple[str, list[str]]:
    """The command module and its arguments for ``screenpop ARGS``.

    A command word picks that command; a ``tel:``/``callto:``/``sip:`` link or a bare number
    (what a softphone's "run a program with the number" or the OS's link handler passes)
    goes to ``pop`` with every argument; anything else starts the app (``gui``).
    """
    for option, module in COMMAND_OPTIONS.items():
        if option in args[:_first_positional(args)]:
            return module, [arg for arg in args if arg != option]
    position = _first_positional(args)
    if position is not None:
        word = args[position]
        if word in COMMANDS:
            return COMMANDS[word], args[:position] + args[position + 1:]
        if is_number_or_uri(word):
            return "pop", [arg for i, arg in enumerate(args) if not (arg == "--" and i < position)]
    return "gui", args


def version_line() -> str:
    """``screenpop 0.1.0``: the version of the installed package (copied into a bundle)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"screenpop {version(DISTRIBUTION)}"
    except PackageNotFoundError:
        return ""


def main(argv: list[str] | None = None) -> int:
    give_streams_to_a_windowed_app()
    args = list(sys.argv[1:] if argv is None else argv)
    if VERSION_OPTION in args[:_first_positional(args)] and args != [VERSION_OPTION]:
        # Never one of them silently: ``--version --self-test`` once exited 0 having checked
        # nothing.
        print_stderr(f"screenpop: {VERSION_OPTION} takes no other argument "
                     f"(usage: screenpop {VERSION_OPTION})")
        return EXIT_USAGE
    if args == [VERSION_OPTION]:
        line = version_line()
        if not line:
            print_stderr(f"screenpop: the version is unknown: the package metadata of "
                         f"{DISTRIBUTION} is missing from this installation.")
            return 1
        write_stdout(line + "\n")
        return 0
    module_name, rest = route(args)
    module = importlib.import_module(f"app.commands.{module_name}")
    try:
        return int(module.main(rest))
    except ProfileUnusable as exc:  # every command checks the profile first: one answer
        # Named as the command's other messages are: a softphone's log shows which one failed.
        command = "screenpop" if module_name == "gui" else f"screenpop {module_name}"
        print_stderr(f"{command}: {exc}.")
        return EXIT_PROFILE_UNUSABLE
    except KeyboardInterrupt:
        return 130
