"""What the sandbox's console shows about HTTP clients: what matters, never a traceback.

aiohttp logs every client that hangs up mid-request or mid-answer, and every malformed request,
as "Error handling request" with a full traceback. For a server whose job is to be cut off by
clients' deadlines, a hang-up is normal (kept as a debug record) and a malformed request is the
client's problem (one plain warning line). Real handler bugs are still logged in full by
``app.sandbox.web``.
"""

from __future__ import annotations

import logging

from aiohttp.http_exceptions import HttpProcessingError

HTTP_LOG = logging.getLogger("app.sandbox.http")


class ClientNoiseFilter(logging.Filter):
    """Rewrites aiohttp's records about clients; leaves every other record as it is."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, ConnectionResetError):
            _rewrite(record, logging.DEBUG, "client hung up (%s)", type(error).__name__)
        elif isinstance(error, HttpProcessingError):
            # Only the type and status: the parser's message quotes the request's bytes.
            _rewrite(record, logging.WARNING, "sandbox: answered %s to a malformed HTTP request "
                     "(%s)", error.code or 400, type(error).__name__)
        return True


def _rewrite(record: logging.LogRecord, level: int, message: str, *args: object) -> None:
    record.levelno, record.levelname = level, logging.getLevelName(level)
    record.msg, record.args = message, args
    record.exc_info, record.exc_text = None, None


HTTP_LOG.addFilter(ClientNoiseFilter())
