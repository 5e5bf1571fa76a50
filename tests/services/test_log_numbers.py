"""Logs name a caller by the last four digits of the number, unless ``log_full_numbers``."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.services import logs
from app.services.logs import LoggingSetup, log_event, mask_numbers, setup_logging

NUMBER = "+918302390884"


@pytest.fixture
def written(tmp_path: Path) -> Iterator[tuple[LoggingSetup, io.StringIO]]:
    stream = io.StringIO()
    setup = setup_logging(tmp_path, "json", stderr=stream)
    yield setup, stream
    setup.close()
    logs.number_masker.set_full_numbers(False)


def _all_of(setup: LoggingSetup, stream: io.StringIO) -> str:
    for handler in setup.handlers:
        handler.flush()
    return setup.log_file.read_text(encoding="utf-8") + stream.getvalue()


def _log_a_caller_everywhere() -> None:
    log = logging.getLogger("app.test.numbers")
    log_event(log, "pop_received", number=NUMBER, call_id="4455667788", mobile=918302390884,
              raw="tel:+91-83023-90884")
    log.info("lookup for %s took %d ms", "08302390884", 182)
    log.warning("free text with +91 83023 90884 and (083) 023-90884 in it")
    logging.getLogger("httpx").info('HTTP Request: POST http://127.0.0.1:1/x?n=918302390884 '
                                    '"HTTP/1.1 200 OK"')
    try:
        raise ValueError(f"DeepCall refused callerNumber {NUMBER}")
    except ValueError:
        log.exception("lookup crashed")
    log.info("extra attribute", extra={"detail": f"number {NUMBER}"})


def test_no_full_number_is_written_anywhere(
        written: tuple[LoggingSetup, io.StringIO]) -> None:
    _log_a_caller_everywhere()
    text = _all_of(*written)
    assert "8302390884" not in text
    assert "83023 90884" not in text
    assert "023-90884" not in text
    assert "83023-90884" not in text
    assert text.count("…0884") >= 9
    assert "lookup for …0884 took 182 ms" in text
    assert "DeepCall refused callerNumber …0884" in text  # the traceback stays, minus the number
    event = json.loads(written[1].getvalue().splitlines()[0])
    assert (event["number"], event["mobile"], event["raw"]) == ("…0884", "…0884", "tel:…0884")
    assert event["call_id"] == "4455667788"  # a call id is not a caller's number
    assert event["message"] == ("pop_received number=…0884 call_id=4455667788 mobile=…0884 "
                                "raw=tel:…0884")


def test_with_full_numbers_on_the_number_is_written(
        written: tuple[LoggingSetup, io.StringIO]) -> None:
    logs.number_masker.set_full_numbers(True)
    _log_a_caller_everywhere()
    text = _all_of(*written)
    assert NUMBER in text
    assert "…0884" not in text


@pytest.mark.parametrize("text", [
    "2024-05-01 12:34:56", "took 182.4 ms", "127.0.0.1:43567", "item 12345", "call abc1234567",
    "withheld:1234567890", "0.123456789", "pid 4242", "call_1712345678", "v6.11.0.1234567",
    "took 0.1234567 s", "[redacted]"])
def test_what_is_not_a_phone_number_stays(text: str) -> None:
    assert mask_numbers(text) == text


@pytest.mark.parametrize(("text", "masked"), [
    ("+918302390884", "…0884"), ("08302390884", "…0884"), ("+91 83023 90884", "…0884"),
    ("(083) 023-90884", "…0884"), ("sip:918302390884@pbx", "sip:…0884@pbx"),
    ('{"callerNumber": "918302390884"}', '{"callerNumber": "…0884"}'),
    ("020 7219 3000", "…3000"), ("555-1234", "…1234"), ("a=+918302390884,b=+447700900123",
                                                        "a=…0884,b=…0123"),
    # The shapes a caller page's URL (Qt prints it when no browser answers), a tel: link
    # or a glued name give a number.
    ("tel:%2B918302390884", "tel:…0884"), ("q=%2B918302390884&x=1", "q=…0884&x=1"),
    ("q=%2b918302390884", "q=…0884"), ("caller_08302390884", "caller_…0884"),
    ("caller_+918302390884", "caller_…0884"), ("+91.83023.90884", "…0884"),
    ("launch 'https://crm.example.com/find?q=%2B919876543210'",
     "launch 'https://crm.example.com/find?q=…3210'")])
def test_phone_numbers_keep_their_last_four_digits(text: str, masked: str) -> None:
    assert mask_numbers(text) == masked


# A token shaped like a UUID (as many API tokens are): its last group is 12 digits.
UUID_TOKEN = "7f3e2a1c-9b4d-4e8f-a6c5-418302390884"


def test_a_registered_secret_with_a_run_of_digits_is_still_redacted_whole(
        tmp_path: Path) -> None:
    """The masker would cut the token's digits to …0884 first, and the redactor would then
    no longer find the token it knows: the rest of it would be written."""
    stream = io.StringIO()
    setup = setup_logging(tmp_path, "json", stderr=stream, secrets=[UUID_TOKEN])
    try:
        logging.getLogger("app.api").warning("DeepCall refused the token %s", UUID_TOKEN)
        log_event(logging.getLogger("app.api"), "lookup_failed", logging.WARNING,
                  detail=f"invalid token {UUID_TOKEN}")
        text = _all_of(setup, stream)
    finally:
        setup.close()
        logs.redactor.forget(UUID_TOKEN)
    assert "7f3e2a1c" not in text
    assert "DeepCall refused the token [redacted]" in text
    assert json.loads(stream.getvalue().splitlines()[1])["detail"] == "invalid token [redacted]"
