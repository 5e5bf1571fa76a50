"""Marks for tests that cannot run on every OS of the CI matrix (Linux, Windows, macOS).

A test that needs a POSIX call (``os.getuid``, ``AF_UNIX``, ``SIGKILL``/``SIGSTOP``, ``/proc``,
``fcntl``, ``fork``, permission bits) or one OS's own API skips elsewhere with a reason that
starts with :data:`OTHER_OS`: the CI's "nothing may skip" rule (tests/conftest.py) knows such
a skip is not a broken setup.
"""

from __future__ import annotations

import sys

import pytest

OTHER_OS = "not on this OS: "


def only_on(platform: str, why: str) -> pytest.MarkDecorator:
    """Run only where ``sys.platform`` starts with ``platform`` ("win32", "darwin", "linux")."""
    return pytest.mark.skipif(not sys.platform.startswith(platform), reason=OTHER_OS + why)


def not_on(platform: str, why: str) -> pytest.MarkDecorator:
    """Skip where ``sys.platform`` starts with ``platform``."""
    return pytest.mark.skipif(sys.platform.startswith(platform), reason=OTHER_OS + why)


def posix_only(why: str) -> pytest.MarkDecorator:
    """Skip on Windows, which has no ``why`` (e.g. "os.getuid", "AF_UNIX socket files")."""
    return not_on("win32", f"POSIX only ({why})")


def is_other_os_skip(reason: str) -> bool:
    """True for a skip made by :func:`only_on`/:func:`not_on`: the reason (after pytest's
    "Skipped: ") starts with :data:`OTHER_OS`. Only the start: a missing tool's message that
    merely quotes the words is still a missing tool."""
    return reason.removeprefix("Skipped: ").startswith(OTHER_OS)



# For a test that puts the machine-wide IT preset where $XDG_CONFIG_DIRS says: Linux reads it
# there; macOS and Windows read one fixed system folder that a test cannot write to.
MACHINE_PRESET_VIA_XDG = only_on("linux", "the machine-wide IT preset is found through "
                                          "XDG_CONFIG_DIRS")
