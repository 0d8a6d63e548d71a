"""历史: the household's change log, newest first — who, when, which record of whom, which field,
old → new; narrowed by field and person; an old value can be put back (saved as a new change)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fupin_desktop.queries.history import HistoryEntry

from ..qt import (
    QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QPushButton, QShowEvent, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

HEADERS = ["时间", "用户", "操作", "记录", "对象", "字段", "原值", "新值"]
ALL_FIELDS, ALL_PEOPLE, HOUSEHOLD_ONLY = "全部字段", "全部人员", "（户的记录）"


def local_time(at: str) -> str:
    """The log keeps UTC; people read their own clock."""
    try:
        return datetime.fromisoformat(at).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return at


class HistoryTab(QWidget):
    def __init__(self, put_back: Callable[[HistoryEntry], None] | None = None) -> None:
        super().__init__()
        self.entries: list[HistoryEntry] = []
        self.shown: list[HistoryEntry] = []
        self.stale = False  # entries loaded but not in the table yet
        self.put_back = put_back
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.note = QLabel()
        bar.addWidget(self.note, 1)
        bar.addWidget(QLabel("字段："))
        self.field_filter = QComboBox(objectName="historyField")
        bar.addWidget(self.field_filter)
        bar.addWidget(QLabel("人员："))
        self.person_filter = QComboBox(objectName="historyPerson")
        bar.addWidget(self.person_filter)
        self.put_back_button = QPushButton("恢复此原值…", objectName="historyPutBack")
        self.put_back_button.setToolTip("把所选这一行的“原值”重新保存为当前值（作为一条新的修改，会同步到县里）")
        self.put_back_button.setEnabled(False)
        self.put_back_button.clicked.connect(lambda _c=False: self._put_back())
        bar.addWidget(self.put_back_button)
        layout.addLayout(bar)
        for combo in (self.field_filter, self.person_filter):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.currentIndexChanged.connect(lambda _i: self._fill())
        self.table = QTableWidget(0, len(HEADERS), objectName="historyTable")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.currentCellChanged.connect(lambda *_a: self._selection_changed())
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout.addWidget(self.table, 1)

    def load(self, entries: list[HistoryEntry]) -> None:
        self.entries = entries
        fields = sorted({e.field for e in entries})
        people = sorted({e.person for e in entries if e.person})
        for combo, first, values in ((self.field_filter, ALL_FIELDS, fields),
                                     (self.person_filter, ALL_PEOPLE, [*people, HOUSEHOLD_ONLY] if people else [])):
            kept = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems([first, *values])
            combo.setCurrentIndex(max(combo.findText(kept), 0))  # a reload after a save keeps the filter
            combo.blockSignals(False)
        # Filled when shown: a household of a demo or imported store has hundreds of entries, and
        # opening a household must stay quick for those who never look at its history.
        self.stale = True
        if self.isVisible():
            self._fill()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt API)
        if self.stale:
            self._fill()
        super().showEvent(event)

    def filter_by(self, *, field: str | None = None, person: str | None = None) -> None:
        if field is not None:
            self.field_filter.setCurrentIndex(max(self.field_filter.findText(field), 0))
        if person is not None:
            self.person_filter.setCurrentIndex(max(self.person_filter.findText(person), 0))

    def _wanted(self, e: HistoryEntry) -> bool:
        field, person = self.field_filter.currentText(), self.person_filter.currentText()
        if field not in ("", ALL_FIELDS) and e.field != field:
            return False
        if person == HOUSEHOLD_ONLY:
            return not e.person
        return person in ("", ALL_PEOPLE) or e.person == person

    def _fill(self) -> None:
        self.stale = False
        self.shown = [e for e in self.entries if self._wanted(e)]
        if not self.entries:
            self.note.setText("还没有保存过的变更。")
        elif len(self.shown) == len(self.entries):
            self.note.setText(f"共 {len(self.entries)} 项变更（最新的在最上面）")
        else:
            self.note.setText(f"显示 {len(self.shown)} 项，共 {len(self.entries)} 项变更")
        self.table.setRowCount(len(self.shown))
        for r, e in enumerate(self.shown):
            for c, text in enumerate((local_time(e.at), e.user, e.op, e.record, e.subject, e.field, e.old, e.new)):
                item = QTableWidgetItem(text)
                item.setToolTip(text if len(text) > 20 else "")
                self.table.setItem(r, c, item)
        self._selection_changed()

    def selected(self) -> HistoryEntry | None:
        row = self.table.currentRow()
        return self.shown[row] if 0 <= row < len(self.shown) else None

    def _selection_changed(self) -> None:
        entry = self.selected()
        self.put_back_button.setEnabled(bool(entry and entry.restorable and self.put_back))

    def _put_back(self) -> None:
        entry = self.selected()
        if entry is not None and entry.restorable and self.put_back is not None:
            self.put_back(entry)
