"""The hello: a client on a named pipe checks it reached this user's own app (issue 13).

Pipe names are machine-wide and anyone can list them. Another user of a shared terminal server
who took this user's pipe name (while the app was not running) would otherwise receive every
number and answer ``state``. So before its request the client sends ``{"cmd": "hello",
"nonce": N}`` with a fresh random N, and the app answers with its PID and an HMAC of both,
keyed by a secret drawn from the profile's salt (``socket.salt``, readable only by this user).
The client sends the number only if the proof holds. A squatter learns a random nonce, nothing
it can reuse; the PID it is given is proven too, so the client may grant that process the
foreground (``AllowSetForegroundWindow``).

Pure Python: the client must not load Qt. POSIX clients skip the hello (their socket sits in
a directory only this user can enter), which keeps ``screenpop pop`` as fast as it was.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from pathlib import Path
from typing import Any

from app.sources.socket_address import profile_salt

_KEY_CONTEXT = b"screenpop hello key v1\0"
_PROOF_CONTEXT = b"screenpop hello v1\0"
NONCE_HEX_DIGITS = 32


def hello_key(profile_dir: Path) -> bytes:
    """The profile's hello secret: derived from the salt, never the salt itself (the pipe name
    is a hash of it too; one secret, two unrelated uses)."""
    return hashlib.sha256(_KEY_CONTEXT + profile_salt(profile_dir).encode("ascii")).digest()


def new_nonce() -> str:
    return secrets.token_hex(NONCE_HEX_DIGITS // 2)


def hello_line(nonce: str) -> str:
    return json.dumps({"cmd": "hello", "nonce": nonce}, separators=(",", ":"))


def proof(key: bytes, nonce: str, pid: int) -> str:
    message = _PROOF_CONTEXT + nonce.encode("ascii") + b"\0" + str(pid).encode("ascii")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def hello_fields(key: bytes, nonce: str, pid: int) -> dict[str, Any]:
    """What the app adds to its ``ok`` reply to a hello."""
    return {"hello": "screenpop", "pid": pid, "proof": proof(key, nonce, pid)}


def proven_pid(key: bytes, nonce: str, reply: dict[str, Any]) -> int | None:
    """The app's PID when ``reply`` proves it knows ``key``; None otherwise, whatever the
    reply holds (never raises: it comes from whoever answered)."""
    pid, given = reply.get("pid"), reply.get("proof")
    if reply.get("ok") is not True or type(pid) is not int or pid <= 0 \
            or not isinstance(given, str):
        return None
    # Bytes: compare_digest refuses str with non-ASCII characters (TypeError), and a lone
    # surrogate from JSON's \udcxx cannot be encoded strictly.
    given_bytes = given.encode("utf-8", "surrogatepass")
    return pid if hmac.compare_digest(given_bytes, proof(key, nonce, pid).encode()) else None
