"""收到的更新: what came from the county (households its packages changed) and the fields where this
laptop kept its own value against the county's, side by side, until the county decides."""

from __future__ import annotations

from datetime import datetime
from collections.abc import Callable
from typing import Any

from fupin_desktop.archive import Archive

from ..operations import Op
from ..qt import (
    QAbstractItemView, QColor, QDialog, QDialogButtonBox, QHeaderView, QLabel, QTableWidget, QTableWidgetItem,
    QTabWidget, Qt, QVBoxLayout, QWidget,
)

MINE_COLOUR, COUNTY_COLOUR = "#1d5fa8", "#a8551d"
CHANGED_HEADERS = ("户主", "村民小组", "户编号", "改动条数", "收到时间")
HELD_HEADERS = ("户主", "内容", "项目", "本机的值", "县里的值", "收到时间")


def _table(headers: tuple[str, ...], name: str) -> QTableWidget:
    table = QTableWidget(0, len(headers), objectName=name)
    table.setHorizontalHeaderLabels(list(headers))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def shown(value: Any) -> str:
    if value is None or value == "":
        return "（空）"
    if value is True:
        return "是"
    if value is False:
        return "否"
    return str(value)


class ReceivedDialog(QDialog):
    def __init__(self, archive: Archive, parent: QWidget | None = None,
                 open_household: Callable[[str], None] | None = None) -> None:
        super().__init__(parent)
        self.archive = archive
        self.open_household = open_household
        self.setWindowTitle("收到的更新和冲突")
        self.setObjectName("receivedDialog")
        layout = QVBoxLayout(self)
        self.summary = QLabel(objectName="receivedSummary", wordWrap=True)
        layout.addWidget(self.summary)
        self.tabs = QTabWidget(objectName="receivedTabs")
        self.changed = _table(CHANGED_HEADERS, "receivedHouseholds")
        self.held = _table(HELD_HEADERS, "heldFields")
        held_page = QWidget()
        held_layout = QVBoxLayout(held_page)
        note = QLabel("同一项目本机改过、县里（或别的电脑）也改过，而县里还没有确认本机的改动时，本机先保留"
                      "<b style='color:%s'>本机的值</b>，<b style='color:%s'>县里的值</b>列在旁边。由县扶贫办决定"
                      "保留哪一个；决定会随下一次下载自动送到本机，这里的一行随之消失。" % (MINE_COLOUR, COUNTY_COLOUR),
                      wordWrap=True)
        held_layout.addWidget(note)
        held_layout.addWidget(self.held, 1)
        for table in (self.changed, self.held):  # a row opens its household, to see it whole
            table.doubleClicked.connect(lambda index, t=table: self._open(t, index.row()))
            table.setToolTip("双击打开这一户")
        self.tabs.addTab(self.changed, "有更新的户")
        self.tabs.addTab(held_page, "冲突：本机 / 县里")
        layout.addWidget(self.tabs, 1)
        buttons = QDialogButtonBox()
        buttons.addButton("刷新", QDialogButtonBox.ButtonRole.ActionRole).clicked.connect(self.refresh)
        buttons.addButton("关闭", QDialogButtonBox.ButtonRole.RejectRole).clicked.connect(self.close)
        layout.addWidget(buttons)
        self.data: Any = None
        self.resize(900, 560)
        self.refresh()

    def refresh(self) -> None:
        Op(self, self.archive.received).success(self._show).run()

    def _show(self, data: Any) -> None:
        first, self.data = self.data is None, data
        self.summary.setText(_summary(data))
        _fill(self.changed, [(h.head_name, h.group_name, h.hh_no, h.changes, _when(h.at)) for h in data.recent],
              [h.household_id for h in data.recent])
        _fill(self.held, [(f.head_name, f.record, f.field, shown(f.mine), shown(f.county), _when(f.at))
                          for f in data.held], [f.household_id for f in data.held])
        for r in range(self.held.rowCount()):
            self.held.item(r, 3).setForeground(QColor(MINE_COLOUR))
            self.held.item(r, 4).setForeground(QColor(COUNTY_COLOUR))
        self.tabs.setTabText(1, f"冲突：本机 / 县里（{len(data.held)}）" if data.held else "冲突：本机 / 县里")
        if first and data.held:  # what needs someone's attention first
            self.tabs.setCurrentIndex(1)


    def _open(self, table: QTableWidget, row: int) -> None:
        household_id = table.item(row, 0).data(Qt.ItemDataRole.UserRole)
        if household_id and self.open_household is not None:
            self.open_household(household_id)


def _fill(table: QTableWidget, rows: list[tuple[Any, ...]], ids: list[str | None]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(str(value)))
        table.item(r, 0).setData(Qt.ItemDataRole.UserRole, ids[r])


def _summary(data: Any) -> str:
    if not data.enrolled:
        return "本机还没有加入县里的同步。请先用“同步 → 导入入网文件…”导入县扶贫办发的入网文件。"
    if not data.down_packages:
        return ("还没有从县里收到档案。新电脑请用“同步 → 从县里下载本村档案…”下载本村（或本乡镇）的全部档案；"
                "没有网络时，先用“同步 → 导出到U盘…”把本机的登记送到县里，县扶贫办再把下发包写到U盘，"
                "用“同步 → 导入县里的下发包（U盘）…”导入（也可以把U盘里的文件夹拖到主窗口上）。")
    parts = [f"已从县里收到 {data.down_packages} 个下发包，共有 {data.households_changed} 户的档案因此更新"
             f"（下表列出最近的 {len(data.recent)} 户）。"]
    if data.held:
        parts.append(f"有 {len(data.held)} 处本机的改动与县里的不同，本机先保留自己的值，等县里决定。")
    if data.waiting:
        parts.append(f"本机有 {data.waiting} 条变更在县里成为冲突，等县扶贫办处理。")
    if not data.held and not data.waiting:
        parts.append("没有等县里决定的冲突。")
    return "\n".join(parts)


def _when(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso
