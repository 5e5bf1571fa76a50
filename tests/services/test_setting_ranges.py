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
          "counters_refresh_seconds": (5, 3600)}
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


@pytest.mark.parametrize("value", BAD_FLOATS)
def test_a_hand_edited_timeout_outside_its_range_reads_as_the_default(
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


@pytest.mark.parametrize("value", ["nan", "1e308", "-1", "86401", "9" * 30])
def test_a_hand_edited_whole_number_outside_its_range_reads_as_the_default(
        tmp_path: Path, value: str) -> None:
    (tmp_path / SETTINGS_FILE_NAME).write_text(f"[General]\ncache_seconds={value}\n",
                                               encoding="utf-8")
    assert Settings(tmp_path).cache_seconds == 120


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
