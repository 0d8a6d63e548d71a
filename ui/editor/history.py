"""历史: the household's change log, newest first — who, when, which record and field, old → new."""

from __future__ import annotations

from datetime import datetime

from fupin_desktop.queries.history import HistoryEntry

from ..qt import QAbstractItemView, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

HEADERS = ["时间", "用户", "操作", "记录", "字段", "原值", "新值"]


def local_time(at: str) -> str:
    """The log keeps UTC; people read their own clock."""
    try:
        return datetime.fromisoformat(at).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return at


class HistoryTab(QWidget):
    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        self.note = QLabel()
        layout.addWidget(self.note)
        self.table = QTableWidget(0, len(HEADERS), objectName="historyTable")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout.addWidget(self.table, 1)

    def load(self, entries: list[HistoryEntry]) -> None:
        self.note.setText(f"共 {len(entries)} 项变更（最新的在最上面）" if entries else "还没有保存过的变更。")
        self.table.setRowCount(len(entries))
        for r, e in enumerate(entries):
            for c, text in enumerate((local_time(e.at), e.user, e.op, e.record, e.field, e.old, e.new)):
                item = QTableWidgetItem(text)
                item.setToolTip(text if len(text) > 20 else "")
                self.table.setItem(r, c, item)
