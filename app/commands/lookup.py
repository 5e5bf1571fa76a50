"""``screenpop lookup NUMBER``: one contactInfo lookup from the command line, no Qt.

For IT scripts, support and smoke tests: prints every group and field DeepCall returned (or
JSON with ``--json``) and says with its exit code what happened. Never prints a traceback or a
secret.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import sys
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from app.api.auth import Auth, TokenAuth
from app.api.client import DeepCallClient, Timeouts
from app.api.errors import DeepCallApiError, DeepCallError, InvalidBrandUrl
from app.api.transport import api_base
from app.commands.output import EXIT_BROKEN_PIPE, WRITE_ERRNOS, drop_stdout, print_stderr
from app.core.contact import Contact, ContactGroup, FieldValue, LookupResult
from app.core.phone import normalise
from app.core.profile import ProfileUnusable, profile_path

if TYPE_CHECKING:
    from app.services.credentials import ResolvedCredentials
    from app.services.stored_settings import StoredSettings

EXIT_FOUND = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_UNKNOWN_CALLER = 3
EXIT_DEEPCALL_ERROR = 4
EXIT_TRANSPORT = 5

EPILOG = """\
credentials:
  DEEPCALL_TOKEN (with --user-id or the saved userId) or DEEPCALL_SSID from the environment,
  else the token/ssid saved in the system keyring by the app. --brand and --user-id default to
  the app's saved settings (the IT preset's, where it sets them).

exit codes:
  0  the caller is known: the contact is printed
  3  unknown caller: DeepCall has no contact for this number
  4  DeepCall answered with an error (its code and a plain message are printed)
  5  DeepCall could not be reached or answered unreadably (network, timeout, TLS,
     HTTP 5xx, not JSON, too large)
  2  usage error: bad arguments, not a phone number, or no DeepCall address/credentials
  1  unexpected internal error (please report it), or the result could not be written
  7  the profile folder cannot be used (a file or a link to nothing is in its way)
  141  whoever read the output stopped early (e.g. `| head`)
