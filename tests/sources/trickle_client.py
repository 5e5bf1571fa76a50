"""Slow clients for the socket tests: each connects, then sends one byte of a line at a time.

Usage: python -m tests.sources.trickle_client SOCKET_ADDRESS INTERVAL_SECONDS COUNT
Opens COUNT connections, each starting a line at once, prints ``CONNECTED COUNT`` once all
are connected, then one ``CLOSED <what the server said>`` line as the server hangs up on each.
The lines they trickle never end, as a stuck or hostile client's would not.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading


def main() -> int:
    address, interval, count = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    socks = []
    for _ in range(count):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(address)
        sock.send(b"9")  # a line under way from the start: not an idle connection
        socks.append(sock)
    print("CONNECTED", count, flush=True)
    print_lock = threading.Lock()

    def trickle(sock: socket.socket, hung_up: threading.Event) -> None:
        while not hung_up.wait(interval):  # the pace of the attack, not a test's wait
            with contextlib.suppress(OSError):
                sock.send(b"9")

    def listen(sock: socket.socket) -> None:
        hung_up = threading.Event()
        threading.Thread(target=trickle, args=(sock, hung_up), daemon=True).start()
        received = b""
        with contextlib.suppress(OSError):
            while chunk := sock.recv(4096):
                received += chunk
        hung_up.set()
        with print_lock:
            print("CLOSED", received.decode("utf-8", "replace").strip(), flush=True)

    listeners = [threading.Thread(target=listen, args=(sock,)) for sock in socks]
    for thread in listeners:
        thread.start()
    for thread in listeners:
        thread.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
