"""Someone who created a pipe name first, for tests/sources/test_windows_pipe.py.

Usage: python -m tests.sources.pipe_squatter PATH forge|prove [PROFILE]
Listens on a socket at PATH (where Qt looks for a bare name here); prints ``LISTENING``, then
``HEARD <line>`` for each line it is told. ``forge``: answers every line with an ok reply and a
proof it cannot compute; ``prove``: answers a hello as the profile's own app would (a live
instance of ours). Ends when stdin closes.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
from pathlib import Path

from app.sources.instance_proof import hello_fields, hello_key


def answer(line: bytes, key: bytes | None) -> bytes:
    if key is None:
        reply = {"ok": True, "hello": "screenpop", "pid": 4242, "proof": "0" * 64,
                 "number": "+918302390884"}
    else:
        reply = {"ok": True, **hello_fields(key, json.loads(line)["nonce"], os.getpid())}
    return json.dumps(reply).encode() + b"\n"


def serve(server: socket.socket, key: bytes | None) -> None:
    while True:
        conn, _ = server.accept()
        with conn, conn.makefile("rb") as lines:
            try:
                for line in lines:
                    print("HEARD", line.decode().rstrip("\n"), flush=True)
                    conn.sendall(answer(line, key))
            except OSError:
                continue


def main() -> None:
    path, mode = sys.argv[1], sys.argv[2]
    key = hello_key(Path(sys.argv[3])) if mode == "prove" else None
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(8)
    threading.Thread(target=serve, args=(server, key), daemon=True).start()
    print("LISTENING", flush=True)
    try:
        sys.stdin.read()
    finally:
        os.unlink(path)


if __name__ == "__main__":
    main()
