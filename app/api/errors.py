"""Everything that can go wrong talking to DeepCall, one type per cause.

Every error has ``user_message``: plain language with a next step, safe to show an agent.
No error ever holds a token, an ssid or a request body: errors are built from redacted text
only and raised without chaining the httpx exception (whose ``.request`` holds the body).
"""

from __future__ import annotations

from app.core.error_messages import ApiGroup, user_message


class DeepCallApiError(Exception):
    """Base of every error the DeepCall client raises."""

    def __init__(self, user_message: str, detail: str = "") -> None:
        super().__init__(user_message)
        self.user_message = user_message
        # Technical detail for the log (exception class, HTTP status); already redacted.
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.user_message} ({self.detail})" if self.detail else self.user_message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.user_message!r}, detail={self.detail!r})"


class InvalidBrandUrl(DeepCallApiError, ValueError):
    """The brand address is not an https URL (plain http only to this computer)."""

    def __init__(self, problem: str, detail: str = "", *, fix: str = "") -> None:
        super().__init__(f"{problem} {fix}" if fix else problem, detail)
        # Without ``fix`` (where to correct it): for the Settings dialog, where it is corrected.
        self.problem = problem


class DeepCallError(DeepCallApiError):
    """DeepCall answered ``"status": "error"``: its code, its words, and ours."""

    def __init__(self, code: int | None, server_message: str, group: ApiGroup,
                 action: str = "") -> None:
        super().__init__(user_message(group, code),
                         detail=f"{group.value}/{action} error {code}: {server_message}")
        self.code = code
        self.server_message = server_message
        self.group = group
        self.action = action


class TransportError(DeepCallApiError):
    """No usable HTTP answer arrived: base of the network-level faults."""

    # Whether the request may have reached the server (decides if a write may be retried).
    request_sent: bool = True


class ConnectionRefused(TransportError):
    """No connection could be made (refused, host not found, proxy refused)."""

    request_sent = False


class RequestTimedOut(TransportError):
    """No complete answer within the deadline (connect, or the whole call)."""

    def __init__(self, user_message: str, detail: str = "", *, request_sent: bool = True) -> None:
        super().__init__(user_message, detail)
        self.request_sent = request_sent


class TlsFailure(TransportError):
    """The server's certificate could not be verified, or the TLS handshake failed."""

    request_sent = False


class ConnectionDropped(TransportError):
    """The connection closed before a complete answer arrived."""


class ServerError(DeepCallApiError):
    """HTTP 5xx without a DeepCall error body (e.g. a proxy's 502 HTML page)."""

    def __init__(self, status_code: int, user_message: str, detail: str = "") -> None:
        super().__init__(user_message, detail)
        self.status_code = status_code


class BadResponse(DeepCallApiError):
    """An answer this client cannot read: not JSON, HTML, malformed, or an unexpected shape."""


class ResponseTooLarge(BadResponse):
    """The answer's body went over the size cap; reading stopped there."""

    def __init__(self, limit: int, user_message: str, detail: str = "") -> None:
        super().__init__(user_message, detail)
        self.limit = limit


__all__ = [
    "ApiGroup",
    "BadResponse",
    "ConnectionDropped",
    "ConnectionRefused",
    "DeepCallApiError",
    "DeepCallError",
    "InvalidBrandUrl",
    "RequestTimedOut",
    "ResponseTooLarge",
    "ServerError",
    "TlsFailure",
    "TransportError",
]
