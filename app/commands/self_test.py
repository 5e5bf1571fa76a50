"""``screenpop self-test`` (also ``screenpop --self-test``): is this installation whole?

For IT after a roll-out and for the release pipeline on each built bundle: one line per check
on stdout, ``PASS name: detail`` or ``FAIL name: detail``, always in the same order, and exit
code 0 only when every check passed (1 otherwise). It runs the app's real parts against a
throw-away profile (deleted afterwards) and a throw-away keyring entry: nothing of the agent's
profile or saved secrets is read or changed, and no secret is printed.

The Qt check runs in a child process of the same executable: Qt ends a process whose platform
plugin cannot load (qFatal), which here must be a FAIL line, not the end of the report.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

from app.commands import self_test_checks as checks
from app.commands.output import write_stdout

EXIT_ALL_PASSED, EXIT_SOME_FAILED = 0, 1
CHECK_NAMES: Final = ("qt-platform", "keyring", "tls", "deepcall-sandbox", "local-socket",
                      "field-mapping", "icons")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="screenpop self-test",
        description="Check that this installation works: the Qt platform plugin, the system "
                    "keyring, TLS trust, a DeepCall round trip (to the embedded sandbox), the "
                    "local socket, the field mapping and the icons. One PASS/FAIL line per "
                    "check; exit code 0 only when all pass. Uses a throw-away profile.")
    parser.add_argument(checks.QT_PROBE_OPTION, action="store_true", help=argparse.SUPPRESS)
    return parser


def run_checks(profile_dir: Path) -> Iterator[tuple[str, bool, str]]:
    """(name, passed, detail) for each check, in CHECK_NAMES order, as each ends."""
    probe = checks.run_qt_probe()
    plan: dict[str, Callable[[], checks.Outcome]] = {
        "qt-platform": lambda: checks.qt_platform(probe),
        "keyring": checks.keyring_check,
        "tls": checks.tls_trust,
        "deepcall-sandbox": checks.sandbox_round_trip,
        "local-socket": lambda: checks.local_socket(profile_dir),
        "field-mapping": checks.field_mapping,
        "icons": lambda: checks.icons(probe),
    }
    for name in CHECK_NAMES:
        yield (name, *checks.guarded(plan[name]))


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    # SystemExit unwinds like Ctrl+C does: the throw-away profile is deleted on the way out
    # (a CI step's timeout, a remote-run tool ending the command).
    raise SystemExit(128 + signum)


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.qt_probe:
        return checks.qt_probe_main()
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    checks.use_utf8_locale()
    passed_all = True
    with tempfile.TemporaryDirectory(prefix="screenpop-self-test-") as folder:
        profile_dir = Path(folder) / "profile"
        profile_dir.mkdir(mode=0o700)
        for name, passed, detail in run_checks(profile_dir):
            passed_all = passed_all and passed
            # Each line as soon as it is known: a check that hangs shows where it hangs.
            write_stdout(f"{'PASS' if passed else 'FAIL'} {name}: {' '.join(detail.split())}\n")
    return EXIT_ALL_PASSED if passed_all else EXIT_SOME_FAILED


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
