"""Logging: rotating file under the profile, JSON events, and secrets never written."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.api.auth import TokenAuth
from app.services import logs
from app.services.logs import LoggingSetup, log_event, log_uncaught, setup_logging

TOKEN = "tok-5c1d8e-very-secret"
SSID = "ssid-77aa-very-secret"


@pytest.fixture
def json_logging(tmp_path: Path) -> Iterator[tuple[LoggingSetup, io.StringIO]]:
    stream = io.StringIO()
    setup = setup_logging(tmp_path, "json", stderr=stream, secrets=[TOKEN, SSID])
    yield setup, stream
    setup.close()
    logs.redactor.forget(TOKEN, SSID)


def _everything_written(setup: LoggingSetup, stream: io.StringIO) -> str:
    for handler in setup.handlers:
        handler.flush()
    files = "".join(p.read_text(encoding="utf-8") for p in setup.log_dir.iterdir())
    return files + stream.getvalue()


def test_secrets_are_redacted_everywhere(json_logging: tuple[LoggingSetup, io.StringIO]) -> None:
    setup, stream = json_logging
    log = logging.getLogger("app.test.redaction")
    log.warning("request body was {'token': '%s'}", TOKEN)
    log.warning("the server echoed %s, then %s again", TOKEN, TOKEN)
    log.warning(f"inline f-string with ssid={SSID}")
    log_event(log, "lookup_failed", body=f"userId=1&token={TOKEN}", nested={"ssid": SSID})
    try:
        raise RuntimeError(f"server echoed {TOKEN}")
    except RuntimeError:
        log.exception("lookup crashed")
    log.info("extra attribute", extra={"detail": f"ssid {SSID}"})
    written = _everything_written(setup, stream)
    assert TOKEN not in written
    assert SSID not in written
    assert written.count(logs.REDACTED) >= 7
    assert "server echoed [redacted]" in written  # the traceback is kept, minus the secret
    assert "RuntimeError" in written


def test_redaction_test_would_catch_a_leak(tmp_path: Path) -> None:
    """Without registration the same secret does reach the file (the test above can fail)."""
    stream = io.StringIO()
    setup = setup_logging(tmp_path, "text", stderr=stream)
    try:
        logging.getLogger("app.test.leak").warning("body token=%s", "unregistered-value-123")
        assert "unregistered-value-123" in _everything_written(setup, stream)
    finally:
        setup.close()


def test_auth_repr_in_a_log_line_holds_no_secret(
        json_logging: tuple[LoggingSetup, io.StringIO]) -> None:
    setup, stream = json_logging
    logging.getLogger("app.test").warning("using %r", TokenAuth(user_id="42", token=TOKEN))
    written = _everything_written(setup, stream)
    assert "user_id='42'" in written
    assert TOKEN not in written


def test_json_mode_writes_one_object_per_event(
        json_logging: tuple[LoggingSetup, io.StringIO]) -> None:
    setup, stream = json_logging
    log = logging.getLogger("app.services.pop")
    log_event(log, "pop_received", number="+918302390884", source="socket")
    log_event(log, "lookup_finished", number="+918302390884", status="found", ms=123.4)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ["pop_received", "lookup_finished"]
    assert lines[1]["ms"] == 123.4
    assert lines[1]["status"] == "found"
    assert lines[0]["level"] == "info"
    assert lines[0]["logger"] == "app.services.pop"
    assert (setup.log_file.read_text(encoding="utf-8").count("lookup_finished")) == 1


def test_text_mode_keeps_info_out_of_stderr_but_in_the_file(tmp_path: Path) -> None:
    stream = io.StringIO()
    setup = setup_logging(tmp_path, "text", stderr=stream)
    try:
        log = logging.getLogger("app.test.text")
        log.info("quiet detail")
        log.error("loud problem")
        for handler in setup.handlers:
            handler.flush()
        assert "quiet detail" not in stream.getvalue()
        assert "loud problem" in stream.getvalue()
        assert setup.log_file == tmp_path / "logs" / "screenpop.log"
        content = setup.log_file.read_text(encoding="utf-8")
        assert "quiet detail" in content
        assert "loud problem" in content
    finally:
        setup.close()


def test_log_file_rotates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logs, "MAX_LOG_BYTES", 2000)
    setup = setup_logging(tmp_path, "text", stderr=io.StringIO())
    try:
        log = logging.getLogger("app.test.rotate")
        for i in range(200):
            log.info("line %d %s", i, "x" * 50)
        names = sorted(p.name for p in setup.log_dir.iterdir())
        assert "screenpop.log.1" in names
        assert len(names) <= logs.LOG_BACKUPS + 1
    finally:
        setup.close()


def test_uncaught_exception_is_logged_and_the_path_returned(
        json_logging: tuple[LoggingSetup, io.StringIO]) -> None:
    setup, stream = json_logging
    try:
        {}["missing"]
    except KeyError:
        exc_type, exc, tb = sys.exc_info()
        assert exc_type is not None
        assert exc is not None
        path = log_uncaught(exc_type, exc, tb, setup.log_file)
    assert path == setup.log_file
    written = _everything_written(setup, stream)
    assert "Uncaught KeyError" in written
    assert "Traceback" in written
