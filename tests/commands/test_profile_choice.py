"""``--profile``/``--demo``: which profile a command talks to (app/commands/profile_choice.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from app.commands.profile_choice import add_profile_options, chosen_profile
from app.core.profile import default_profile_dir, demo_profile_dir


@pytest.fixture(autouse=True)
def _own_config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def _chosen(*argv: str) -> str | None:
    parser = argparse.ArgumentParser()
    add_profile_options(parser)
    return chosen_profile(parser.parse_args(list(argv)))


def test_no_option_is_the_agents_own_profile() -> None:
    assert _chosen() is None


def test_demo_is_one_fixed_folder_beside_the_agents_own() -> None:
    assert _chosen("--demo") == str(demo_profile_dir())
    # Where the agent's own profile is differs by OS (XDG_CONFIG_HOME is Linux's only).
    own = default_profile_dir()
    assert demo_profile_dir() == own.with_name(own.name + " (demo)")
    assert demo_profile_dir() != default_profile_dir()
    assert demo_profile_dir().parent == default_profile_dir().parent


def test_a_given_profile_wins_over_demo(tmp_path: Path) -> None:
    assert _chosen("--demo", "--profile", str(tmp_path / "p")) == str(tmp_path / "p")
    assert _chosen("--profile", str(tmp_path / "p")) == str(tmp_path / "p")
