"""Run-time hook: tell Qt where the bundle's plugins are, without importing Qt.

Replaces PyInstaller's stock ``pyi_rth_pyside6``, which imports ``PySide6.QtCore`` at every
start: ``screenpop pop``/``state``/``lookup`` (run on every call) would load Qt and, on Linux,
37 MB of ICU for nothing. The PySide6 wheel makes Qt relocatable itself (an embedded qt.conf
when ``PySide6`` is imported), so the plugin folder is all Qt needs from us; the app never
uses QML. The user's own value is kept as QT_PLUGIN_PATH_ORIG (as the bootloader keeps
LD_LIBRARY_PATH_ORIG): what the app starts gets it back (app/core/child_env.py), and a user
who had none gets none.
"""

import os
import sys

_qt_dir = os.path.join(sys._MEIPASS, "PySide6")  # type: ignore[attr-defined]
if not sys.platform.startswith("win"):
    _qt_dir = os.path.join(_qt_dir, "Qt")
_user_value = os.environ.get("QT_PLUGIN_PATH")
if _user_value is not None:
    os.environ["QT_PLUGIN_PATH_ORIG"] = _user_value
else:  # none from an earlier bundle either: child_env would "restore" it
    os.environ.pop("QT_PLUGIN_PATH_ORIG", None)
os.environ["QT_PLUGIN_PATH"] = os.path.join(_qt_dir, "plugins")
del _user_value
del _qt_dir
