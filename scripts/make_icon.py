"""Draws the program's icon and writes resources/icons/fupin.ico (16–256 px, for the .exe and the windows)
and fupin.png (256 px). Run again after changing the design:
    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/make_icon.py

The .ico holds one PNG per size (Windows Vista and later read those); small sizes are drawn at their
own size, not scaled down from 256, so the character stays legible on the taskbar.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QImage, QPainter, QPainterPath

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from fupin_desktop.fonts import ui_font_candidates  # noqa: E402

SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)
RED = QColor("#b8262b")  # the red of a government seal
GOLD = QColor("#f7d774")


def draw(size: int, family: str) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    margin = max(0.5, size / 32)
    box = QRectF(margin, margin, size - 2 * margin, size - 2 * margin)
    path = QPainterPath()
    path.addRoundedRect(box, size * 0.18, size * 0.18)
    p.fillPath(path, RED)
    if size >= 32:  # a thin gold frame, like a folder's label; lost in the noise below 32 px
        p.setPen(GOLD)
        inner = box.adjusted(size * 0.07, size * 0.07, -size * 0.07, -size * 0.07)
        p.drawRoundedRect(inner, size * 0.1, size * 0.1)
    font = QFont(family)
    font.setPixelSize(round(size * (0.66 if size >= 32 else 0.78)))
    font.setBold(True)
    p.setFont(font)
    p.setPen(QColor("white"))
    p.drawText(box, Qt.AlignmentFlag.AlignCenter, "档")
    p.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def ico(images: list[tuple[int, bytes]]) -> bytes:
    """An ICO container of PNG images: header, one directory entry per image, then the images."""
    out = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    for size, png in images:
        side = 0 if size >= 256 else size  # 0 means 256 in an ICO directory
        out += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset)
        offset += len(png)
    return out + b"".join(png for _size, png in images)


def main() -> None:
    app = QGuiApplication(sys.argv[:1])
    family = ""
    for path in ui_font_candidates():
        families = QFontDatabase.applicationFontFamilies(QFontDatabase.addApplicationFont(str(path)))
        if families:
            family = families[0]
            break
    images = [(size, png_bytes(draw(size, family))) for size in SIZES]
    out = ROOT / "resources" / "icons"
    out.mkdir(parents=True, exist_ok=True)
    (out / "fupin.ico").write_bytes(ico(images))
    (out / "fupin.png").write_bytes(images[-1][1])
    print(f"{out / 'fupin.ico'}: {len(SIZES)} sizes, font {family or '(none)'}")
    del app


if __name__ == "__main__":
    main()
