"""The Qt binding installed is one the app can live on all shift.

PySide6 6.12.0 under Python 3.11 releases a reference to None on every call of a void Qt method
(QTimer.start, QObject.deleteLater, ...). None is not immortal before Python 3.12, so after a
few thousand such calls the interpreter aborts with "none_dealloc" — the app died after about
8,000 `screenpop state` queries. pyproject.toml keeps that release out; this guards the pin.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QCoreApplication, QObject, QTimer

CALLS = 500


def test_void_qt_calls_leave_the_reference_count_of_none_alone(qapp: QCoreApplication) -> None:
    timer = QTimer()
    holder = QObject()
    before = sys.getrefcount(None)
    for _ in range(CALLS):
        timer.setInterval(5)
        timer.stop()
        holder.setObjectName("probe")
    drift = sys.getrefcount(None) - before
    # A healthy binding drifts by a handful at most (the interpreter's own bookkeeping);
    # the broken one by -3 per loop, i.e. -1500.
    assert abs(drift) < CALLS // 10, f"None's refcount drifted by {drift} over {CALLS} loops"
