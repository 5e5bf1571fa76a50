"""Running the sandbox: in a background thread (tests, ``--demo``) or in the foreground (CLI).

    with SandboxServer() as sandbox:          # listening once the ``with`` body starts
        httpx.post(f"{sandbox.base_url}/api/v2/agentDashboard/contactInfo", json={...})
        sandbox.set_faults(Fault(FaultKind.HTTP_502, action="contactInfo", times=1))
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Callable
from types import TracebackType

from aiohttp import web

from app.sandbox.accounts import DEMO, Account
from app.sandbox.console_log import HTTP_LOG
from app.sandbox.faults import Fault, FaultKind
from app.sandbox.records import ContactRecord, Note
from app.sandbox.requestlog import LoggedRequest
from app.sandbox.state import SandboxState
from app.sandbox.web import create_app

DEFAULT_HOST = "127.0.0.1"
START_TIMEOUT = 10.0


async def _start_site(state: SandboxState, host: str, port: int) -> tuple[web.AppRunner, int]:
    # access_log=None: requests carry secrets in their bodies only, but the log is noise anyway.
    # A short shutdown_timeout: stop() must not wait for a 30 s trickle still in flight.
    # logger: aiohttp's per-connection records go through the sandbox's console filter.
    runner = web.AppRunner(create_app(state), access_log=None, handle_signals=False,
                           shutdown_timeout=1.0, logger=HTTP_LOG)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound_port = int(runner.addresses[0][1])
    return runner, bound_port


def base_url_for(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"  # IPv6


class SandboxServer:
    """The DeepCall-compatible sandbox on its own asyncio loop in a daemon thread."""

    def __init__(self, host: str = DEFAULT_HOST, port: int = 0,
                 faults: list[Fault] | None = None) -> None:
        self.host = host
        self._requested_port = port
        self.state = SandboxState(faults)
        self.port: int | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> SandboxServer:
        """Start listening; returns once the port accepts connections (raises OSError if not)."""
        if self._thread is not None:
            raise RuntimeError("the sandbox is already running")
        self._ready.clear()
        self._error = None
        self._thread = threading.Thread(target=self._run, name="deepcall-sandbox", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            raise TimeoutError("the sandbox did not start listening in time")
        if self._error is not None:
            self._thread.join()
            self._thread = None
            raise self._error
        return self

    def stop(self) -> None:
        """Stop listening and end the thread (idempotent)."""
        thread, loop, stop = self._thread, self._loop, self._stop
        if thread is None:
            return
        if loop is not None and stop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stop.set)
        thread.join(START_TIMEOUT)
        self._thread = None
        self.port = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``: the "brand" URL a DeepCall client is pointed at."""
        if self.port is None:
            raise RuntimeError("the sandbox is not running")
        return base_url_for(self.host, self.port)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as error:  # reported to start() via _error
            self._error = error
        finally:
            self._ready.set()
            # Handlers still inside an injected delay outlive runner.cleanup(): end them here
            # rather than let the closed loop drop them ("Task was destroyed but it is pending").
            leftover = asyncio.all_tasks(loop)
            for task in leftover:
                task.cancel()
            if leftover:
                loop.run_until_complete(asyncio.gather(*leftover, return_exceptions=True))
            loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        runner, self.port = await _start_site(self.state, self.host, self._requested_port)
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await runner.cleanup()

    # --- control (thread-safe, callable from the test's thread) ------------------------------
    def reset(self) -> None:
        """Seed data, an empty request log, only the faults given at construction."""
        self.state.reset()

    def set_faults(self, *faults: Fault | str) -> None:
        """Replace the active faults (Fault objects or spec strings like ``"http502*1"``)."""
        self.state.faults.set([f if isinstance(f, Fault) else Fault.parse(f) for f in faults])

    def add_fault(self, kind: FaultKind | str, *, action: str | None = None,
                  times: int | None = None, ms: int = 0) -> None:
        self.state.faults.add(Fault(FaultKind(kind), action=action, times=times, ms=ms))

    def clear_faults(self) -> None:
        self.state.faults.clear()

    def faults(self) -> list[Fault]:
        return self.state.faults.active()

    def requests(self) -> list[LoggedRequest]:
        """Requests received since the last reset, oldest first, secrets redacted."""
        return self.state.requests.entries()

    def wait_for_requests(self, count: int = 1, timeout: float = 5.0) -> list[LoggedRequest]:
        """Block until the sandbox has received ``count`` requests since the last reset (for
        tests whose client runs elsewhere); returns them, or fewer once ``timeout`` passes."""
        return self.state.requests.wait_for(count, timeout)

    def last_request(self) -> LoggedRequest | None:
        entries = self.state.requests.entries()
        return entries[-1] if entries else None

    def clear_requests(self) -> None:
        self.state.requests.clear()

    def contact(self, number: str, account: Account = DEMO) -> ContactRecord | None:
        """The stored Directory record for ``number`` (any accepted form), or None."""
        return self.state.store.contact(account, number)

    def notes(self, number: str | None = None, account: Account = DEMO) -> list[Note]:
        return self.state.store.notes(account, number)

    def craft_contact_info(self, number: str, groups: dict[str, dict[str, object]],
                           account: Account = DEMO) -> None:
        """contactInfo for ``number`` answers ``groups`` as is (markup, huge values, thousands
        of groups: what a hostile lead form can store) until the next reset."""
        self.state.store.craft_contact_info(account, number, groups)

    def mark_dnc(self, number: str, account: Account = DEMO) -> None:
        """Put ``number`` on the Do-Not-Call list: Directory create and update of it answer
        1510 "DNC error" until the next reset (getInfo and contactInfo answer as usual)."""
        self.state.store.mark_dnc(account, number)

    def race_next_create(self, number: str, contactinfo: dict[str, str],
                         account: Account = DEMO) -> None:
        """A colleague's create of ``number`` (with ``contactinfo``) lands just before the
        next Directory create of it: that create answers 1504, as when the colleague's
        create arrives between a client's getInfo and its create. Until the next reset."""
        self.state.store.race_next_create(account, number, contactinfo)

    def craft_agent_status(self, status: str, account: Account = DEMO) -> None:
        """The counters answer ``status`` as the agent's status (markup, a huge text) until
        the next reset."""
        self.state.store.craft_agent_status(account, status)


def serve_forever(host: str = DEFAULT_HOST, port: int = 0, faults: list[Fault] | None = None,
                  on_ready: Callable[[str], None] | None = None) -> None:
    """Run in the foreground until SIGINT/SIGTERM; ``on_ready(base_url)`` once listening."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            # Windows has no loop signal handlers: Ctrl+C arrives as KeyboardInterrupt there.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, stop.set)
        runner, bound = await _start_site(SandboxState(faults), host, port)
        try:
            if on_ready is not None:
                on_ready(base_url_for(host, bound))
            await stop.wait()
        finally:
            await runner.cleanup()

    asyncio.run(main())
