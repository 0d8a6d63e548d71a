"""冲突: a field changed on two devices since their common version. Both values side by side; a
person keeps one, and the decision travels back to the devices in their next acknowledgment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fupin_desktop.county.bundles import household_labels
from fupin_desktop.county.conflicts import list_conflicts, resolve_conflict

from ..errors import show_exception
from ..operations import Op
from ..qt import (
    QFont, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QSplitter, Qt, QVBoxLayout, QWidget, Signal,
)
from .tables import fill, make_table, selected_key
from .window import CountyContext

HEADERS = ("编号", "村代码", "户", "记录", "字段", "县里现有的值", "新到的值")
ENTITY_LABELS = {"household": "户", "member": "家庭成员", "household_year": "年度信息", "income_item": "收入",
                 "measure": "帮扶措施", "visit": "走访记录", "helper": "帮扶责任人"}


def shown(value: Any) -> str:
    return "（空）" if value in (None, "") else str(value)


class ConflictsTab(QWidget):
    counted = Signal(int)

    def __init__(self, ctx: CountyContext, *, on_changed: Callable[[], None]) -> None:
        super().__init__()
        self.ctx = ctx
        self.on_changed = on_changed
        self.count = 0
        self.conflicts: list[dict[str, Any]] = []
        self.households: dict[str, str] = {}  # household id → head's name and household number
        layout = QVBoxLayout(self)
        self.intro = QLabel(objectName="conflictsIntro", wordWrap=True)
        layout.addWidget(self.intro)
        self.result_label = QLabel(objectName="conflictResult")  # the last decision, without a box per conflict
        self.result_label.setStyleSheet("color: #2e7d32")
        layout.addWidget(self.result_label)
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.table = make_table(HEADERS, "conflictTable")
        self.table.itemSelectionChanged.connect(self._show_selected)
        splitter.addWidget(self.table)
        splitter.addWidget(self._side_by_side())
        splitter.setSizes([300, 260])
        layout.addWidget(splitter, 1)

    def _side_by_side(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        self.field_label = QLabel(objectName="conflictField")
        bold = QFont(self.font())
        bold.setBold(True)
        bold.setPointSize(bold.pointSize() + 2)
        self.field_label.setFont(bold)
        layout.addWidget(self.field_label)
        row = QHBoxLayout()
        self.county_box, self.county_value, self.county_device, self.keep_county = self._side(
            "县里现有的值", "保留县里的值", "keepCounty", "county")
        self.incoming_box, self.incoming_value, self.incoming_device, self.keep_incoming = self._side(
            "新到的值", "保留新到的值", "keepIncoming", "incoming")
        row.addWidget(self.county_box)
        row.addWidget(self.incoming_box)
        layout.addLayout(row)
        self.base_label = QLabel(objectName="conflictBase", wordWrap=True)
        self.base_label.setStyleSheet("color: #555")
        layout.addWidget(self.base_label)
        self._enable(False)
        return panel

    def _side(self, title: str, button_text: str, name: str,
              keep: str) -> tuple[QGroupBox, QLabel, QLabel, QPushButton]:
        box = QGroupBox(title)
        grid = QGridLayout(box)
        value = QLabel(objectName=f"{name}Value", wordWrap=True)
        big = QFont(self.font())
        big.setPointSize(big.pointSize() + 4)
        value.setFont(big)
        value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        device = QLabel()
        device.setStyleSheet("color: #555")
        button = QPushButton(button_text, objectName=name)
        button.clicked.connect(lambda: self.resolve_selected(keep))
        grid.addWidget(value, 0, 0)
        grid.addWidget(device, 1, 0)
        grid.addWidget(button, 2, 0, Qt.AlignmentFlag.AlignLeft)
        return box, value, device, button

    def _enable(self, on: bool) -> None:
        self.keep_county.setEnabled(on)
        self.keep_incoming.setEnabled(on)

    # ---- data ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        def load() -> tuple[list[dict[str, Any]], dict[str, str]]:
            conflicts = list_conflicts(self.ctx.engine)
            return conflicts, household_labels(self.ctx.engine, {c["household_id"] for c in conflicts})

        Op(self, load).success(self._show).run()

    def _show(self, result: tuple[list[dict[str, Any]], dict[str, str]]) -> None:
        conflicts, self.households = result
        self.conflicts = conflicts
        self.count = len(conflicts)
        self.intro.setText(f"有 {len(conflicts)} 处冲突等待处理：同一字段在两台设备上都改过。请核实后保留其中一个值，"
                           "决定会在下一份回执中送回各设备。" if conflicts else "没有待处理的冲突。")
        fill(self.table, [(c["id"], c["village_code"], self.households.get(c["household_id"], ""),
                           ENTITY_LABELS.get(c["entity"], c["entity"]), c["field_label"],
                           f"{shown(c['county_value'])}（{c['county_device']}）",
                           f"{shown(c['incoming_value'])}（{c['incoming_device']}）") for c in conflicts],
             [c["id"] for c in conflicts])
        if conflicts:
            self.table.selectRow(0)
        else:
            self._show_selected()
        self.counted.emit(self.count)

    def _selected(self) -> dict[str, Any] | None:
        key = selected_key(self.table)
        return next((c for c in self.conflicts if c["id"] == key), None)

    def _show_selected(self) -> None:
        c = self._selected()
        self._enable(c is not None)
        if c is None:
            for label in (self.field_label, self.county_value, self.county_device, self.incoming_value,
                          self.incoming_device, self.base_label):
                label.setText("")
            return
        household = self.households.get(c["household_id"], "")
        self.field_label.setText(f"{household} {ENTITY_LABELS.get(c['entity'], c['entity'])}的“{c['field_label']}”"
                                 f"（村代码 {c['village_code']}，冲突 {c['id']}）")
        self.county_value.setText(shown(c["county_value"]))
        self.county_device.setText(f"来自：{c['county_device']}")
        self.incoming_value.setText(shown(c["incoming_value"]))
        self.incoming_device.setText(f"来自：{c['incoming_device']}")
        self.base_label.setText(f"两台设备改动之前的值：{shown(c['base_value'])}")

    def resolve_selected(self, keep: str) -> None:
        c = self._selected()
        if c is None:
            return
        self._enable(False)

        def done(result: dict[str, Any]) -> None:
            self.result_label.setText(f"冲突 {result['id']} 已处理：保留“{shown(result['value'])}”。"
                                      "设备会在下一份回执中收到这个决定。")
            self.on_changed()

        Op(self, lambda: resolve_conflict(self.ctx.engine, c["id"], keep=keep, user=self.ctx.user)).success(
            done).failure(lambda err: (self._enable(True), _show_error(self, err))).run()


def _show_error(parent: QWidget, err: BaseException) -> None:
    show_exception(parent, err)
