"""Logging: a rotating file under <profile>/logs/, optional JSON events on stderr, no secrets.

Every handler set up here carries the ``SecretRedactor``: register the token/ssid in use (and
any override from the environment) and it is replaced in every message, argument, traceback
and structured field before anything is written. Beside it the ``NumberMasker`` names every
phone number by its last four digits (``…0884``) unless the agent turned on
``log_full_numbers`` for troubleshooting: a log file sent to support lists no callers.
``log_event`` writes one structured event (``pop_received``, ``lookup_finished`` with ``ms``
timings, ...); with ``--log-format json`` each event is one JSON object per line on stderr.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Final, Literal, TextIO

LogFormat = Literal["text", "json"]
LOG_DIR_NAME: Final = "logs"
LOG_FILE_NAME: Final = "screenpop.log"
MAX_LOG_BYTES: Final = 1_000_000
LOG_BACKUPS: Final = 5
REDACTED: Final = "[redacted]"
# Shorter "secrets" would blank out ordinary words; real tokens/ssids are much longer.
MIN_SECRET_LENGTH: Final = 4
_EVENT_ATTR: Final = "screenpop_event"
_FIELDS_ATTR: Final = "screenpop_fields"
_STANDARD_ATTRS: Final = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None)))


class SecretRedactor(logging.Filter):
    """Replaces every registered secret value in a record; never drops the record."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SecretRedactor({len(self._secrets)} secrets)"

    def register(self, *secrets: str | None) -> None:
        with self._lock:
            self._secrets.update(s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH)

    def forget(self, *secrets: str | None) -> None:
        with self._lock:
            self._secrets.difference_update(s for s in secrets if s)

    def redact(self, text: str) -> str:
        with self._lock:
            # Longest first, so a secret that contains another is removed whole.
            ordered = sorted(self._secrets, key=len, reverse=True)
        for secret in ordered:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def _redact_value(self, value: object) -> object:
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, int | float | bool) or value is None:
            return value
        return self.redact(repr(value))

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        _rewrite_texts(record, self.redact, self.redact(_message_of(record)),
                       keep=frozenset({_FIELDS_ATTR}))
        fields = getattr(record, _FIELDS_ATTR, None)
        if isinstance(fields, dict):
            setattr(record, _FIELDS_ATTR,
                    {k: self._redact_value(v) for k, v in fields.items()})
        return True


