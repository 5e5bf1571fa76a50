"""The last requests the sandbox received, secrets redacted, for tests to assert on.

Kept: method, path, API group/action, content type, the body (a JSON object with ``ssid`` and
``token`` values replaced by ``REDACTED``) and which auth fields were present. A body that is not
a JSON object is kept only as its size: it could hold a secret we cannot find to redact.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

REDACTED = "<redacted>"
SECRET_KEYS = ("ssid", "token")
AUTH_KEYS = ("ssid", "userId", "token")


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    group: str
    action: str
    content_type: str
    body: dict[str, object] | None  # None when the body was not a JSON object
    body_bytes: int
    peer: str = ""  # the client's "host:port": one per TCP connection (keep-alive reuse)

    @property
    def auth_fields(self) -> list[str]:
        """Auth keys present in the body, in a fixed order (ssid, userId, token)."""
        return [k for k in AUTH_KEYS if self.body is not None and k in self.body]

    def to_json(self) -> dict[str, object]:
        return {
            "method": self.method, "path": self.path, "group": self.group,
            "action": self.action, "contentType": self.content_type, "body": self.body,
            "bodyBytes": self.body_bytes, "authFields": self.auth_fields, "peer": self.peer,
        }


def redact(body: dict[str, object]) -> dict[str, object]:
    return {k: (REDACTED if k in SECRET_KEYS and v is not None else v) for k, v in body.items()}


class RequestLog:
    def __init__(self, size: int = 200) -> None:
        self._lock = threading.Condition()
        self._entries: deque[LoggedRequest] = deque(maxlen=size)

    def add(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._entries.append(entry)
            self._lock.notify_all()

    def wait_for(self, count: int, timeout: float) -> list[LoggedRequest]:
        """The entries once there are at least ``count`` (fewer if ``timeout`` passes first)."""
        with self._lock:
            self._lock.wait_for(lambda: len(self._entries) >= count, timeout)
            return list(self._entries)

    def entries(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
