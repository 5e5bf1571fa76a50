"""Someone who created a pipe name first, for the named-pipe tests (tests/sources/).

Usage: python -m tests.sources.pipe_squatter PATH MODE [ARG]
Listens on a socket at PATH (where Qt looks for a bare name here); prints ``LISTENING``, then
``HEARD <line>`` for each line it is told. Ends when stdin closes. MODE:
``forge``: answers every line with an ok reply and a proof it cannot compute;
``prove PROFILE``: answers a hello as the profile's own app would (a live instance of ours),
and any other line with ``ok``;
``nonascii``: a "proof" of non-ASCII text; ``refuse``: an ``ok: false`` with its own text;
``garbage``: a line that is no JSON; ``deep``: JSON nested past Python's recursion limit;
``silent``: accepts and never answers; ``relay TARGET``: passes each line on to the socket at
TARGET (the real app) and its answer back: a man in the middle, in a process of its own.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
from pathlib import Path

from app.sources.instance_proof import hello_fields, hello_key

# The squatter names its own pid: the process serving the connection is the one named, so
# only the proof itself can refuse it (not the check of who serves the connection).
FIXED = {
    "forge": {"ok": True, "hello": "screenpop", "pid": os.getpid(), "proof": "0" * 64,
              "number": "+918302390884"},
    "nonascii": {"ok": True, "hello": "screenpop", "pid": os.getpid(), "proof": "\u00e9" * 64},
    "refuse": {"ok": False, "error": "Screen-Pop moved: call IT on +1 555 0100"},
}

RAW = {"garbage": b"\xff\xfe not json\n", "deep": b"[" * 100_000 + b"\n"}


class Answerer:
    def __init__(self, mode: str, arg: str | None) -> None:
        self.mode = mode
        self.key = hello_key(Path(arg)) if mode == "prove" and arg else None
        self.upstream: socket.socket | None = None
        self.target = arg if mode == "relay" else None

    def answer(self, line: bytes) -> bytes | None:
        if self.mode == "silent":
            return None
        if self.mode in RAW:
            return RAW[self.mode]
        if self.target is not None:
            return self._relay(line)
        if self.key is not None and line.startswith(b'{"cmd":"hello"'):
            reply = {"ok": True, **hello_fields(self.key, json.loads(line)["nonce"], os.getpid())}
        elif self.key is not None:
            reply = {"ok": True, "heard": line.decode().strip()}
        else:
            reply = FIXED[self.mode]
        return json.dumps(reply).encode() + b"\n"

    def _relay(self, line: bytes) -> bytes:
        if self.upstream is None:
            assert self.target is not None
            self.upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.upstream.settimeout(10)
            self.upstream.connect(self.target)
        self.upstream.sendall(line)
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = self.upstream.recv(65536)
            if not chunk:
                break
            reply += chunk
        return reply


def serve(server: socket.socket, mode: str, arg: str | None) -> None:
    while True:
        conn, _ = server.accept()
        answerer = Answerer(mode, arg)  # one upstream connection per client, as a relay has
        with conn, conn.makefile("rb") as lines:
            try:
                for line in lines:
                    print("HEARD", line.decode().rstrip("\n"), flush=True)
                    reply = answerer.answer(line)
                    if reply:
                        conn.sendall(reply)
            except OSError:
                continue


def main() -> None:
    path, mode = sys.argv[1], sys.argv[2]
    arg = sys.argv[3] if len(sys.argv) > 3 else None
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(8)
    threading.Thread(target=serve, args=(server, mode, arg), daemon=True).start()
    print("LISTENING", flush=True)
    try:
        sys.stdin.read()
    finally:
        os.unlink(path)


if __name__ == "__main__":
    main()
