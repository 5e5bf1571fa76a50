"""The environment for what the app starts: the user's own, not the bundle's.

A PyInstaller bundle changes its own environment to run: the bootloader points
``LD_LIBRARY_PATH`` at the bundle (keeping the user's value as ``LD_LIBRARY_PATH_ORIG``) and
adds private ``_PYI_*`` variables; the Qt run-time hook points ``QT_PLUGIN_PATH`` and
``QML2_IMPORT_PATH`` into it and, on Windows, puts the bundle first on ``PATH``. A browser, a
CRM program or a softphone script started from the app must not inherit that: it would load the
bundle's Qt or OpenSSL instead of its own. And the app started by ``screenpop pop`` must be an
independent process, not a child of the short-lived ``pop`` (``PYINSTALLER_RESET_ENVIRONMENT``).

Pure: the functions take the environ, the bundle folder and the platform, so every OS's
layout is tested with fake environs on any machine.
"""

from __future__ import annotations

import ntpath
import os
import posixpath
import sys
from collections.abc import Mapping
from typing import Final

# The bootloader sets these to the bundle folder and keeps the user's value (if any) in
# NAME_ORIG: that value comes back, or the variable goes (PyInstaller's documented recipe).
# Any variable below with a NAME_ORIG copy gets that copy back the same way.
LOADER_VARIABLES: Final = ("LD_LIBRARY_PATH", "LIBPATH")
# Path lists that run-time hooks extend with folders inside the bundle: those entries go,
# what the user had stays.
BUNDLE_PATH_VARIABLES: Final = ("QT_PLUGIN_PATH", "QML2_IMPORT_PATH", "QML_IMPORT_PATH",
                                "QT_QPA_PLATFORM_PLUGIN_PATH", "DYLD_LIBRARY_PATH",
                                "DYLD_FRAMEWORK_PATH", "PATH", "SSL_CERT_FILE", "SSL_CERT_DIR")
PRIVATE_PREFIX: Final = "_PYI_"
PRIVATE_NAMES: Final = ("_MEIPASS2",)
ORIG_SUFFIX: Final = "_ORIG"
RESET_VARIABLE: Final = "PYINSTALLER_RESET_ENVIRONMENT"


def bundle_dir() -> str | None:
    """The running bundle's folder (``sys._MEIPASS``), or None when run from source."""
    if not getattr(sys, "frozen", False):
        return None
    folder = getattr(sys, "_MEIPASS", None)
    return str(folder) if folder else None


def _find(environ: Mapping[str, str], name: str, platform: str) -> str | None:
    """The key ``name`` has in ``environ`` (Windows names ignore case: ``Path`` is PATH)."""
    if name in environ:
        return name
    if platform == "win32":
        return next((key for key in environ if key.upper() == name.upper()), None)
    return None


def _inside(entry: str, folder: str, platform: str) -> bool:
    paths = ntpath if platform == "win32" else posixpath
    entry, folder = paths.normpath(entry), paths.normpath(folder)
    if platform == "win32":
        entry, folder = entry.lower(), folder.lower()
    return entry == folder or entry.startswith(folder.rstrip(paths.sep) + paths.sep)


def _without_bundle(value: str, folder: str, platform: str) -> str:
    separator = ";" if platform == "win32" else ":"
    return separator.join(entry for entry in value.split(separator)
                          if entry and not _inside(entry, folder, platform))


def child_environment(environ: Mapping[str, str], bundle: str | None,
                      platform: str = sys.platform) -> dict[str, str]:
    """``environ`` as the user had it, for a program the app starts.

    ``bundle``: the frozen app's folder (None from source: then only PyInstaller's private
    variables go, which a source run only has when a bundle started it).
    """
    env = {name: value for name, value in environ.items()
           if not name.upper().startswith(PRIVATE_PREFIX) and name.upper() not in PRIVATE_NAMES}
    if bundle is None:
        return env
    for name in LOADER_VARIABLES + BUNDLE_PATH_VARIABLES:
        key = _find(env, name, platform)
        original = _find(env, name + ORIG_SUFFIX, platform)
        if original is not None:
            if key is not None:
                del env[key]
            env[key or name] = env.pop(original)
        elif key is not None:
            # Without a copy the user had none: the bundle's entries go (the bootloader's is
            # the bundle folder itself), and a value restored before stays (idempotent).
            kept = _without_bundle(env[key], bundle, platform)
            if kept:
                env[key] = kept
            else:
                del env[key]
    return env


def app_environment(environ: Mapping[str, str], bundle: str | None,
                    platform: str = sys.platform) -> dict[str, str]:
    """For the app started by ``pop`` (or to show a start-up failure): the user's environment,
    and for a bundle the bootloader's switch that makes it a new top-level instance."""
    env = child_environment(environ, bundle, platform)
    if bundle is not None:
        env[RESET_VARIABLE] = "1"
    return env


def for_children() -> dict[str, str]:
    """This process's environment as a program it starts should get it."""
    return child_environment(os.environ, bundle_dir())


def restore_user_environment() -> None:
    """Give ``os.environ`` back its user values, once Qt has read what it needs.

    From then on whatever the process starts without saying so (Qt's ``xdg-open`` for a URL,
    a library's helper) sees the user's environment. The loader variables were read at
    process start and Qt's plugin paths when the application was made: the app itself keeps
    working with its bundle.
    """
    wanted = for_children()
    for name in [name for name in os.environ if name not in wanted]:
        del os.environ[name]
    for name, value in wanted.items():
        if os.environ.get(name) != value:
            os.environ[name] = value
