"""Every number setting is finite and in a sane range, whether it is set or read back from a
hand-edited settings.ini: ``nan`` or ``1e308`` seconds never reach the DeepCall client."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import pytest

from app.api.client import Timeouts
from app.services.settings import SETTINGS_FILE_NAME, Settings

# name -> (lowest allowed, highest allowed)
RANGES = {"connect_timeout_seconds": (0.5, 60.0), "total_timeout_seconds": (0.5, 120.0),
          "dedupe_seconds": (0, 600), "cache_seconds": (0, 86400),
          "counters_refresh_seconds": (5, 3600), "history_days": (1, 3650),
          "return_after_call_seconds": (0, 3600)}
BAD_FLOATS = ["nan", "-nan", "inf", "-inf", "1e308", "1e999", "0", "0.4", "121", "-5"]


def test_every_number_setting_declares_its_range() -> None:
    declared = {info.name: (info.minimum, info.maximum) for info in Settings.declared()
                if info.kind in (int, float)}
    assert declared == RANGES


@pytest.mark.parametrize("value", BAD_FLOATS)
def test_a_timeout_outside_its_range_is_refused(tmp_path: Path,
                                                value: str) -> None:
    settings = Settings(tmp_path)
    with pytest.raises(ValueError, match="total_timeout_seconds must be"):
        settings.set_value("total_timeout_seconds", value)
    with pytest.raises(ValueError, match="total_timeout_seconds must be"):
        settings.set_value("total_timeout_seconds", float(value))
    assert settings.total_timeout_seconds == 5.0


@pytest.mark.parametrize("value", ["nan", "-nan", "inf", "-inf", "1e999", "x"])
def test_a_hand_edited_timeout_that_is_not_a_finite_number_reads_as_the_default(
        tmp_path: Path, value: str, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / SETTINGS_FILE_NAME).write_text(
        f"[General]\ntotal_timeout_seconds={value}\nconnect_timeout_seconds={value}\n",
        encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        settings = Settings(tmp_path)
        assert settings.total_timeout_seconds == 5.0
        assert settings.connect_timeout_seconds == 3.0
    assert "total_timeout_seconds must be" in caplog.text
    Timeouts(settings.connect_timeout_seconds, settings.total_timeout_seconds)


# A profile saved before the ranges existed may hold any number: a value past an end is
# read as that end (7200 s counters stay rare: not the 30 s default, 240 times the calls).
DEFAULT_BELOW = {"history_days"}


@pytest.mark.parametrize("name", sorted(RANGES))
@pytest.mark.parametrize("end", ["below", "above"])
def test_a_saved_number_past_an_end_of_its_range_reads_as_that_end(
        tmp_path: Path, name: str, end: str, caplog: pytest.LogCaptureFixture) -> None:
    low, high = RANGES[name]
    saved = {"below": low - 1 - low / 2, "above": high * 2 + 1}[end]
    text = f"{saved:g}" if isinstance(low, float) else str(int(saved))
    (tmp_path / SETTINGS_FILE_NAME).write_text(f"[General]\n{name}={text}\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        value = Settings(tmp_path).get_value(name)
    if end == "below" and name in DEFAULT_BELOW:
        # Its minimum would act on the number (keep one day: delete the rest): the default.
        assert value == getattr(Settings, name).default
        assert f"ignoring bad {name}" in caplog.text
        return
    assert value == (low if end == "below" else high)
    assert type(value) is type(low)
    assert f"{name} is {text}, outside its range" in caplog.text


@pytest.mark.parametrize(("value", "read"), [
    ("nan", 120), ("x", 120), ("-1", 0), ("86401", 86400), ("9" * 30, 86400)])
def test_a_hand_edited_whole_number_is_clamped_or_else_the_default(
        tmp_path: Path, value: str, read: int) -> None:
    (tmp_path / SETTINGS_FILE_NAME).write_text(f"[General]\ncache_seconds={value}\n",
                                               encoding="utf-8")
    assert Settings(tmp_path).cache_seconds == read


@pytest.mark.parametrize("name", sorted(RANGES))
def test_both_ends_of_each_range_are_allowed(tmp_path: Path,
                                             name: str) -> None:
    settings = Settings(tmp_path)
    for value in RANGES[name]:
        settings.set_value(name, value)
        assert settings.get_value(name) == value


@pytest.mark.parametrize("value", [math.nan, math.inf, 0.0, -1.0])
def test_the_client_refuses_a_timeout_that_is_not_a_positive_finite_number(
        value: float) -> None:
    with pytest.raises(ValueError, match="positive, finite"):
        Timeouts(connect=3.0, total=value)
    with pytest.raises(ValueError, match="positive, finite"):
        Timeouts(connect=value, total=5.0)
