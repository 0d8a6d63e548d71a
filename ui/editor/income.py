"""收入核算 by year: line items and the live per-capita net income against the year's 监测 line."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from fupin_desktop.services.edit_state import (
    INCOME_CATEGORIES as CATEGORIES, INCOME_FIELDS, IncomeEdit, IncomeLineEdit, column_label, income_edit, new_id,
)
from fupin_desktop.reference import load_income_items

from ..qt import (
    QComboBox, QFrame, QGridLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QShortcut, Qt,
    QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)
from .cells import edit_cell, setup_table
from .fields import CodeField, grid, make_field, on_change
from fupin_desktop.income import counts_by_default
from fupin_desktop.services.editing import income_figures, income_standing

HEADERS = ["类别", "项目", "金额(元)", "说明", "计入收入"]
CATEGORY, ITEM, AMOUNT, NOTE, COUNTS = range(5)
KEYS = {CATEGORY: "category", ITEM: "item", AMOUNT: "amount", NOTE: "note"}
RED, GREEN = "#c62828", "#2e7d32"


def yuan(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f} 元"


def items_of(category: str) -> list[tuple[str, bool]]:
    return [(name, counts) for name, counts in load_income_items()["categories"].get(category, [])]


class IncomeTab(QWidget):
    def __init__(self, year: int, changed: Callable[[], None], population: Callable[[int], int | None],
                 reference: Callable[[int], Any]) -> None:
        super().__init__()
        # reference(year) -> IncomeReference (line, adds_claims, upper) or None: reference data of the year
        self.changed, self.population, self.reference = changed, population, reference
        self.years: dict[str, dict[str, Any]] = {}
        self.baseline_years: set[str] = set()
        self.current = str(year)
        self._filling = False
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("核算年度："))
        self.year_box = QComboBox(objectName="incomeYear")
        self.year_box.currentTextChanged.connect(self._switch_year)
        top.addWidget(self.year_box)
        top.addStretch(1)
        layout.addLayout(top)
        self.fields = {}
        for name in INCOME_FIELDS:
            field = make_field("income_year", name, year, object_name=f"income_{name}")
            on_change(field, self._fields_changed)
            self.fields[name] = field
        layout.addWidget(grid([(column_label("income_year", n), f) for n, f in self.fields.items()], pairs=3))
        self.table = QTableWidget(0, len(HEADERS), objectName="incomeLines")
        self.table.setHorizontalHeaderLabels(HEADERS)
        setup_table(self.table, self)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.itemChanged.connect(self._item_changed)
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        for text, slot, name in (("添加明细 (Insert)", self.add_line, "addIncomeLine"),
                                 ("删除所选明细 (Delete)", self.remove_line, "removeIncomeLine")):
            button = QPushButton(text, objectName=name)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        QShortcut(Qt.Key.Key_Insert, self.table, self.add_line, context=Qt.ShortcutContext.WidgetShortcut)
        QShortcut(Qt.Key.Key_Delete, self.table, self.remove_line, context=Qt.ShortcutContext.WidgetShortcut)
        layout.addWidget(self._summary())

    def _summary(self) -> QFrame:
        frame = QFrame(objectName="incomeSummary")
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        lay = QGridLayout(frame)
        self.labels: dict[str, QLabel] = {}
        for i, (key, title) in enumerate((("incomeTotal", "家庭年收入"), ("incomeExpense", "生产经营性支出"),
                                          ("incomeNet", "家庭年纯收入"), ("incomePerCapita", "人均纯收入"),
                                          ("incomeThreshold", "监测范围"), ("incomeDiff", "与监测范围相差"),
                                          ("incomeRigid", "刚性支出"), ("incomeAfterRigid", "扣除刚性支出后人均收入"),
                                          ("incomeRange", "收入参考范围"))):
            self.labels[key] = QLabel(objectName=key)
            self.labels[key].setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            lay.addWidget(QLabel(title + "："), i // 3, (i % 3) * 2, Qt.AlignmentFlag.AlignRight)
            lay.addWidget(self.labels[key], i // 3, (i % 3) * 2 + 1)
        big = self.labels["incomePerCapita"].font()
        big.setBold(True)
        big.setPointSizeF(big.pointSizeF() * 1.15)
        for key in ("incomePerCapita", "incomeDiff", "incomeAfterRigid"):
            self.labels[key].setFont(big)
        return frame

    # ---- years -----------------------------------------------------------------------------
    def load(self, incomes: dict[int, IncomeEdit], year: int) -> None:
        self.years = {str(y): inc for y, inc in incomes.items()}  # keyed as the year box shows them
        self.baseline_years = set(self.years)
        choices = sorted({*self.years, str(year), str(year - 1)}, reverse=True)
        self.year_box.blockSignals(True)
        self.year_box.clear()
        self.year_box.addItems(choices)
        self.year_box.setCurrentText(self.current if self.current in choices else str(year))
        self.year_box.blockSignals(False)
        self._switch_year(self.year_box.currentText())

    def state(self) -> dict[int, IncomeEdit]:
        """Years with something in them, and every year that was there when loaded."""
        return {int(y): inc for y, inc in self.years.items() if y in self.baseline_years or not inc.empty()}

    def _income(self) -> IncomeEdit:
        return self.years.setdefault(self.current, income_edit(None))

    def _switch_year(self, text: str) -> None:
        if not text:
            return
        self.current = text
        inc = self.years.get(text) or income_edit(None)
        self._filling = True
        for name, field in self.fields.items():
            field.set_value(inc.fields.get(name, ""))
        self.table.setRowCount(len(inc.lines))
        for r, line in enumerate(inc.lines):
            self._fill_row(r, line)
        self._filling = False
        self.refresh()

    def _fill_row(self, r: int, line: IncomeLineEdit) -> None:
        for c, key in KEYS.items():
            item = QTableWidgetItem(getattr(line, key))
            if c == AMOUNT:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(r, c, item)
        counts = QTableWidgetItem("")
        counts.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable)
        counts.setCheckState(Qt.CheckState.Unchecked if line.counts == "否" else Qt.CheckState.Checked)
        self.table.setItem(r, COUNTS, counts)

    # ---- editing ---------------------------------------------------------------------------
    def _fields_changed(self) -> None:
        if self._filling:
            return
        inc = self._income()
        inc.fields = {name: field.value() for name, field in self.fields.items()}
        self.refresh()
        self.changed()

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling:
            return
        line = self._income().lines[item.row()]
        if item.column() == COUNTS:
            line.counts = "是" if item.checkState() == Qt.CheckState.Checked else "否"
        else:
            setattr(line, KEYS[item.column()], item.text().strip())
            if item.column() == ITEM:
                self._default_counts(item.row(), line)
        self.refresh()
        self.changed()

    def _default_counts(self, r: int, line: IncomeLineEdit) -> None:
        """Some items (危房改造补助…) do not count as income by default: the core says which."""
        counts = counts_by_default(line.category, line.item)
        if counts is not None:
            line.counts = "是" if counts else "否"
            self._filling = True
            self.table.item(r, COUNTS).setCheckState(Qt.CheckState.Checked if counts else Qt.CheckState.Unchecked)
            self._filling = False

    def make_editor(self, parent: QWidget, index: Any) -> QWidget | None:
        if index.column() == CATEGORY:
            return CodeField("category", list(CATEGORIES))
        if index.column() == ITEM:
            category = self.table.item(index.row(), CATEGORY).text()
            return CodeField("item", [name for name, _c in items_of(category)])
        if index.column() == AMOUNT:
            editor = QLineEdit(parent)
            editor.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return editor
        return None

    def advance(self) -> None:
        r, c = self.table.currentRow(), self.table.currentColumn() + 1
        if c >= COUNTS:
            r, c = r + 1, CATEGORY
        if 0 <= r < self.table.rowCount():
            edit_cell(self.table, r, c)

    def add_line(self) -> None:
        inc = self._income()
        inc.lines.append(IncomeLineEdit(new_id()))
        self._filling = True
        self.table.setRowCount(len(inc.lines))
        self._fill_row(len(inc.lines) - 1, inc.lines[-1])
        self._filling = False
        self.table.setFocus()
        edit_cell(self.table, len(inc.lines) - 1, CATEGORY)
        self.changed()

    def remove_line(self) -> None:
        r = self.table.currentRow()
        inc = self._income()
        if 0 <= r < len(inc.lines):
            del inc.lines[r]
            self._switch_year(self.current)
            self.changed()

    def focus_line(self, year: str, line_id: str, column: str) -> None:
        if year in self.years:
            self.year_box.setCurrentText(year)
        ids = [ln.id for ln in self._income().lines]
        col = next((c for c, k in KEYS.items() if k == column), AMOUNT)
        self.table.setFocus()
        if line_id in ids:
            self.table.setCurrentCell(ids.index(line_id), col)
        elif column in self.fields:
            self.fields[column].setFocus()

    # ---- the live figures --------------------------------------------------------------------
    def refresh(self) -> None:
        inc = self.years.get(self.current) or income_edit(None)
        year = int(self.current)
        try:
            population = int(inc.fields.get("population") or 0) or self.population(year)
        except ValueError:
            population = self.population(year)
        figures = income_figures(inc, population)
        ref = self.reference(year)
        line = ref.line if ref is not None else None
        st = income_standing(inc, population, line, ref.adds_claims if ref is not None else True)
        self.labels["incomeTotal"].setText(yuan(figures["total_income"]))
        self.labels["incomeExpense"].setText(yuan(figures["business_expense"]))
        self.labels["incomeNet"].setText(yuan(figures["net_income"]))
        per_capita = figures["per_capita_net"]
        self.labels["incomePerCapita"].setText(f"{yuan(per_capita)}（{population or '?'} 人）")
        self.labels["incomeThreshold"].setText(f"{yuan(line)}（{year}年）" if line is not None else "本年度未设置")
        self.labels["incomeRigid"].setText(yuan(st.rigid) if st.rigid else "无")
        upper = ref.upper if ref is not None else None
        self.labels["incomeRange"].setText(
            f"不超过 {yuan(upper)}" if upper is not None else "—（非脱贫不稳定户/边缘易致贫户）")
        self._against(self.labels["incomeDiff"], per_capita, line)
        # the value and its gap to the same line, in few words: the window must fit 1366 pixels
        self._against(self.labels["incomeAfterRigid"], st.after_rigid if st.rigid else None, line, show_value=True)

    @staticmethod
    def _against(label: QLabel, value: Decimal | None, line: Decimal | None, show_value: bool = False) -> None:
        if line is None or value is None:
            label.setText("—")
            label.setStyleSheet("")
            return
        gap = value - line
        word = "高于" if gap >= 0 else "低于"
        label.setText(f"{yuan(value)}（{word} {yuan(abs(gap))}）" if show_value else f"{word}监测范围 {yuan(abs(gap))}")
        label.setStyleSheet(f"color: {GREEN if gap >= 0 else RED}")
