"""``screenpop sandbox [--port N] [fault flags]``: the sandbox in the foreground until Ctrl+C."""

from __future__ import annotations

import argparse
import ipaddress
import sys

from app.sandbox.accounts import ALT_USER_ID, DEMO_USER_ID, EMPTY_USER_ID, SUSPENDED_USER_ID
from app.sandbox.faults import Fault, FaultKind
from app.sandbox.seed import DEMO_KNOWN_NUMBER, DEMO_UNKNOWN_NUMBER
from app.sandbox.server import DEFAULT_HOST, serve_forever


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="screenpop sandbox",
        description="Run the embedded DeepCall-compatible server on this machine.")
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help="address to listen on (default %(default)s)")
    parser.add_argument("--port", type=int, default=0,
                        help="port to listen on (default: a free one)")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow a --host other than loopback (its control API has no "
                             "authentication: anyone who reaches it can read and change it)")
    faults = parser.add_argument_group(
        "faults", "inject failures into every API answer (or only --fault-action's)")
    faults.add_argument("--latency", type=int, metavar="MS", help="delay every answer by MS")
    faults.add_argument("--http502", action="store_true", help="answer 502 with an HTML page")
    faults.add_argument("--malformed-json", action="store_true", help="answer broken JSON")
    faults.add_argument("--trickle", type=int, nargs="?", const=2000, metavar="MS",
                        help="send each answer slowly over MS (default 2000)")
    faults.add_argument("--drop", action="store_true", help="close connections unanswered")
    faults.add_argument("--oversized", action="store_true", help="answer a 2 MiB body")
    faults.add_argument("--internal", action="store_true", help="answer error 1032")
    faults.add_argument("--fault", action="append", default=[], metavar="SPEC",
                        help="any fault as kind[=ms][@action][*times], e.g. http502@contactInfo*1"
                             " (repeatable)")
    faults.add_argument("--fault-action", metavar="ACTION",
                        help="limit the flags above to one action, e.g. contactInfo")
    faults.add_argument("--fault-times", type=int, metavar="N",
                        help="apply the flags above to the next N matching requests only")
    return parser


def _unbracketed(host: str) -> str:
    """``[::1]`` -> ``::1`` (as in a URL); a lone bracket is left, and so refused."""
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback IP literals. Other names are not resolved: what a
    name points at can change after the check, and ``""`` or ``0.0.0.0`` mean every address."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(_unbracketed(host)).is_loopback
    except ValueError:
        return False


def bind_address(host: str) -> str:
    """What to listen on for ``host``: ``localhost`` is 127.0.0.1 (the name could be made to
    point elsewhere in /etc/hosts after the check), ``[::1]`` is ``::1``."""
    return "127.0.0.1" if host.lower() == "localhost" else _unbracketed(host)


def faults_from_args(args: argparse.Namespace) -> list[Fault]:
    scope = {"action": args.fault_action, "times": args.fault_times}
    faults = []
    if args.latency is not None:
        faults.append(Fault(FaultKind.LATENCY, ms=args.latency, **scope))
    if args.trickle is not None:
        faults.append(Fault(FaultKind.TRICKLE, ms=args.trickle, **scope))
    for flag, kind in (("http502", FaultKind.HTTP_502),
                       ("malformed_json", FaultKind.MALFORMED_JSON),
                       ("drop", FaultKind.DROP), ("oversized", FaultKind.OVERSIZED),
                       ("internal", FaultKind.INTERNAL)):
        if getattr(args, flag):
            faults.append(Fault(kind, **scope))
    faults.extend(Fault.parse(spec) for spec in args.fault)
    return faults


def _announce(base_url: str, faults: list[Fault]) -> None:
    print(f"DeepCall sandbox listening on {base_url}", flush=True)
    print(f"  demo account: userId {DEMO_USER_ID} (ssid and token are demo values, valid only "
          "here: README.md, \"The sandbox's demo accounts\", or app/sandbox/accounts.py)")
    print(f"  other accounts: {ALT_USER_ID} (unknown caller -> 1012), {EMPTY_USER_ID} "
          f"(unknown caller -> empty message), {SUSPENDED_USER_ID} (suspended -> 1039)")
    print(f"  try: callerNumber {DEMO_KNOWN_NUMBER} (known) or {DEMO_UNKNOWN_NUMBER} (unknown),")
    print(f"       DEEPCALL_TOKEN=<demo token> screenpop lookup +{DEMO_KNOWN_NUMBER} "
          f"--brand {base_url} --user-id {DEMO_USER_ID}")
    for fault in faults:
        print(f"  fault: {fault.to_json()}")
    print("  admin: POST /__sandbox__/reset, /__sandbox__/faults; GET /__sandbox__/requests")
    print("Press Ctrl+C to stop.", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.fault_times is not None and args.fault_times < 1:
            raise ValueError("--fault-times must be at least 1")
        if not 0 <= args.port <= 65535:
            raise ValueError("--port must be between 0 and 65535")
        if not args.allow_remote and not is_loopback_host(args.host):
            raise ValueError(f"--host {args.host!r} is not a loopback address: the sandbox's "
                             "control API has no authentication, so anyone who reaches it "
                             "could read and change its data. Use 127.0.0.1, or add "
                             "--allow-remote if you mean it")
        faults = faults_from_args(args)
    except ValueError as error:
        parser.error(str(error))
    host = bind_address(args.host)
    if not is_loopback_host(host):
        print(f"screenpop sandbox: warning: the sandbox listens on {args.host or 'every address'}"
              " with no authentication on its control API: anyone who can reach this port can "
              "read and change its data.", file=sys.stderr, flush=True)
    try:
        serve_forever(host, args.port, faults, on_ready=lambda url: _announce(url, faults))
    except OSError as error:
        print(f"screenpop sandbox: cannot listen on {args.host}:{args.port}: "
              f"{error.strerror or error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl+C where signal handlers are unavailable
        pass
    print("Sandbox stopped.")
    return 0
