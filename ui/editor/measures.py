"""帮扶措施: the household's measures, and a dialog to add or change one with the fields of its kind
(小额信贷, 危房改造, 易地搬迁, 公益岗位, 教育资助, 健康帮扶). Applied when the household is saved."""

from __future__ import annotations

from collections.abc import Callable

from fupin_desktop.errors import InvalidInput
from fupin_desktop.services.edit_state import MeasureEdit, column_label, detail_table, editable, new_measure

from ..errors import show_exception
from ..qt import (
    QAbstractItemView, QComboBox, QGroupBox, QHBoxLayout, QHeaderView, QPushButton, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget, QDialog,
)
from .fields import grid, make_field
from .member_dialogs import scrolled_form

KINDS = {"": "（无）", "loan": "小额信贷", "housing": "危房改造", "relocation": "易地搬迁", "public_post": "公益岗位",
         "education": "教育资助", "health": "健康帮扶"}
KIND_OF_CATEGORY = {"金融帮扶": "loan", "金融扶贫": "loan", "住房安全保障": "housing", "危房改造": "housing",
                    "搬迁": "relocation", "易地扶贫搬迁": "relocation", "公益岗位帮扶": "public_post",
                    "公益岗位": "public_post", "义务教育保障": "education", "其他教育帮扶": "education",
                    "教育扶贫": "education", "健康帮扶": "health", "健康扶贫": "health"}
SHOWN = ("year", "category", "subcategory", "name", "amount", "status")


class MeasureDialog(QDialog):
    def __init__(self, parent: QWidget, ms: MeasureEdit, year: int, members: list[tuple[str, str]]) -> None:
        super().__init__(parent, objectName="measureDialog")
        self.ms, self.year = ms, year
        self.setWindowTitle("帮扶措施" if not ms.new else "添加帮扶措施")
        inner = QWidget()
        self.layout_ = QVBoxLayout(inner)
        self.fields: dict[str, QWidget] = {}
        items = []
        for name in editable("measure", keep=("year", "member_id")):
            if name == "member_id":
                field: QWidget = QComboBox(objectName="member_id")
                field.addItem("（全户）", "")
                for key, person in members:
                    field.addItem(person, key)
                field.setCurrentIndex(max(0, field.findData(ms.fields.get("member_id", ""))))
            else:
                field = make_field("measure", name, year)
                field.set_value(ms.fields.get(name, ""))
            self.fields[name] = field
            items.append((column_label("measure", name), field))
        self.kind = QComboBox(objectName="measureKind")
        for key, text in KINDS.items():
            self.kind.addItem(text, key)
        self.kind.setCurrentIndex(max(0, self.kind.findData(ms.kind or "")))
        self.kind.setEnabled(ms.new)  # a saved measure keeps its kind
        items.insert(3, ("明细类型", self.kind))
        box = QGroupBox("措施")
        QVBoxLayout(box).addWidget(grid(items))
        self.layout_.addWidget(box)
        self.detail_box: QGroupBox | None = None
        self.detail: dict[str, QWidget] = {}
        self.kind.currentIndexChanged.connect(lambda _i: self._show_detail())
        self.fields["category"].changed.connect(self._category_changed)
        self._show_detail()
        self.layout_.addStretch(1)
        scrolled_form(self, inner, 900, 700)
        self.fields["year"].setFocus()

    def _category_changed(self, text: str) -> None:
        kind = KIND_OF_CATEGORY.get(text.strip())
        if self.ms.new and kind and not self.kind.currentData():
            self.kind.setCurrentIndex(self.kind.findData(kind))

    def _show_detail(self) -> None:
        if self.detail_box is not None:
            self.detail_box.setParent(None)
            self.detail_box.deleteLater()
        self.detail_box, self.detail = None, {}
        kind = self.kind.currentData()
        if not kind:
            return
        table = detail_table(kind)
        for name in editable(table):
            self.detail[name] = make_field(table, name, self.year)
            self.detail[name].set_value(self.ms.detail.get(name, "") if kind == self.ms.kind else "")
        self.detail_box = QGroupBox(f"{KINDS[kind]}明细")
        QVBoxLayout(self.detail_box).addWidget(grid([(column_label(table, n), f) for n, f in self.detail.items()]))
        self.layout_.insertWidget(1, self.detail_box)

    def accept(self) -> None:
        values = {n: (f.currentData() if n == "member_id" else f.value()) for n, f in self.fields.items()}
        try:
            if not values["year"].isdigit():
                raise InvalidInput("请填写措施的年度（如 2024）。", field="年度")
            if not values["category"]:
                raise InvalidInput("请选择措施大类。", field="措施大类")
        except InvalidInput as err:
            show_exception(self, err)
            return
        self.ms.fields = values
        self.ms.kind = self.kind.currentData() or None
        self.ms.detail = {n: f.value() for n, f in self.detail.items()}
        super().accept()


class MeasuresTab(QWidget):
    def __init__(self, year: int, changed: Callable[[], None], members: Callable[[], list[tuple[str, str]]]) -> None:
        super().__init__()
        self.year, self.changed, self.members = year, changed, members
        self.rows: list[MeasureEdit] = []
        layout = QVBoxLayout(self)
        self.table = QTableWidget(0, len(SHOWN) + 2, objectName="measuresTable")
        self.table.setHorizontalHeaderLabels([column_label("measure", n) for n in SHOWN] + ["受益成员", "明细"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.activated.connect(lambda index: self.edit(index.row()))
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        for text, slot, name in (("添加措施(&A)…", self.add, "addMeasure"),
                                 ("修改所选(&E)… (Enter)", lambda: self.edit(self.table.currentRow()), "editMeasure"),
                                 ("删除所选(&D)", lambda: self.remove(self.table.currentRow()), "removeMeasure")):
            button = QPushButton(text, objectName=name)
            button.clicked.connect(slot)
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)

    def load(self, rows: list[MeasureEdit]) -> None:
        self.rows = rows
        names = dict(self.members())
        self.table.setRowCount(len(rows))
        for r, ms in enumerate(rows):
            values = [ms.fields.get(n, "") for n in SHOWN]
            values += [names.get(ms.fields.get("member_id", ""), ""), KINDS[ms.kind] if ms.kind else ""]
            for c, text in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(text + ("（未保存）" if c == 0 and ms.new else "")))

    def add(self) -> None:
        ms = new_measure(self.year)
        self._open(ms, adding=True)

    def edit(self, row: int) -> None:
        if 0 <= row < len(self.rows):
            self._open(self.rows[row], adding=False)

    def remove(self, row: int) -> None:
        """Out of the list now; deleted from the store (and logged, and synced) when the household is saved."""
        if 0 <= row < len(self.rows):
            del self.rows[row]
            self.load(self.rows)
            self.table.setFocus()
            if self.rows:
                self.table.selectRow(min(row, len(self.rows) - 1))
            self.changed()

    def _open(self, ms: MeasureEdit, *, adding: bool) -> None:
        dialog = MeasureDialog(self, ms, self.year, self.members())
        dialog.accepted.connect(lambda: self._done(ms, adding))
        dialog.open()

    def _done(self, ms: MeasureEdit, adding: bool) -> None:
        if adding:
            self.rows.append(ms)
        self.load(self.rows)
        self.table.setFocus()
        self.table.selectRow(self.rows.index(ms))
        self.changed()
