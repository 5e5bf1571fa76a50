"""``screenpop`` (no command): the one bootstrap of the desktop app.

Order matters: parse arguments; pick the profile (``--demo`` without ``--profile`` uses the
demo's own, emptied once the instance is claimed); claim the single instance, or hand over to
the running one and exit; import
PySide6 before qasync; run the session on the app's qasync loop (``asyncio.Runner`` with
``AppEventLoop``, which runs asyncio code only inside the loop); leave through one shutdown
path (``AppSession.aclose``) that cancels tasks and closes the HTTP client before the loop
closes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import faulthandler
import logging
import os
import signal
import subprocess
import sys
from collections.abc import MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.commands.output import print_stderr, write_stdout
from app.commands.profile_choice import add_profile_options, chosen_profile
from app.core.pop_request import SHOW_LINE
from app.core.profile import (
    EXIT_PROFILE_UNUSABLE,
    ProfileUnusable,
    demo_profile_dir,
    empty_profile,
    resolve_profile_dir,
)
from app.services.credentials import CredentialOverrides
from app.services.preset import NO_PRESET, Preset, find_preset
from app.services.secrets import MemorySecretStore, SecretStore
from app.services.store import StoreUnavailable
from app.sources.forward import forward_until_answered

if TYPE_CHECKING:
    from app.sources.single_instance import SingleInstance
    from app.ui.open_url_events import EarlyCallLinks

log = logging.getLogger("app.gui")

EXIT_OK, EXIT_ERROR, EXIT_ALREADY_RUNNING_NO_ANSWER = 0, 1, 5
# How the app starts the window that says why it cannot start (not in --help).
WINDOW_OPTION = "--start-failure-window"
MAX_WINDOW_MESSAGE = 8192
# Set (to anything) where no such window may open: test runs on a real display.
NO_WINDOW_VARIABLE = "SCREENPOP_NO_START_FAILURE_WINDOW"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="screenpop",
        description="DeepCall Screen-Pop: the caller's DeepCall contact the moment the phone "
                    "rings. Other commands: lookup, pop, state, sandbox.")
    add_profile_options(parser, "keep settings, history and logs under DIR",
                        demo="run against the embedded sandbox with its demo account, in "
                             "the demo's own profile, emptied at each start (nothing is "
                             "written to your keyring or settings)")
    parser.add_argument("--log-format", choices=("text", "json"), default="text",
                        help="stderr log format; json writes one object per event")
    parser.add_argument("--brand", metavar="URL",
                        help="DeepCall API address for this run (not saved)")
    parser.add_argument("--user-id", metavar="ID", help="DeepCall userId for this run (not saved)")
    parser.add_argument(WINDOW_OPTION, action="store_true", help=argparse.SUPPRESS)
    return parser


def _hand_over(profile_dir: Path, instance: SingleInstance) -> int:
    """Another instance owns the profile: bring its window forward and exit."""
    # A lock written on another computer: no instance starting here wrote it, so one try
    # (an app already running on a computer renamed since answers) and no waiting.
    other_host = instance.holder_on_another_host()
    try:  # it may still be starting up (a slow machine): give its socket time to appear
        reply: dict[str, Any] | None = forward_until_answered(
            profile_dir, SHOW_LINE, wait=0.0 if other_host else 15.0)
    except (ConnectionError, OSError):
        reply = None
    if reply is not None and reply.get("ok"):
        write_stdout("Screen-Pop is already running; its window was brought to the front.\n")
        return EXIT_OK
    if other_host and instance.refused_by_shared_lock:
        # A network profile's lock, held open by a live app (a dead one's is taken over).
        return _profile_unusable(ProfileUnusable(
            profile_dir, f"Screen-Pop is running with this profile on another computer "
                         f"({other_host}); one profile can be open on one computer at a time "
                         "(its history and unsent notes are kept in it): close Screen-Pop "
                         "there, or start it here with --profile and another folder"))
    if other_host:
        return _profile_unusable(ProfileUnusable(
            profile_dir, f"the lock file {instance.lock_path} was written by Screen-Pop on "
                         f"another computer ({other_host}); if Screen-Pop does not run there "
                         "with this profile, remove the lock file and start again"))
    print_stderr(f"Screen-Pop is already running for this profile ({profile_dir}) but does not "
                 "answer. If it is stuck, end it and start again.")
    return EXIT_ALREADY_RUNNING_NO_ANSWER


def _tell_the_desktop(message: str) -> None:
    """Also show ``message`` in a window when nobody reads stderr (started from a menu, a
    ``tel:`` link or autostart) and there is a screen to show it on.

    The window belongs to a detached process of its own, so this one exits at once with its
    code: a ``pop`` that started it sees the failure now (not after its wait for an answer),
    the profile's lock is released, and a display that cannot be reached only ends that
    process (Qt aborts there), never turns this exit code into a crash.
    """
    if sys.stderr is not None and sys.stderr.isatty():
        return
    if os.environ.get(NO_WINDOW_VARIABLE):
        return
    if os.environ.get("QT_QPA_PLATFORM", "").split(":")[0] in ("offscreen", "minimal"):
        return
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                 or os.environ.get("WAYLAND_DISPLAY")):
        return
    from app.commands.pop import app_command, app_environment, detached

    try:
        window = subprocess.Popen(  # type: ignore[call-overload]
            [*app_command(None), WINDOW_OPTION], stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True,
            env=app_environment(), **detached())
        with contextlib.suppress(OSError):  # it may have ended already: nothing to show then
            window.stdin.write(message.encode("utf-8"))
            window.stdin.close()
    except OSError as exc:  # the message is on stderr already; the window is extra
        log.warning("could not show the start-up failure in a window: %s", exc)


def _show_start_failure() -> int:
    """The window of :func:`_tell_the_desktop`: the message comes on stdin."""
    # Bytes, decoded here: the system's own encoding (Windows) may not be UTF-8.
    message = (sys.stdin.buffer.read(MAX_WINDOW_MESSAGE).decode("utf-8", "replace")
               if sys.stdin is not None else "")
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = QApplication([sys.argv[0]])  # noqa: F841 (kept alive while the box shows)
    box = QMessageBox(QMessageBox.Icon.Critical, "Screen-Pop cannot start", message)
    box.setTextFormat(Qt.TextFormat.PlainText)  # a path is never read as markup
    box.exec()
    return EXIT_OK


def prepare_qt_environment(environ: MutableMapping[str, str] | None = None) -> None:
    """What Qt reads from the environment, set before any QApplication exists."""
    from app.ui.window_focus import quiet_macos_raise

    quiet_macos_raise(sys.platform, os.environ if environ is None else environ)


def _profile_unusable(exc: ProfileUnusable) -> int:
    print_stderr(f"screenpop: {exc}.")
    _tell_the_desktop(f"Screen-Pop cannot start: {exc}.")
    return EXIT_PROFILE_UNUSABLE


def main(argv: list[str]) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    prepare_qt_environment()
    if args.start_failure_window:
        return _show_start_failure()
    if args.brand:
        from app.api.errors import InvalidBrandUrl
        from app.api.transport import api_base

        try:
            api_base(args.brand)
        except InvalidBrandUrl as exc:
            parser.error(f"--brand: {exc.user_message}")  # exit 2, before anything starts
    try:
        profile_dir = resolve_profile_dir(chosen_profile(args))
    except ProfileUnusable as exc:
        return _profile_unusable(exc)

    # PySide6 first, qasync second: qasync picks the Qt binding already imported (QT_API
    # says the same for good measure).
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    os.environ.setdefault("QT_API", "pyside6")
    from app.core.child_env import restore_user_environment
    from app.sources.single_instance import SingleInstance
    from app.ui.event_loop import AppEventLoop
    from app.ui.open_url_events import EarlyCallLinks

    instance = SingleInstance(profile_dir)
    try:
        acquired = instance.acquire()
    except ProfileUnusable as exc:  # a lock file left by another user
        return _profile_unusable(exc)
    if not acquired:
        return _hand_over(profile_dir, instance)
    if args.demo and not args.profile:  # the demo's own folder: nothing of the last demo
        _empty_demo_profile(profile_dir, instance)

    from app.services.logs import route_qt_messages, setup_logging

    logging_setup = setup_logging(profile_dir, args.log_format)
    route_qt_messages()
    _dump_stacks_on_request()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    # Caught from now on: the tel: link that launched the app arrives before the session.
    early_links = EarlyCallLinks(app) if sys.platform == "darwin" else None
    # Qt has read its plugin paths: whatever the app starts from now on (a browser for a
    # caller page, a program on call events) gets the user's environment, not the bundle's.
    restore_user_environment()
    app.setApplicationName("DeepCall Screen-Pop")
    app.setOrganizationName("DeepCall Screen-Pop")
    QGuiApplication.setDesktopFileName("screenpop")
    try:
        # asyncio.Runner with a loop factory (Python 3.11+) rather than qasync.run, which on
        # 3.11 swaps the global event-loop policy: the demo sandbox's own thread would then
        # get a Qt loop too. The Runner closes async generators and the loop at the end.
        with asyncio.Runner(loop_factory=lambda: AppEventLoop(app)) as runner:
            return int(runner.run(_run(args, profile_dir, logging_setup.log_file,
                                       early_links)))
    except StoreUnavailable as exc:  # locked or full, never "damaged": left as it is
        log.error("%s", exc)
        print_stderr(f"Screen-Pop cannot start: {exc}")
        _tell_the_desktop(f"Screen-Pop cannot start: {exc}")
        return EXIT_PROFILE_UNUSABLE
    except Exception:
        log.exception("the app stopped unexpectedly")
        print_stderr(f"Screen-Pop stopped unexpectedly. The details are in "
                     f"{logging_setup.log_file}")
        return EXIT_ERROR
    finally:
        instance.release()
        logging_setup.close()


def _empty_demo_profile(profile_dir: Path, instance: SingleInstance) -> None:
    """Only once this start holds the lock: a demo already running keeps its data.

    The lock stays; so do the socket's salt (a ``pop --demo`` that started this app may
    already be asking at the address made from it) and ``launch.log`` (that pop reads the
    start's output from it). A folder someone linked in the demo's place is not the demo's
    to empty: it is used as it is.
    """
    from app.commands.pop import LAUNCH_LOG
    from app.sources.socket_address import SALT_FILE_NAME

    if demo_profile_dir().is_symlink():
        log.warning("the demo's profile %s is a link: its contents are kept", demo_profile_dir())
        return
    keep = [instance.lock_path, profile_dir / SALT_FILE_NAME, profile_dir / LAUNCH_LOG]
    if instance.shared_lock_path is not None:
        keep.append(instance.shared_lock_path)
    empty_profile(profile_dir, keep=keep)


def _dump_stacks_on_request() -> None:
    """SIGUSR1 prints every thread's Python stack to stderr (``launch.log`` when started by
    ``pop``): what a stuck app is doing, for a support request, without stopping it."""
    usr1 = getattr(signal, "SIGUSR1", None)  # not on Windows
    if usr1 is not None and sys.stderr is not None:
        with contextlib.suppress(ValueError, OSError, AttributeError):  # no real file
            faulthandler.register(usr1, file=sys.stderr, all_threads=True)


def _say_the_run_brand(brand: str, preset: Path | None) -> None:
    """--brand wins for this run over settings.ini and the IT preset alike: said on stderr
    and in the log (a warning goes to both), where support looks, and in Settings."""
    instead = (f" instead of the address set by your IT department in {preset}"
               if preset is not None else " instead of the saved one")
    log.warning("this run uses the DeepCall address %s from --brand%s; it is not saved.",
                brand, instead)


def _demo_preset() -> Preset:
    """No IT preset: the demo is a fake account with fake calls, and IT's real call actions
    (a CRM program, a caller page) must not run for them. Said once in the log."""
    ignored = find_preset()
    if ignored is not None:
        log.info("the demo ignores the IT preset %s", ignored)
    return NO_PRESET


def _demo_setup() -> tuple[Any, CredentialOverrides, list[str]]:
    """Start the sandbox in a background thread; credentials for it, and callers to simulate."""
    from app.sandbox import seed
    from app.sandbox.accounts import DEMO_ACCOUNT_NAME, DEMO_TOKEN, DEMO_USER_ID
    from app.sandbox.server import SandboxServer

    sandbox = SandboxServer().start()
    overrides = CredentialOverrides(brand_url=sandbox.base_url, user_id=DEMO_USER_ID,
                                    token=DEMO_TOKEN, account_name=DEMO_ACCOUNT_NAME)
    numbers = ["+" + n for n in (seed.DEMO_KNOWN_NUMBER, seed.DEMO_LEAD_NUMBER,
                                 seed.DEMO_PLAIN_NUMBER, seed.DEMO_UK_NUMBER,
                                 seed.DEMO_US_NUMBER, seed.DEMO_UAE_NUMBER,
                                 seed.DEMO_UNKNOWN_NUMBER)]
    return sandbox, overrides, numbers


async def _run(args: argparse.Namespace, profile_dir: Path, log_file: Path,
               early_links: EarlyCallLinks | None = None) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.services.logs import log_event, register_secrets
    from app.services.windows_restart import register_restart
    from app.session import SessionOptions, build_session
    from app.ui.theme import ThemeFollower

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)  # quitting goes through the one shutdown path
    ThemeFollower(app)

    sandbox = None
    preset = None  # the one this process finds
    if args.demo:
        preset = _demo_preset()
        sandbox, overrides, numbers = _demo_setup()
        secrets: SecretStore = MemorySecretStore()
        log_event(log, "demo_started", sandbox=sandbox.base_url, profile=str(profile_dir))
    else:
        overrides = CredentialOverrides.from_args_and_env(args.brand, args.user_id)
        secrets, numbers = SecretStore(), []
    register_secrets(overrides.secrets())

    session = build_session(SessionOptions(profile_dir=profile_dir, log_file=log_file,
                                           overrides=overrides, secrets=secrets,
                                           demo=args.demo, demo_numbers=numbers,
                                           preset=preset))
    if overrides.brand_url and not args.demo:
        _say_the_run_brand(overrides.brand_url, session.settings.managed_by("brand_url"))
    # Ctrl+C / SIGTERM end the app through the same path as the Quit menu. Qt's loop keeps
    # Python from running signal handlers, so a slow timer gives it a chance to.
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError, OSError):
            signal.signal(signum, lambda *_: loop.call_soon_threadsafe(session.request_quit))
    wakeup = QTimer()
    wakeup.timeout.connect(lambda: None)
    wakeup.start(250)
    try:
        session.start()
        if early_links is not None:  # the session's own filter takes the later ones
            early_links.hand_over(session.url_open.open_link)
        log_event(log, "app_started", profile=str(profile_dir), demo=args.demo)
        if not args.demo:  # Windows starts it again after an update or reboot closed it
            register_restart(profile_dir if args.profile else None)
        await session.finished.wait()
    finally:
        wakeup.stop()
        await session.aclose()
        if sandbox is not None:
            sandbox.stop()
        log_event(log, "app_stopped")
    return EXIT_OK
