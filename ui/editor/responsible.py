"""帮扶责任人: who has been responsible for the household, and a hand-over (the old assignment is
ended, never removed). The new assignment is written when the household is saved."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fupin_desktop.errors import InvalidInput
from fupin_desktop.services.edit_state import Assignment, column_label, editable, to_text
from fupin_desktop.values import parse_date

from ..errors import show_exception
from ..operations import Op
from ..qt import (
    QAbstractItemView, QComboBox, QCompleter, QDialog, QGroupBox, QHeaderView,
    Qt, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)
from .fields import DateField, button_row, grid, make_field
from .member_dialogs import buttons

HELPER_COLUMNS = ("name", "unit_name", "position", "phone")


class AssignDialog(QDialog):
    """Choose someone already in the store, or enter a new person, and the day the help starts."""

    def __init__(self, parent: QWidget, helpers: list[dict[str, Any]]) -> None:
        super().__init__(parent, objectName="assignDialog")
        self.setWindowTitle("指定帮扶责任人")
        self.result_: Assignment | None = None
        layout = QVBoxLayout(self)
        self.choice = QComboBox(objectName="helperChoice")
        self.choice.setEditable(True)
        self.choice.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.choice.addItem("（新增责任人，填写下面的信息）", "")
        for h in helpers:
            self.choice.addItem(f"{h['name']}　{h.get('unit_name') or ''}　{h.get('phone') or ''}".strip(), h["id"])
        completer = QCompleter([self.choice.itemText(i) for i in range(self.choice.count())], self)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.choice.setCompleter(completer)
        self.start = DateField("start_on", "帮扶开始时间")
        self.start.set_value(date.today().isoformat())
        layout.addWidget(grid([("已有责任人", self.choice), ("帮扶开始时间", self.start)], pairs=1))
        self.new_box = QGroupBox("新增责任人")
        self.fields = {name: make_field("helper", name) for name in editable("helper")}
        QVBoxLayout(self.new_box).addWidget(grid([(column_label("helper", n), f) for n, f in self.fields.items()]))
        layout.addWidget(self.new_box)
        self.choice.currentIndexChanged.connect(lambda _i: self.new_box.setEnabled(not self.choice.currentData()))
        layout.addWidget(buttons(self, "指定"))
        self.resize(720, 440)
        self.choice.setFocus()

    def accept(self) -> None:
        helper_id = self.choice.currentData() or None
        helper = {n: f.value() for n, f in self.fields.items()}
        try:
            if helper_id is None and not helper["name"]:
                raise InvalidInput("请选择已有的帮扶责任人，或填写新责任人的姓名。", field="姓名")
            parse_date(self.start.value(), "帮扶开始时间")
        except InvalidInput as err:
            show_exception(self, err)
            return
        self.result_ = Assignment(helper_id, {} if helper_id else helper, self.start.value())
        super().accept()


class ResponsibleTab(QWidget):
    """``read_helpers`` reads everyone who can be assigned (on the database worker): only when they
    are needed, as a township store has thousands and opening a household must stay quick."""

    def __init__(self, changed: Callable[[], None], read_helpers: Callable[[], list[dict[str, Any]]]) -> None:
        super().__init__()
        self.changed = changed
        self.read_helpers = read_helpers
        self.helpers: list[dict[str, Any]] | None = None  # not read yet
        self.assignments: list[dict[str, Any]] = []
        self.people: dict[str, dict[str, Any]] = {}
        self.pending: Assignment | None = None
        layout = QVBoxLayout(self)
        self.table = QTableWidget(0, 6, objectName="helpersTable")
        self.table.setHorizontalHeaderLabels([column_label("helper", n) for n in HELPER_COLUMNS]
                                             + ["帮扶开始时间", "帮扶结束时间"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        layout.addLayout(button_row("指定 / 更换帮扶责任人(&H)…", self.assign, "assignHelper",
                                    "更换时，原责任人的帮扶结束时间记为新责任人的开始时间，历史保留。"))

    def load(self, assignments: list[dict[str, Any]], people: dict[str, dict[str, Any]],
             pending: Assignment | None) -> None:
        self.assignments, self.people, self.pending = assignments, people, pending
        rows = sorted(assignments, key=lambda a: to_text(a.get("start_on")), reverse=True)
        shown = [([to_text(self.people.get(a["helper_id"], {}).get(n)) for n in HELPER_COLUMNS]
                  + [to_text(a.get("start_on")), to_text(a.get("end_on"))]) for a in rows]
        if pending:
            person = pending.helper or next((h for h in self.helpers or [] if h["id"] == pending.helper_id),
                                            self.people.get(pending.helper_id or "", {}))
            if not person and self.helpers is None:  # someone already in the store (a draft): read them first
                self._with_helpers(lambda: self.load(self.assignments, self.people, self.pending))
            shown.insert(0, [to_text(person.get(n)) for n in HELPER_COLUMNS] + [pending.start_on, "（未保存）"])
        self.table.setRowCount(len(shown))
        for r, values in enumerate(shown):
            for c, text in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(text))

    def assign(self) -> None:
        self._with_helpers(self._open_assign)

    def _with_helpers(self, then: Callable[[], None]) -> None:
        if self.helpers is not None:
            then()
            return

        def read(helpers: list[dict[str, Any]]) -> None:
            self.helpers = helpers
            then()

        Op(self, self.read_helpers).success(read).failure(lambda err: show_exception(self, err)).run()

    def _open_assign(self) -> None:
        dialog = AssignDialog(self, self.helpers or [])
        dialog.accepted.connect(lambda: self._assigned(dialog.result_))
        dialog.open()

    def _assigned(self, result: Assignment | None) -> None:
        if result:
            self.load(self.assignments, self.people, result)
            self.changed()
