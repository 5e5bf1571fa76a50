"""Makes resources/icons/app.ico (Windows) and app.icns (macOS) from resources/icons/app.svg.

    uv run python packaging/make_icons.py        (rerun after changing app.svg; commit both)

Qt renders the SVG at each size; the two containers are written here (both are a header and
a list of PNG images), since Qt's ICO writer stores one size only. Every size is drawn from
the SVG itself, not scaled from a bigger picture, so the small ones stay crisp.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
ICO_SIZES = (16, 20, 24, 32, 40, 48, 64, 256)  # Explorer, taskbar, Start menu at 100–250 %
# icns entry types holding PNG data, by pixel size (Apple's "ic07".."ic14").
ICNS_TYPES = ((b"ic11", 32), (b"ic12", 64), (b"ic07", 128), (b"ic13", 256), (b"ic08", 256),
              (b"ic14", 512), (b"ic09", 512), (b"ic10", 1024))


def render_png(svg: Path, size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(str(svg)).render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """An ICO file of PNG images (Windows Vista and later read PNG entries at every size)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, images = b"", b""
    for size, png in sorted(pngs.items()):
        side = 0 if size >= 256 else size  # 0 means 256 in an ICO directory entry
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset)
        images += png
        offset += len(png)
    return header + entries + images


def icns(entries: list[tuple[bytes, bytes]]) -> bytes:
    body = b"".join(kind + struct.pack(">I", 8 + len(png)) + png for kind, png in entries)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication(sys.argv[:1])  # noqa: F841 - QPainter wants one alive
    svg = ICONS / "app.svg"
    sizes = sorted(set(ICO_SIZES) | {size for _, size in ICNS_TYPES})
    pngs = {size: render_png(svg, size) for size in sizes}
    (ICONS / "app.ico").write_bytes(ico({size: pngs[size] for size in ICO_SIZES}))
    (ICONS / "app.icns").write_bytes(icns([(kind, pngs[size]) for kind, size in ICNS_TYPES]))
    print(f"wrote {ICONS / 'app.ico'} and {ICONS / 'app.icns'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
