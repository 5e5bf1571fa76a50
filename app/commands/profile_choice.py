"""Which profile a command talks to: ``--profile DIR``, ``--demo``, or the agent's own.

Every command that reaches a running app (``pop``, ``state``, ``event``) and the app itself
pick the profile here, so ``screenpop --demo`` and ``screenpop pop --demo N`` meet in the same
folder: the demo profile (:func:`app.core.profile.demo_profile_dir`). ``--profile DIR`` wins
over ``--demo`` (the demo then runs in DIR), as it always did for the app.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.core.profile import demo_profile_dir


def add_profile_options(parser: argparse.ArgumentParser,
                        what: str = "the profile of the instance to use",
                        demo: str = "the demo app's (the one `screenpop --demo` runs); "
                                    "--profile wins over it") -> None:
    """``--profile DIR`` and ``--demo`` (``args.profile``, ``args.demo``) on ``parser``."""
    parser.add_argument("--profile", metavar="DIR", help=what)
    parser.add_argument("--demo", action="store_true", help=demo)


def start_hint(args: argparse.Namespace, profile_dir: Path) -> str:
    """How to start the app these options name, for "not running" messages."""
    if args.profile:
        return f"screenpop --profile {profile_dir}"
    return "screenpop --demo" if args.demo else "screenpop"


def chosen_profile(args: argparse.Namespace) -> str | None:
    """The profile folder the options name, for ``profile_path``; None: the agent's own."""
    profile: str | None = args.profile
    if profile:
        return profile
    return str(demo_profile_dir()) if args.demo else None
