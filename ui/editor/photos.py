"""Visit photos as thumbnails, and a viewer that steps through a visit's photos.

Thumbnails are decoded at their small size (QImageReader scales while decoding a JPEG), so a strip
of phone photos of several MB each stays quick; a photo's bytes are fetched from the store once and
kept while the editor is open."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize  # not in ui/qt.py (only the editor shows images)
from PySide6.QtGui import QImageReader, QKeyEvent, QPixmap

from ..qt import (
    QAbstractItemView, QDialog, QHBoxLayout, QIcon, QImage, QLabel, QListWidget, QListWidgetItem,
    QPushButton, QSizePolicy, Qt, QVBoxLayout, QWidget,
)

THUMB = QSize(160, 120)
Fetch = Callable[[str, Callable[[bytes | None], None]], None]  # (attachment id or file path, then) → bytes


def decode(data: bytes | None, size: QSize | None = None) -> QImage:
    """The image in ``data`` (turned upright as the camera recorded it), scaled to fit ``size`` if given."""
    if not data:
        return QImage()
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)
    if size is not None and reader.size().isValid():
        reader.setScaledSize(reader.size().scaled(size, Qt.AspectRatioMode.KeepAspectRatio))
    return reader.read()


class PhotoStrip(QListWidget):
    """A visit's photos as thumbnails; Enter or a double click opens the viewer at that photo."""

    def __init__(self, fetch: Fetch) -> None:
        super().__init__(objectName="photoList")
        self.fetch = fetch
        self.data: dict[str, bytes | None] = {}  # ref → bytes, fetched once
        self.thumbs: dict[str, QIcon] = {}
        self.viewer: PhotoViewer | None = None
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setIconSize(THUMB)
        self.setGridSize(QSize(THUMB.width() + 24, THUMB.height() + 36))
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setMovement(QListWidget.Movement.Static)
        self.setWordWrap(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setMinimumHeight(THUMB.height() + 48)
        self.itemActivated.connect(lambda item: self.open_viewer(self.row(item)))

    def show_photos(self, photos: list[tuple[str, str]], known: dict[str, bytes] | None = None) -> None:
        """``photos``: (ref, file name); ``known``: bytes already in memory (photos of a visit not yet saved)."""
        self.clear()
        self.data.update(known or {})
        for ref, name in photos:
            item = QListWidgetItem(self.thumbs.get(ref, QIcon()), name)
            item.setData(Qt.ItemDataRole.UserRole, ref)
            item.setToolTip(f"{name}（Enter 或双击查看大图）")
            item.setSizeHint(self.gridSize())
            self.addItem(item)
            if ref not in self.thumbs:
                self.with_data(ref, lambda data, ref=ref: self._thumb(ref, data))

    def refs(self) -> list[tuple[str, str]]:
        return [(self.item(i).data(Qt.ItemDataRole.UserRole), self.item(i).text()) for i in range(self.count())]

    def with_data(self, ref: str, then: Callable[[bytes | None], None]) -> None:
        if ref in self.data:
            then(self.data[ref])
            return

        def got(data: bytes | None) -> None:
            self.data[ref] = data
            then(data)
        self.fetch(ref, got)

    def _thumb(self, ref: str, data: bytes | None) -> None:
        image = decode(data, THUMB)
        self.thumbs[ref] = QIcon(QPixmap.fromImage(image)) if not image.isNull() else QIcon()
        for i in range(self.count()):
            item = self.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == ref:
                item.setIcon(self.thumbs[ref])
                if image.isNull():
                    item.setText(f"{item.text()}\n（无法显示）")

    def open_viewer(self, row: int) -> None:
        if 0 <= row < self.count():
            self.viewer = PhotoViewer(self, self.refs(), row, self.with_data)
            self.viewer.open()


class PhotoViewer(QDialog):
    """One photo at a time, fitted to the window; ← → (or the buttons) step through the visit's photos."""

    def __init__(self, parent: QWidget, photos: list[tuple[str, str]], start: int,
                 with_data: Callable[[str, Callable[[bytes | None], None]], None]) -> None:
        super().__init__(parent, objectName="photoViewer")
        self.photos, self.index, self.with_data = photos, start, with_data
        self.image = QImage()
        layout = QVBoxLayout(self)
        self.picture = QLabel(objectName="photoPicture", alignment=Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(320, 240)
        # Ignored: the pixmap follows the window's size, never the other way round.
        self.picture.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        layout.addWidget(self.picture, 1)
        bar = QHBoxLayout()
        self.previous = QPushButton("← 上一张", objectName="previousPhoto")
        self.next = QPushButton("下一张 →", objectName="nextPhoto")
        self.counter = QLabel(objectName="photoCounter", alignment=Qt.AlignmentFlag.AlignCenter)
        close = QPushButton("关闭", objectName="closePhoto")
        self.previous.clicked.connect(lambda _c=False: self.step(-1))
        self.next.clicked.connect(lambda _c=False: self.step(1))
        close.clicked.connect(self.reject)
        for widget, stretch in ((self.previous, 0), (self.counter, 1), (self.next, 0), (close, 0)):
            bar.addWidget(widget, stretch)
        layout.addLayout(bar)
        self.resize(1000, 700)
        self.show_current()

    def step(self, by: int) -> None:
        wanted = self.index + by
        if 0 <= wanted < len(self.photos):
            self.index = wanted
            self.show_current()

    def show_current(self) -> None:
        ref, name = self.photos[self.index]
        self.setWindowTitle(f"照片 — {name}")
        self.counter.setText(f"{name}　第 {self.index + 1} 张，共 {len(self.photos)} 张")
        self.previous.setEnabled(self.index > 0)
        self.next.setEnabled(self.index < len(self.photos) - 1)
        self.picture.setText("正在读取……")
        index = self.index
        self.with_data(ref, lambda data: self._loaded(index, data))

    def _loaded(self, index: int, data: bytes | None) -> None:
        if index != self.index:  # the person stepped on while it was being read
            return
        self.image = decode(data)
        self._fit()

    def _fit(self) -> None:
        if self.image.isNull():
            self.picture.setPixmap(QPixmap())
            self.picture.setText("无法显示这张照片（文件损坏或不是图片）。")
            return
        room = self.picture.size()
        shown = self.image.scaled(room, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
        self.picture.setPixmap(QPixmap.fromImage(shown))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        steps = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_PageUp: -1, Qt.Key.Key_PageDown: 1}
        if event.key() in steps:
            self.step(steps[event.key()])
        else:
            super().keyPressEvent(event)

    def resizeEvent(self, event: object) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if not self.image.isNull():
            self._fit()
