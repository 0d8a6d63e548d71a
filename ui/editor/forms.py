"""The form tabs (基本情况, 生产生活条件, 两不愁三保障), in the order of the paper form."""

from __future__ import annotations

from collections.abc import Callable

from fupin_desktop.services.edit_state import FORM_TABS, column_label, editor_sections

from ..qt import QApplication, QGroupBox, QLabel, QScrollArea, QVBoxLayout, QWidget
from .fields import grid, make_field, on_change

HH, HY = "household", "household_year"
# The tabs' sections and fields come from the columns' declarations (model/fields.py).
BASIC, CONDITIONS, GUARANTEES = (editor_sections(tab) for tab in FORM_TABS)


class FormTab(QScrollArea):
    """Group boxes of fields; scrolls so that the field with the cursor is always in view."""

    def __init__(self, groups: list, year: int, changed: Callable[[], None]) -> None:
        super().__init__()
        self.setWidgetResizable(True)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        self.fields: dict[tuple[str, str], QWidget] = {}
        for title, cols in groups:
            box = QGroupBox(title.format(year=year))
            box_layout = QVBoxLayout(box)
            items = []
            for table, name in cols:
                field = make_field(table, name, year)
                on_change(field, changed)
                self.fields[(table, name)] = field
                items.append((column_label(table, name), field))
            box_layout.addWidget(grid(items))
            layout.addWidget(box)
        layout.addStretch(1)
        self.setWidget(inner)
        labels = inner.findChildren(QLabel)
        width = max((label.sizeHint().width() for label in labels), default=0)
        for label in labels:  # one label width for every group, so the fields line up down the page
            label.setMinimumWidth(width)
        QApplication.instance().focusChanged.connect(self._follow_focus)

    def _follow_focus(self, _old: QWidget | None, new: QWidget | None) -> None:
        if new is not None and self.widget() is not None and self.widget().isAncestorOf(new):
            self.ensureWidgetVisible(new, 40, 60)

    def first_field(self) -> QWidget:
        return next(iter(self.fields.values()))

    def values(self, table: str) -> dict[str, str]:
        return {name: f.value() for (t, name), f in self.fields.items() if t == table}

    def set_values(self, table: str, values: dict[str, str]) -> None:
        for (t, name), field in self.fields.items():
            if t == table and name in values:
                field.set_value(values[name])