"""


class _Parser(argparse.ArgumentParser):
    # Set before parsing: a script that asked for --json reads stdout, so a usage error is
    # JSON there too (as well as the usual text on stderr).
    wants_json = False

    def error(self, message: str) -> NoReturn:
        if self.wants_json:
            print(json.dumps({"status": "error", "error": "Usage", "message": message}))
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"screenpop lookup: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="screenpop lookup",
        description="Look up a caller number in DeepCall (contactInfo) and print the contact.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("number", help="the caller number, e.g. +918302390884 or 08302390884")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument("--brand", metavar="URL",
                        help="DeepCall API host of the account, e.g. https://v4-api.deepcall.com")
    parser.add_argument("--user-id", metavar="ID", help="DeepCall userId (with DEEPCALL_TOKEN)")
    parser.add_argument("--field", metavar="F", default="All",
                        help='fetch only this field (default "All")')
    parser.add_argument("--region", metavar="CC",
                        help="country assumed for numbers without a country code "
                             "(default: the app's setting, else IN)")
    parser.add_argument("--profile", metavar="DIR", help="read settings from this profile folder")
    parser.add_argument("--timeout", metavar="SECONDS", type=float,
                        help="overall deadline of the lookup (default 5)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log the HTTP exchange (timings and statuses, never secrets)")
    return parser


def _warn(warning: str) -> None:
    print_stderr(f"screenpop lookup: {warning}")


def saved_settings(profile_dir: Path) -> StoredSettings:
    """The IT preset over the profile's settings.ini, as the app reads them; every problem of
    either on stderr, whatever the options (IT checks a preset with this command)."""
    from app.services.stored_settings import report_stored

    return report_stored(profile_dir, _warn)


def _json_safe(value: FieldValue) -> object:
    # json.dumps would write NaN/Infinity, which no strict JSON reader accepts.
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _group_json(group: ContactGroup) -> dict[str, object]:
    return {"name": group.name, "fields": {label: _json_safe(value)
                                           for label, value in group.fields}}


def result_json(result: LookupResult) -> dict[str, object]:
    return {"status": "found" if isinstance(result, Contact) else "unknown",
            "callerNumber": result.caller_number,
            "groups": [_group_json(group) for group in result.groups]}


# Format characters (Cf) are escaped wholesale. Among them the bidi embeddings, overrides,
# isolates and marks: shown raw, they reorder what follows them ("Pay 0001" can read as
# "1000 yaP"), so a value could make the terminal lie. The others (zero-width space, word
# joiner, soft hyphen, tag characters, U+206A..U+206F) hide or disguise text; line and
# paragraph separators (Zl, Zp) break a line the value did not show. The zero-width
# (non-)joiners are part of how Indic scripts are spelled, and stay.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
_JOINERS = frozenset("\u200c\u200d")


def _shown_as_is(ch: str) -> bool:
    if ch == "\t" or ch in _JOINERS:
        return True
    return unicodedata.category(ch) not in _ESCAPED_CATEGORIES


def terminal_safe(text: str) -> str:
    """``text`` with control characters shown as escapes: a value from the server must not be
    able to move the cursor, recolour or clear the agent's terminal, reorder its text, nor
    hide any of it."""
    return "".join(ch if _shown_as_is(ch) else ch.encode("unicode_escape").decode("ascii")
                   for ch in text)


def _display(value: FieldValue) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _value_lines(value: FieldValue) -> list[str]:
    """A multi-line value (an address) as its lines, each made terminal-safe."""
    lines = _display(value).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [terminal_safe(line) for line in lines]


def print_result(result: LookupResult, out: TextIO) -> None:
    if isinstance(result, Contact):
        out.write(f"{result.caller_number}: known caller\n")
    else:
        out.write(f"{result.caller_number}: unknown caller (DeepCall has no contact for it)\n")
    for group in result.groups:
        out.write(f"\n[{terminal_safe(group.name)}]\n")
        labels = [terminal_safe(label) for label, _ in group.fields]
        width = max((len(label) for label in labels), default=0)
        for label, (_, value) in zip(labels, group.fields, strict=True):
            first, *more = _value_lines(value)
            out.write(f"  {label.ljust(width)}  {first}".rstrip() + "\n")
            for line in more:  # continuation lines under the value, not under the label
                out.write(f"  {'':{width}}  {line}".rstrip() + "\n")


def _fail(as_json: bool, exit_code: int, kind: str, message: str, hints: list[str] | None = None,
          **extra: Any) -> int:
    """Print the failure (JSON on stdout, or a message and indented hint lines on stderr)."""
    if as_json:
        fields = {"hint": " ".join(hints)} if hints else {}
        print(json.dumps({"status": "error", "error": kind, "message": message, **fields,
                          **extra}))
    else:
        print_stderr(f"screenpop lookup: {message}")
        for hint in hints or ():
            print_stderr(f"  {hint}")
    return exit_code


def _deepcall_error_hint(args: argparse.Namespace, credentials: ResolvedCredentials,
                        error: DeepCallError, stored: StoredSettings) -> list[str]:
    """DeepCall's own words (they name the bad parameter), a word on --field, then the source."""
    parts = []
    if error.server_message:
        parts.append(f"DeepCall said: {terminal_safe(error.server_message)!r}.")
    if error.code in (1000, 1001) and args.field.strip().lower() != "all":
        parts.append(f"Is --field {args.field!r} a field of this account? Leave --field out "
                     "to get every field.")
    parts.append(used_hint(args, credentials, stored))
    return parts


def used_hint(args: argparse.Namespace, credentials: ResolvedCredentials,
              stored: StoredSettings | None = None) -> str:
    """Where this run's address and credentials came from (never the secret itself).

    The client's messages say "in Settings", which is where an agent fixes things; someone
    running this command may have passed --brand or DEEPCALL_TOKEN instead, or the address
    may be the IT preset's (``stored``: what was read), so say which.
    """
    auth = credentials.auth

    def origin(option: str, setting: str) -> str:
        if getattr(args, option):
            return f"--{option.replace('_', '-')}"
        if stored is not None and stored.from_preset(setting):
            return stored.preset.label
        return "the saved settings"

    address = f"{credentials.brand_url} (from {origin('brand', 'brand_url')})"
    if credentials.persisted:
        kept_in = "the system keyring"
    else:
        kept_in = "DEEPCALL_TOKEN" if isinstance(auth, TokenAuth) else "DEEPCALL_SSID"
    if isinstance(auth, TokenAuth):
        who = (f"userId {auth.user_id} (from {origin('user_id', 'user_id')}) "
               f"with the token from {kept_in}")
    else:
        who = f"the session (ssid) from {kept_in}"
    return f"This run used the DeepCall address {address} and {who}."


