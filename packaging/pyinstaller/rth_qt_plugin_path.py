"""Run-time hook: tell Qt where the bundle's plugins are, without importing Qt.

Replaces PyInstaller's stock ``pyi_rth_pyside6``, which imports ``PySide6.QtCore`` at every
start: ``screenpop pop``/``state``/``lookup`` (run on every call) would load Qt and, on Linux,
37 MB of ICU for nothing. The PySide6 wheel makes Qt relocatable itself (an embedded qt.conf
when ``PySide6`` is imported), so the plugin folder is all Qt needs from us; the app never
uses QML. What the app starts gets this variable removed again (app/core/child_env.py).
"""

import os
import sys

_qt_dir = os.path.join(sys._MEIPASS, "PySide6")  # type: ignore[attr-defined]
if not sys.platform.startswith("win"):
    _qt_dir = os.path.join(_qt_dir, "Qt")
os.environ["QT_PLUGIN_PATH"] = os.path.join(_qt_dir, "plugins")
del _qt_dir
