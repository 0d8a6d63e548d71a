"""家庭成员: one row per person, edited in place.

Typing an ID number fills 出生日期 and 性别 (and 证件类型); Enter moves to the next cell and skips
what the ID number already filled; Ctrl+M adds a person. Nobody is deleted: a member leaves with a
reason and a date (人员变更). Rows typed in this session and not yet saved may be removed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fupin_desktop.services.edit_state import MemberEdit, code_table, column_label, new_member
from fupin_desktop.validation.idnumber import parse_id

from ..qt import (
    QBrush, QColor, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QShortcut, Qt, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)
from .cells import edit_cell, setup_table
from .fields import code_field, kind_of
from .member_dialogs import LeaveDialog, MemberDialog

COLUMNS = [("member", c) for c in ("name", "id_no", "gender", "birth_date", "relation", "ethnicity",
                                   "political_status")]
COLUMNS += [("member_year", c) for c in ("education", "school_status", "health", "labour_skill", "work_status",
                                         "work_months")]
COLUMNS += [("member", "phone"), ("member", "id_type")]
COL = {name: i for i, (_t, name) in enumerate(COLUMNS)}
STATUS = len(COLUMNS)
GREY = QColor("#8a8a8a")


class MembersTab(QWidget):
    def __init__(self, year: int, changed: Callable[[], None]) -> None:
        super().__init__()
        self.year = year
        self.changed = changed
        self.rows: list[MemberEdit] = []
        self.statuses: dict[str, str] = {}  # saved members who left: key → how they left
        self._filling = False
        layout = QVBoxLayout(self)
        self.table = QTableWidget(0, STATUS + 1, objectName="membersTable")
        self.table.setHorizontalHeaderLabels([column_label(t, c) for t, c in COLUMNS] + ["人员状态"])
        setup_table(self.table, self)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemChanged.connect(self._item_changed)
        QShortcut(Qt.Key.Key_Insert, self.table, self.add_member, context=Qt.ShortcutContext.WidgetShortcut)
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        for text, slot, name in (("添加成员 (Ctrl+M)", self.add_member, "addMember"),
                                 ("详细信息… (F4)", self.edit_details, "memberDetails"),
                                 ("成员变更（注销）…", self.leave, "memberLeave"),
                                 ("删除未保存的行", self.remove_new, "removeNewMember")):
            button = QPushButton(text, objectName=name)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addWidget(QLabel("输入证件号码后自动填写出生日期和性别；Enter 到下一格；"
                                "成员不删除，迁出、死亡等请用“成员变更”。"))

    # ---- rows ------------------------------------------------------------------------------
    def load(self, rows: list[MemberEdit], statuses: dict[str, str]) -> None:
        self.rows, self.statuses = rows, statuses
        self._filling = True
        self.table.setRowCount(0)
        self.table.setRowCount(len(rows))
        for r, ms in enumerate(rows):
            self._fill_row(r, ms)
        self._filling = False

    def _fill_row(self, r: int, ms: MemberEdit) -> None:
        left = ms.key in self.statuses
        for c, (table, name) in enumerate(COLUMNS):
            item = QTableWidgetItem((ms.fields if table == "member" else ms.year).get(name, ""))
            if kind_of(table, name) in ("int", "decimal"):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(r, c, item)
        leave = ms.leave
        status = self.statuses.get(ms.key) or (f"待注销：{leave.reason} {leave.on}" if leave else
                                                 "新增" if ms.new else "在册")
        self.table.setItem(r, STATUS, QTableWidgetItem(status))
        for c in range(STATUS + 1):
            item = self.table.item(r, c)
            if left or leave or c == STATUS:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            if left or leave:
                item.setForeground(QBrush(GREY))

    def row_of(self, key: str) -> int:
        return next((r for r, ms in enumerate(self.rows) if ms.key == key), -1)

    def current(self) -> MemberEdit | None:
        r = self.table.currentRow()
        return self.rows[r] if 0 <= r < len(self.rows) else None

    def active_count(self) -> int:
        return sum(1 for ms in self.rows if ms.key not in self.statuses and not ms.leave
                   and (not ms.new or ms.fields.get("name")))

    # ---- editing ---------------------------------------------------------------------------
    def _item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() == STATUS:
            return
        ms = self.rows[item.row()]
        table, name = COLUMNS[item.column()]
        (ms.fields if table == "member" else ms.year)[name] = item.text().strip()
        if name == "id_no":
            self._fill_from_id(item.row(), ms)
        self.changed()

    def _fill_from_id(self, r: int, ms: MemberEdit) -> None:
        info = parse_id(ms.fields["id_no"])
        fills = {"birth_date": info.birth_date.isoformat() if info.birth_date else None, "gender": info.gender}
        if info.birth_date and not ms.fields.get("id_type"):
            fills["id_type"] = "残疾人证" if len(info.number) in (20, 22) else "身份证"
        self._filling = True
        for name, value in fills.items():
            if value:
                ms.fields[name] = value
                self.table.item(r, COL[name]).setText(value)
        for name, value in (("disability_category", info.disability_category),
                            ("disability_grade", info.disability_grade)):
            if value:
                ms.year[name] = value
        self._filling = False

    def advance(self) -> None:
        """To the next cell of the row (past what the ID number filled), then to the next row."""
        r, c = self.table.currentRow(), self.table.currentColumn()
        ms = self.rows[r] if 0 <= r < len(self.rows) else None
        if ms is None:
            return
        c += 1
        if c == COL["gender"] and ms.fields.get("gender") and ms.fields.get("birth_date") and parse_id(
                ms.fields["id_no"]).birth_date:
            c = COL["relation"]
        if c >= STATUS:
            r, c = r + 1, 0
            if r >= len(self.rows):
                return
        edit_cell(self.table, r, c)

    def make_editor(self, parent: QWidget, index: Any) -> QWidget | None:
        table, name = COLUMNS[index.column()]
        if code_table(table, name) is not None:
            return code_field(table, name, self.year)
        if kind_of(table, name) in ("int", "decimal"):
            editor = QLineEdit(parent)
            editor.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return editor
        return None

    def add_member(self) -> None:
        has_head = any(ms.fields.get("relation") == "户主" and ms.key not in self.statuses for ms in self.rows)
        ms = new_member("" if has_head else "户主")
        self.rows.append(ms)
        self._filling = True
        self.table.setRowCount(len(self.rows))
        self._fill_row(len(self.rows) - 1, ms)
        self._filling = False
        self.focus_cell(ms.key, "name", edit=True)
        self.changed()

    def focus_cell(self, key: str, column: str, *, edit: bool = False) -> None:
        r = self.row_of(key)
        if r < 0:
            return
        c = COL.get(column, 0)
        self.table.setFocus()
        self.table.setCurrentCell(r, c)
        self.table.scrollToItem(self.table.item(r, c))
        if edit:
            edit_cell(self.table, r, c)

    def edit_details(self, focus: str = "") -> None:
        ms = self.current()
        if ms is None:
            return
        dialog = MemberDialog(self, ms, self.year, read_only=ms.key in self.statuses or bool(ms.leave),
                              focus=focus)
        dialog.accepted.connect(lambda: self._details_done(ms))
        dialog.open()

    def _details_done(self, ms: MemberEdit) -> None:
        self.load(self.rows, self.statuses)
        self.focus_cell(ms.key, "name")
        self.changed()

    def leave(self) -> None:
        ms = self.current()
        if ms is None or ms.key in self.statuses:
            return
        if ms.new:
            self.remove_new()
            return
        dialog = LeaveDialog(self, ms)
        dialog.accepted.connect(lambda: self._details_done(ms))
        dialog.open()

    def remove_new(self) -> None:
        ms = self.current()
        if ms is None or not ms.new:
            return
        self.rows.remove(ms)
        self.load(self.rows, self.statuses)
        self.changed()

    # ---- findings ----------------------------------------------------------------------------
    def mark(self, marks: dict[tuple[str, str], tuple[str, str]]) -> None:
        """``{(member key, column): (message, severity)}``: cells with a finding turn red or orange;
        findings about fields shown only in 详细信息 mark the 姓名 cell."""
        hidden: dict[str, list[tuple[str, str]]] = {}
        for (key, name), found in marks.items():
            if name not in COL or name == "name":
                hidden.setdefault(key, []).append(found)
        self._filling = True
        for r, ms in enumerate(self.rows):
            for c, (_t, name) in enumerate(COLUMNS):
                item = self.table.item(r, c)
                found = marks.get((ms.key, name))
                if name == "name" and hidden.get(ms.key):
                    group = hidden[ms.key]
                    worst = "error" if any(s == "error" for _m, s in group) else "warning"
                    found = ("\n".join(m for m, _s in group) + "\n（按 F4 打开详细信息）", worst)
                item.setBackground(QBrush(QColor("#ffd6d6" if found[1] == "error" else "#ffe9c2"))
                                   if found else QBrush())
                item.setToolTip(found[0] if found else "")
        self._filling = False