async def _lookup(brand_url: str, auth: Auth, number: str, field: str,
                  total: float | None) -> LookupResult:
    timeouts = Timeouts(total=total) if total else None
    async with DeepCallClient(brand_url, auth, timeouts=timeouts) as client:
        return await client.contact_info(number, field=field)


def run(args: argparse.Namespace) -> int:
    from app.services.credentials import (
        CredentialOverrides,
        resolve_credentials,
        stored_account,
    )
    from app.services.errors import CredentialsMissing, SecretsUnavailable

    if args.brand:
        try:
            api_base(args.brand)  # the address is checked when given, before the keyring
        except InvalidBrandUrl as exc:
            return _fail(args.json, EXIT_USAGE, "InvalidBrandUrl", f"--brand: {exc.user_message}")
    # Only read here, so only looked at: a file or a link to nothing in the way is exit 7.
    profile_dir = profile_path(args.profile)
    stored = saved_settings(profile_dir)
    region = (args.region or stored.region(_warn)).upper()
    number = normalise(args.number, region)
    if number is None:
        return _fail(args.json, EXIT_USAGE, "InvalidNumber",
                     f"{args.number!r} is not a phone number. Give it with its country code, "
                     f"like +918302390884, or as a national number of region {region} "
                     "(another region: --region CC).")
    if args.timeout is not None and not 0 < args.timeout <= 600:
        return _fail(args.json, EXIT_USAGE, "Usage", "--timeout must be between 0 and 600.")
    try:
        credentials = resolve_credentials(
            CredentialOverrides.from_args_and_env(args.brand, args.user_id),
            stored_account(stored))
    except (CredentialsMissing, SecretsUnavailable) as exc:
        return _fail(args.json, EXIT_USAGE, "NoCredentials", exc.user_message)
    try:
        result = asyncio.run(_lookup(credentials.brand_url, credentials.auth, number,
                                     args.field, args.timeout))
    except InvalidBrandUrl as exc:
        return _fail(args.json, EXIT_USAGE, "InvalidBrandUrl", exc.user_message,
                     [used_hint(args, credentials, stored)])
    except DeepCallError as exc:
        return _fail(args.json, EXIT_DEEPCALL_ERROR, "DeepCallError",
                     f"DeepCall error {exc.code}: {exc.user_message}",
                     _deepcall_error_hint(args, credentials, exc, stored), code=exc.code,
                     serverMessage=exc.server_message)
    except DeepCallApiError as exc:
        return _fail(args.json, EXIT_TRANSPORT, type(exc).__name__, exc.user_message,
                     [used_hint(args, credentials, stored)])
    if args.json:
        print(json.dumps(result_json(result)))
    else:
        print_result(result, sys.stdout)
    return EXIT_FOUND if isinstance(result, Contact) else EXIT_UNKNOWN_CALLER


def main(argv: list[str]) -> int:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:  # a C locale must not turn a Hindi name into a traceback
            reconfigure(errors="backslashreplace")
    parser = build_parser()
    if isinstance(parser, _Parser):
        parser.wants_json = "--json" in argv
    args = parser.parse_args(argv)
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr,
                            format="%(asctime)s %(name)s %(message)s")
        for noisy in ("httpcore", "asyncio"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        code = run(args)
        sys.stdout.flush()  # a full disk shows here, not as noise at interpreter exit
        return code
    except BrokenPipeError:
        # Whoever read the output stopped early (`| head`): nothing to tell anyone. Point
        # stdout at devnull so the interpreter's last flush does not complain either.
        drop_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        return 130
    except ProfileUnusable:
        raise  # app.cli names it, as for every command: exit 7
    except OSError as exc:
        if exc.errno not in WRITE_ERRNOS:
            return _internal_error(exc)
        drop_stdout()
        print_stderr(f"screenpop lookup: could not write the result ({exc.strerror}).")
        return EXIT_INTERNAL
    except Exception as exc:  # the promise is "never a traceback"; say what broke, plainly
        return _internal_error(exc)


def _internal_error(exc: BaseException) -> int:
    print_stderr(f"screenpop lookup: unexpected internal error ({type(exc).__name__}); "
                 "please report it.")
    return EXIT_INTERNAL
