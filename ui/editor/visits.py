"""走访记录: date, content and photos. Photos are read from disk when chosen and kept in memory; on
save they go into the encrypted store (never copied as loose files). A draft remembers where a
photo came from, not its bytes, so a restored draft reads the file again."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from fupin_desktop.errors import InvalidInput
from fupin_desktop.services.edit_state import PhotoRef, Texts, VisitEdit, column_label, new_id, to_text, visit_texts
from fupin_desktop.values import parse_date

from ..errors import show_exception
from ..qt import (
    QAbstractItemView, QComboBox, QDialog, QFileDialog, QGroupBox, QHBoxLayout, QHeaderView, QPlainTextEdit,
    QPushButton, QSplitter, Qt, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)
from .fields import button_row, grid, make_field
from .member_dialogs import scrolled_form
from .photos import PhotoStrip


def read_file(path: str, then: Callable[[bytes | None], None]) -> None:
    try:
        then(Path(path).read_bytes())
    except OSError:
        then(None)

SHOWN = ("visited_on", "visit_type", "content", "problems", "follow_up")
LONG = ("content", "problems", "needs", "follow_up")
ORDER = ("visited_on", "visit_type", "helper_id", "content", "problems", "needs", "follow_up", "gps", "signed")
MAX_PHOTO_BYTES = 20 * 1024 * 1024


def read_photo(path: str) -> tuple[str, bytes, str]:
    p = Path(path)
    data = p.read_bytes()
    if len(data) > MAX_PHOTO_BYTES:
        raise InvalidInput(f"照片“{p.name}”太大（超过 20 MB），请先缩小后再添加。", field="照片")
    return p.name, data, mimetypes.guess_type(p.name)[0] or "application/octet-stream"


def reread(visit: VisitEdit) -> list[tuple[str, bytes, str]]:
    """The photos of a visit from a draft; those gone from disk since are dropped from the visit."""
    found, kept = [], []
    for photo in visit.photos:
        try:
            found.append(read_photo(photo.path))
            kept.append(photo)
        except (OSError, InvalidInput):
            continue
    visit.photos = kept
    return found


class TextBox(QPlainTextEdit):
    """A multi-line field with the field interface (Tab leaves it instead of typing a tab)."""

    def __init__(self, name: str) -> None:
        super().__init__(objectName=name)
        self.setTabChangesFocus(True)
        self.setFixedHeight(80)
        self.changed = self.textChanged

    def value(self) -> str:
        return self.toPlainText().strip()

    def set_value(self, text: str) -> None:
        self.setPlainText(text)


class HelperChoice(QComboBox):
    def __init__(self, helpers: list[tuple[str, str]]) -> None:
        super().__init__(objectName="helper_id")
        self.addItem("（未填）", "")
        for helper_id, name in helpers:
            self.addItem(name, helper_id)

    def value(self) -> str:
        return self.currentData() or ""


class VisitDialog(QDialog):
    """A new visit, or (``values`` given) the fields of one to change; photos are added to new ones."""

    def __init__(self, parent: QWidget, helpers: list[tuple[str, str]], values: Texts | None = None) -> None:
        super().__init__(parent, objectName="visitDialog")
        self.setWindowTitle("添加走访记录" if values is None else "修改走访记录")
        self.result_: VisitEdit | None = None
        self.photos: list[tuple[str, bytes, str]] = []
        self.paths: list[str] = []
        inner = QWidget()  # in a scroll area: the dialog fits a 1366×768 screen at 125 %
        layout = QVBoxLayout(inner)
        self.fields: dict[str, Any] = {}
        for name in ORDER:
            if name == "helper_id":
                self.fields[name] = HelperChoice(helpers)
            else:
                self.fields[name] = TextBox(name) if name in LONG else make_field("visit", name)
        self.fields["visited_on"].set_value(date.today().isoformat())
        for name, text in (values or {}).items():
            field = self.fields.get(name)
            if isinstance(field, HelperChoice):
                field.setCurrentIndex(max(0, field.findData(text)))
            elif field is not None:
                field.set_value(text)
        layout.addWidget(grid([(column_label("visit", n), f) for n, f in self.fields.items()]))
        box = QGroupBox("照片（保存在加密数据库中）")
        box.setVisible(values is None)
        row = QHBoxLayout(box)
        self.photo_list = PhotoStrip(read_file)
        self.photo_list.setObjectName("visitPhotos")
        row.addWidget(self.photo_list, 1)
        add = QPushButton("添加照片(&P)…", objectName="addPhotos")
        add.clicked.connect(self.choose_photos)
        row.addWidget(add)
        layout.addWidget(box)
        scrolled_form(self, inner, 820, 640)
        self.fields["visited_on"].setFocus()

    def choose_photos(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "选择照片", "",
                                                "图片 (*.jpg *.jpeg *.png *.bmp *.gif);;所有文件 (*)")
        self.add_photos(paths)

    def add_photos(self, paths: list[str]) -> None:
        for path in paths:
            try:
                self.photos.append(read_photo(path))
            except (OSError, InvalidInput) as err:
                show_exception(self, err if isinstance(err, InvalidInput) else InvalidInput(f"无法读取照片：{path}"))
                continue
            self.paths.append(path)
        self.photo_list.show_photos([(p, Path(p).name) for p in self.paths],
                                    {p: data for p, (_f, data, _m) in zip(self.paths, self.photos)})

    def accept(self) -> None:
        values = {n: f.value() for n, f in self.fields.items()}
        try:
            if parse_date(values["visited_on"], "走访时间") is None:
                raise InvalidInput("请填写走访时间。", field="走访时间")
        except InvalidInput as err:
            show_exception(self, err)
            return
        photos = [PhotoRef(f, p, m) for (f, _d, m), p in zip(self.photos, self.paths)]
        self.result_ = VisitEdit(new_id(), values, photos)
        super().accept()


class VisitsTab(QWidget):
    def __init__(self, changed: Callable[[], None], load_photo: Callable[[str, Callable[[bytes], None]], None]) -> None:
        super().__init__()
        self.changed, self.load_photo = changed, load_photo
        self.helpers: list[tuple[str, str]] = []  # (id, name) of the household's helpers
        self.saved: list[dict[str, Any]] = []
        self.photos: dict[str, list[dict[str, Any]]] = {}
        self.pending: list[VisitEdit] = []
        self.pending_bytes: dict[str, list[tuple[str, bytes, str]]] = {}
        self.rows: list[tuple[dict[str, Any], bool]] = []
        layout = QVBoxLayout(self)
        split = QSplitter(Qt.Orientation.Vertical)
        self.table = QTableWidget(0, len(SHOWN) + 1, objectName="visitsTable")
        self.table.setHorizontalHeaderLabels([column_label("visit", n) for n in SHOWN] + ["照片"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.currentCellChanged.connect(lambda r, *_: self._show_photos(r))
        split.addWidget(self.table)
        self.photo_list = PhotoStrip(self._fetch)
        split.addWidget(self.photo_list)
        layout.addWidget(split, 1)
        row = button_row("添加走访记录(&V)…", self.add, "addVisit", "选中一条记录可看到它的照片，按 Enter 打开照片。"
                         "修改和删除在保存（Ctrl+S）后生效。")
        for text, slot, name in (("修改所选(&E)…", self.edit_current, "editVisit"),
                                 ("删除所选(&D)", self.remove_current, "removeVisit")):
            button = QPushButton(text, objectName=name)
            button.clicked.connect(slot)
            row.insertWidget(1 if name == "editVisit" else 2, button)
        layout.addLayout(row)
        self.changes: dict[str, Texts] = {}  # saved visit id → its fields as edited
        self.removed: list[str] = []  # saved visits to delete on save

    def load(self, saved: list[dict[str, Any]], photos: dict[str, list[dict[str, Any]]],
             pending: list[VisitEdit], changes: dict[str, Texts] | None = None,
             removed: list[str] | None = None) -> None:
        self.saved, self.photos, self.pending = saved, photos, pending
        if changes is not None:
            self.changes, self.removed = changes, removed or []
        # What is shown: saved visits as edited, less those to delete.
        saved = [{**v, **self.changes.get(v["id"], {})} for v in saved if v["id"] not in self.removed]
        for visit in pending:  # a restored draft: read the photos again from where they were chosen
            if visit.key not in self.pending_bytes:
                self.pending_bytes[visit.key] = reread(visit)
        rows = [(v, False) for v in pending] + [(v, True) for v in sorted(saved, key=lambda v: to_text(
            v.get("visited_on")), reverse=True)]
        self.table.setRowCount(len(rows))
        self.rows = rows
        for r, (visit, is_saved) in enumerate(rows):
            values = visit if is_saved else visit.fields
            count = len(photos.get(visit["id"], [])) if is_saved else len(visit.photos)
            for c, name in enumerate(SHOWN):
                text = to_text(values.get(name)).replace("\n", " ")
                self.table.setItem(r, c, QTableWidgetItem(text + ("（未保存）" if c == 0 and not is_saved else "")))
            self.table.setItem(r, len(SHOWN), QTableWidgetItem(f"{count} 张" if count else ""))

    def _show_photos(self, r: int) -> None:
        if not 0 <= r < len(self.rows):
            self.photo_list.show_photos([])
            return
        visit, is_saved = self.rows[r]
        if is_saved:
            self.photo_list.show_photos([(p["id"], p["filename"] or "照片") for p in self.photos.get(visit["id"], [])])
        else:  # chosen but not saved: the bytes are in memory already
            known = {p.path: data for p, (_f, data, _m) in zip(visit.photos, self.pending_bytes.get(visit.key, []))}
            self.photo_list.show_photos([(p.path, p.filename) for p in visit.photos], known)

    def _fetch(self, ref: str, then: Callable[[bytes | None], None]) -> None:
        self.load_photo(ref, then)

    def edit_current(self) -> None:
        r = self.table.currentRow()
        if not 0 <= r < len(self.rows):
            return
        visit, is_saved = self.rows[r]
        values = visit_texts(visit) if is_saved else dict(visit.fields)
        dialog = VisitDialog(self, self.helpers, values)
        dialog.accepted.connect(lambda: self._edited(visit, is_saved, dialog))
        dialog.open()

    def _edited(self, visit: Any, is_saved: bool, dialog: VisitDialog) -> None:
        values = dialog.result_.fields
        if is_saved:
            if values != visit_texts(next(v for v in self.saved if v["id"] == visit["id"])):
                self.changes[visit["id"]] = values
            else:
                self.changes.pop(visit["id"], None)
        else:
            visit.fields = values
        self.load(self.saved, self.photos, self.pending)
        self.changed()

    def remove_current(self) -> None:
        r = self.table.currentRow()
        if not 0 <= r < len(self.rows):
            return
        visit, is_saved = self.rows[r]
        if is_saved:
            self.removed.append(visit["id"])
            self.changes.pop(visit["id"], None)
        else:
            self.pending.remove(visit)
            self.pending_bytes.pop(visit.key, None)
        self.load(self.saved, self.photos, self.pending)
        self.changed()

    def add(self) -> None:
        dialog = VisitDialog(self, self.helpers)
        dialog.accepted.connect(lambda: self._added(dialog))
        dialog.open()

    def _added(self, dialog: VisitDialog) -> None:
        visit = dialog.result_
        self.pending_bytes[visit.key] = dialog.photos
        self.pending.insert(0, visit)
        self.load(self.saved, self.photos, self.pending)
        self.changed()