def _message_of(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # a bad format string must not hide the record
        return f"{record.msg!r} % {record.args!r}"


def _rewrite_texts(record: logging.LogRecord, transform: Callable[[str], str], message: str,
                   *, keep: frozenset[str]) -> None:
    """``record`` says ``message`` (already transformed), and its traceback, stack and extra
    text attributes (but those in ``keep``) go through ``transform``: what a filter that
    rewrites text (the redactor, the number masker) does to every record."""
    record.msg, record.args = message, None
    if record.exc_info and not record.exc_text:
        # The formatter would format exc_info again only if exc_text were empty.
        record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip()
    if record.exc_text:
        record.exc_text = transform(record.exc_text)
    if record.stack_info:
        record.stack_info = transform(record.stack_info)
    for key, value in list(vars(record).items()):
        if key not in _STANDARD_ATTRS and key not in keep and isinstance(value, str):
            setattr(record, key, transform(value))


# The process-wide redactor: credentials register their secrets here as soon as they are known.
redactor = SecretRedactor()

# A phone number as logs meet it: +918302390884, 08302390884, +91 83023 90884, (083) 023-90884,
# tel:+91-..., 918302390884 in an API body; at least 7 digits (the shortest local numbers).
# Also as a URL or link carries it (%2B918302390884: a caller page's address, which Qt prints
# when no browser answers), glued to a name by "_" when it is dialled (caller_0830...,
# caller_+91...), and +91.83023.90884 (dots only after a "+": a fraction has no "+").
# Not inside a word (a call id "abc1234567", "call_1712345678", a hex key) nor after a dot (a
# decimal fraction, a version); not an ISO date (2024-05-01 12:...); not the call id inside a
# withheld key.
_PHONE_NUMBER = re.compile(
    r"(?:(?<![\w.])|(?<=_)(?=[0+]|%2[Bb]))(?<!withheld:)(?!\d{4}-\d\d-\d\d(?!\d))"
    r"(?:(?:\+|%2[Bb])\(?\d(?:[ .()-]{0,2}\d){6,}|\(?\d(?:[ ()-]{0,2}\d){6,})(?!\w)")
# What stays of a number: enough to tell two callers apart in a support case.
MASK_MARK: Final = "…"
KEPT_DIGITS: Final = 4
# Structured fields that hold a call id, never a caller's number.
_CALL_ID_FIELDS: Final = frozenset({"call_id", "callId"})
# Record attributes the masker leaves as they are (the fields are masked one by one).
_KEPT_WHOLE: Final = _CALL_ID_FIELDS | {_FIELDS_ATTR, _EVENT_ATTR}


def mask_numbers(text: str) -> str:
    """``text`` with each phone number cut to its last four digits: ``…0884``."""
    def last_digits(match: re.Match[str]) -> str:
        digits = [ch for ch in match.group() if ch.isdigit()]
        return MASK_MARK + "".join(digits[-KEPT_DIGITS:])
    return _PHONE_NUMBER.sub(last_digits, text)


class NumberMasker(logging.Filter):
    """Masks phone numbers in a record (message, fields, traceback) unless full numbers are
    on; never drops the record. Log events are written again from their masked fields, so a
    call id (not a number) stays whole."""

    def __init__(self) -> None:
        super().__init__()
        self.full_numbers = False

    def set_full_numbers(self, on: bool) -> None:
        self.full_numbers = bool(on)

    @staticmethod
    def _masked_field(key: str, value: object) -> object:
        if key in _CALL_ID_FIELDS or value is None or isinstance(value, bool | float):
            return value
        text = value if isinstance(value, str) else str(value)
        masked = mask_numbers(text)
        return value if masked == text else masked

    def filter(self, record: logging.LogRecord) -> bool:
        if self.full_numbers:
            return True
        fields = getattr(record, _FIELDS_ATTR, None)
        event = getattr(record, _EVENT_ATTR, None)
        if isinstance(fields, dict):
            fields = {k: self._masked_field(str(k), v) for k, v in fields.items()}
            setattr(record, _FIELDS_ATTR, fields)
        message = _event_text(str(event), fields) if isinstance(fields, dict) and event \
            else mask_numbers(_message_of(record))
        _rewrite_texts(record, mask_numbers, message, keep=_KEPT_WHOLE)
        return True


# The process-wide masker: the app sets it from the ``log_full_numbers`` setting.
number_masker = NumberMasker()


def register_secrets(secrets: Iterable[str | None]) -> None:
    redactor.register(*secrets)


def ms_since(start: float) -> float:
    """Milliseconds since ``time.perf_counter()`` was ``start``, as the log events give them."""
    return round((time.perf_counter() - start) * 1000, 1)


def log_event(logger: logging.Logger, event: str, level: int = logging.INFO, /,
              **fields: object) -> None:
    """One structured event: ``log_event(log, "lookup_finished", ms=182.4, status="found")``."""
    logger.log(level, "%s", _event_text(event, fields),
               extra={_EVENT_ATTR: event, _FIELDS_ATTR: fields})


def _event_text(event: str, fields: dict[str, object]) -> str:
    return " ".join([event, *(f"{k}={v}" for k, v in fields.items())])


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, event, message, fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": getattr(record, _EVENT_ATTR, None) or "log",
            "message": record.getMessage(),
        }
        fields = getattr(record, _FIELDS_ATTR, None)
        if isinstance(fields, dict):
            for key, value in fields.items():
                payload.setdefault(str(key), value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            payload["exception"] = record.exc_text
        return json.dumps(payload, ensure_ascii=False, default=str)


TEXT_FORMAT: Final = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


@dataclass(frozen=True)
class LoggingSetup:
    log_dir: Path
    log_file: Path
    handlers: tuple[logging.Handler, ...]

    def close(self) -> None:
        root = logging.getLogger()
        for handler in self.handlers:
            root.removeHandler(handler)
            handler.close()


def setup_logging(profile_dir: Path, log_format: LogFormat = "text", *,
                  level: int = logging.INFO, stderr: TextIO | None = None,
                  secrets: Iterable[str | None] = ()) -> LoggingSetup:
    """Install the file handler (and stderr handler) on the root logger, each redacting.

    Text format: warnings and errors also go to stderr. JSON format: every INFO+ record goes
    to stderr as one JSON object per line (scripts and tests parse it).
    """
    register_secrets(secrets)
    log_dir = Path(profile_dir) / LOG_DIR_NAME
    log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    log_file = log_dir / LOG_FILE_NAME
    file_handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=MAX_LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8")
    file_handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    stream_handler = logging.StreamHandler(stderr if stderr is not None else sys.stderr)
    if log_format == "json":
        stream_handler.setFormatter(JsonFormatter())
        stream_handler.setLevel(level)
    else:
        stream_handler.setFormatter(logging.Formatter(TEXT_FORMAT))
        stream_handler.setLevel(max(level, logging.WARNING))
    handlers: tuple[logging.Handler, ...] = (file_handler, stream_handler)
    root = logging.getLogger()
    for handler in handlers:
        # Filters on handlers (not loggers) also see records propagated from child loggers.
        # The redactor first: a secret is removed whole while it is still the text that was
        # registered (the masker would cut a run of digits inside it, and the rest would stay).
        handler.addFilter(redactor)
        handler.addFilter(number_masker)
        root.addHandler(handler)
    root.setLevel(level)
    return LoggingSetup(log_dir=log_dir, log_file=log_file, handlers=handlers)


def route_qt_messages() -> None:
    """Qt's own messages (``qt.qpa.services: Unable to detect a web browser to launch <url>``)
    go through ``logging`` instead of straight to stderr, so the redactor and the number masker
    see them (the URL names the caller) and they reach screenpop.log with the rest."""
    from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

    levels = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
              QtMsgType.QtWarningMsg: logging.WARNING, QtMsgType.QtCriticalMsg: logging.ERROR,
              QtMsgType.QtFatalMsg: logging.CRITICAL}

    def to_logging(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
        category = context.category or "default"
        logger = logging.getLogger("qt" if category == "default" else category)
        logger.log(levels.get(kind, logging.WARNING), "%s", message)

    qInstallMessageHandler(to_logging)


def log_uncaught(exc_type: type[BaseException], exc: BaseException,
                 tb: TracebackType | None, log_file: Path,
                 logger: logging.Logger | None = None) -> Path:
    """Log an uncaught exception with its traceback; returns the log file for the apology."""
    (logger or logging.getLogger("app.crash")).critical(
        "Uncaught %s", exc_type.__name__, exc_info=(exc_type, exc, tb))
    return log_file
