"""Validation findings: a list beside the tabs (Enter or a click jumps to the field), and a red or
orange frame on every field that has one, with the message as its tooltip and in the status bar.

The list is ``validation.order.ordered``: identity errors, other errors, blanks collapsed per
section, hints — each group under a heading that cannot be selected. The frames still mark every
field, blanks included."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fupin_desktop.validation.engine import ERROR, Finding
from fupin_desktop.validation.order import GROUP_TITLES, FindingRow, ordered, summary

from ..qt import QBrush, QColor, QLabel, QListWidget, QListWidgetItem, Qt, QVBoxLayout, QWidget, Signal
from .fields import set_finding
from .members import COL as MEMBER_COLUMNS

MEMBER_RECORDS = {"member", "member_year", "work_record"}
INCOME_RECORDS = {"income_year", "income_line"}
OTHER_TABS = {"measure": "measures", "helper_assignment": "responsible", "visit": "visits"}
INCOME_FIGURES = {"total_income", "net_income", "per_capita_net", "wage_income", "business_income",
                  "property_income", "transfer_income", "business_expense"}
RED, AMBER, GREY = "#b00020", "#8a5a00", "#555555"


class FindingsPanel(QWidget):
    activated = Signal(object)  # Finding

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("核查结果")
        self.title.setWordWrap(True)
        layout.addWidget(self.title)
        self.list = QListWidget(objectName="findingsList")
        self.list.setWordWrap(True)
        self.list.itemActivated.connect(self._activated)
        self.list.itemClicked.connect(self._activated)
        layout.addWidget(self.list, 1)
        layout.addWidget(QLabel("F8 到这里；Enter 跳到该项。"))
        self.findings: list[Finding] = []
        self.rows: list[FindingRow] = []

    def show_findings(self, findings: list[Finding]) -> None:
        self.findings = list(findings)
        self.rows = ordered(findings)
        self.title.setText(f"核查结果：{summary(self.rows)}")
        self.list.clear()
        group = ""
        for i, row in enumerate(self.rows):
            if row.group != group:
                group = row.group
                self.list.addItem(self._heading(GROUP_TITLES[group]))
            item = QListWidgetItem(row.text)
            item.setForeground(QBrush(QColor(RED if row.severity == ERROR else AMBER)))
            if len(row.findings) > 1:
                item.setToolTip("\n".join(f.message for f in row.findings))
            item.setData(Qt.ItemDataRole.UserRole, i)
            self.list.addItem(item)

    @staticmethod
    def _heading(text: str) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setFlags(Qt.ItemFlag.NoItemFlags)  # not selectable: arrows and Enter pass over it
        font = item.font()
        font.setBold(True)
        item.setFont(font)
        item.setForeground(QBrush(QColor(GREY)))
        return item

    def focus_list(self) -> None:
        """F8: into the list, on the first finding (not a heading) unless one is already current."""
        self.list.setFocus()
        current = self.list.currentItem()
        if current is None or current.data(Qt.ItemDataRole.UserRole) is None:
            first = next((r for r in range(self.list.count())
                          if self.list.item(r).data(Qt.ItemDataRole.UserRole) is not None), -1)
            if first >= 0:
                self.list.setCurrentRow(first)

    def _activated(self, item: QListWidgetItem) -> None:
        index = item.data(Qt.ItemDataRole.UserRole)
        if index is not None:
            self.activated.emit(self.rows[index].target)


class Locator:
    """Where a finding points in the editor: a form field, a member's cell, an income line."""

    def __init__(self, editor: Any) -> None:
        self.editor = editor

    def owner_of(self, f: Finding) -> tuple[str, str]:
        """(kind, key): ("member", member key), ("income", year), ("form", ""), or a tab name."""
        if f.record in MEMBER_RECORDS:
            return "member", self.editor.record_owner.get(f.record_id, "")
        if f.record in INCOME_RECORDS or f.field in INCOME_FIGURES:
            return "income", self.editor.record_owner.get(f.record_id, "") or str(self.editor.year)
        if f.record in OTHER_TABS or f.record.startswith("measure_"):
            return OTHER_TABS.get(f.record, "measures"), ""
        if self.form_field(f.field) is None and f.field in MEMBER_COLUMNS:
            return "member", ""
        return "form", ""

    def form_field(self, name: str) -> QWidget | None:
        for form in self.editor.forms:
            for (_table, col), widget in form.fields.items():
                if col == name:
                    return widget
        return None

    def go(self, f: Finding) -> None:
        ed = self.editor
        kind, key = self.owner_of(f)
        if kind == "member":
            ed.tabs.setCurrentWidget(ed.members)
            if key and f.field in MEMBER_COLUMNS:
                ed.members.focus_cell(key, f.field)
            elif key:
                ed.members.focus_cell(key, "name")
                ed.members.edit_details(focus=f.field)
            else:
                ed.members.table.setFocus()
        elif kind == "income":
            ed.tabs.setCurrentWidget(ed.income)
            ed.income.focus_line(key, f.record_id, f.field)
        elif kind == "form":
            widget = self.form_field(f.field)
            if widget is not None:
                ed.tabs.setCurrentWidget(next(form for form in ed.forms if form.isAncestorOf(widget)))
                widget.setFocus()
        else:
            ed.tabs.setCurrentWidget(getattr(ed, kind))
        ed.statusBar().showMessage(f.message, 10_000)

    def mark(self, findings: Iterable[Finding]) -> None:
        forms: dict[str, Finding] = {}
        cells: dict[tuple[str, str], tuple[str, str]] = {}
        for f in findings:
            kind, key = self.owner_of(f)
            if kind == "form" and (f.field not in forms or f.severity == ERROR):
                forms[f.field] = f
            elif kind == "member" and key and ((key, f.field) not in cells or f.severity == ERROR):
                cells[(key, f.field)] = (f.message, f.severity)
        for form in self.editor.forms:
            for (_table, col), widget in form.fields.items():
                found = forms.get(col)
                set_finding(widget, found.message if found else "", found.severity if found else "")
        self.editor.members.mark(cells)
