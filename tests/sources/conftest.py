"""Fixtures of the named-pipe tests (tests/sources/pipe_fixtures.py has the why)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sources.pipe_fixtures import new_profile, pretend_windows


@pytest.fixture
def windows(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The Windows branch against bare pipe names; the pids granted the foreground."""
    return pretend_windows(monkeypatch)


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    return new_profile(tmp_path)
