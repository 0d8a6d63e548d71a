"""同步状态: where this device's changes are on their way to the county, and its packages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fupin_desktop.archive import Archive
from fupin_desktop.sync_state import ALL_STATES, SyncState

from ..household_table import SYNC_COLOURS
from ..operations import Op
from ..qt import (
    QAbstractItemView, QColor, QDialog, QDialogButtonBox, QFont, QGridLayout, QGroupBox, QHeaderView, QLabel,
    QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

STATE_HINTS = {SyncState.UNSENT: "还没有打包", SyncState.PACKED: "在本机发件箱里", SyncState.DELIVERED: "县里已收到",
               SyncState.CONFIRMED: "县里已导入", SyncState.CONFLICT: "等县里决定", SyncState.REJECTED: "县里没有接受"}


class SyncStatusDialog(QDialog):
    def __init__(self, archive: Archive, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.archive = archive
        self.setWindowTitle("同步状态")
        self.setObjectName("syncStatus")
        layout = QVBoxLayout(self)
        self.summary = QLabel(objectName="syncSummary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        layout.addWidget(self._counts_box())
        layout.addWidget(QLabel("变更包（县里确认之前都留在本机，可以重复导出或上传）："))
        self.packages = QTableWidget(0, 4, objectName="syncPackages")
        self.packages.setHorizontalHeaderLabels(["包号", "变更条数", "状态", "打包时间"])
        self.packages.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.packages.verticalHeader().setVisible(False)
        self.packages.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.packages, 1)
        buttons = QDialogButtonBox()
        buttons.addButton("刷新", QDialogButtonBox.ButtonRole.ActionRole).clicked.connect(self.refresh)
        buttons.addButton("关闭", QDialogButtonBox.ButtonRole.RejectRole).clicked.connect(self.close)
        layout.addWidget(buttons)
        self.status: dict[str, Any] | None = None
        self.resize(640, 520)
        self.refresh()

    def _counts_box(self) -> QGroupBox:
        box = QGroupBox("本机的变更")
        grid = QGridLayout(box)
        self.count_labels: dict[str, QLabel] = {}
        big = QFont(self.font())
        big.setPointSize(big.pointSize() + 8)
        for i, state in enumerate(ALL_STATES):
            number = QLabel("—", objectName=f"count-{state}")
            number.setFont(big)
            if state in SYNC_COLOURS:
                number.setStyleSheet(f"color: {SYNC_COLOURS[state]}")
            grid.addWidget(number, 0, i)
            grid.addWidget(QLabel(state), 1, i)
            hint = QLabel(STATE_HINTS[state])
            hint.setStyleSheet("color: #666")
            grid.addWidget(hint, 2, i)
            self.count_labels[state] = number
        return box

    def refresh(self) -> None:
        Op(self, self.archive.sync_status).success(self._show).run()

    def _show(self, status: dict[str, Any]) -> None:
        self.status = status
        self.summary.setText(_summary(status))
        for state, label in self.count_labels.items():
            label.setText(str(status["changes"][state]))
        rows = list(reversed(status["packages"]))  # newest first
        self.packages.setRowCount(len(rows))
        for r, p in enumerate(rows):
            for c, value in enumerate((f"第 {p['number']} 包", str(p["entries"]), p["state"], _when(p["created"]))):
                item = QTableWidgetItem(value)
                if c == 2 and value in SYNC_COLOURS:
                    item.setForeground(QColor(SYNC_COLOURS[value]))
                self.packages.setItem(r, c, item)


def _summary(status: dict[str, Any]) -> str:
    if not status["enrolled"]:
        return "本机还没有加入县里的同步。请向县扶贫办索取入网文件，用“同步 → 导入入网文件…”导入。"
    c = status["county"]
    parts = [f"已加入 {c['name']} 的同步，本机登记为“{c['label']}”。"
             + ("县里已确认本机。" if status["registered"] else "等待县里确认本机（第一次送交变更包时）。"),
             f"县级服务器：{c['server_url']}" if c["server_url"] else "没有县级服务器地址：请用U盘送交。",
             f"已处理的回执：第 {status['last_ack']} 份。" if status["last_ack"] else "还没有收到回执。"]
    if status["revoked"]:
        parts.insert(1, "县扶贫办已注销本机的同步资格，请联系县扶贫办。")
    return "\n".join(parts)


def _when(iso: str | None) -> str:
    """UTC in the database; local time on screen."""
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso
