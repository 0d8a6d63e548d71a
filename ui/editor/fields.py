"""Input widgets made from model columns, and the keyboard habits every form shares.

Every field is read and written as text (``value()`` / ``set_value()``) and tells when it changes
(``changed``); its objectName is the column name. Code fields are editable drop-downs that find a
label by any part of it; flags are 是 / 否 / （空）; dates accept 2019-03-05, 2019.3.5 or 20190305.
"""

from __future__ import annotations

from collections.abc import Callable

from fupin_desktop.errors import InvalidInput
from fupin_desktop.services.edit_state import code_table, column_label, columns, long_names
from fupin_desktop.reference import CodeTables
from fupin_desktop.values import column_kind, parse_date

from ..qt import (
    QComboBox, QCompleter, QEvent, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QObject, QPushButton, Qt, QWidget,
)

# Free text that takes a line of its own in a grid (by objectName: the column's name).
WIDE = long_names()
ERROR_COLOR, WARNING_COLOR = "#c62828", "#e08600"
_codes = CodeTables.default()


def kind_of(table: str, name: str) -> str:
    return column_kind(columns(table)[name])


def code_labels(table: str, name: str, year: int | None) -> list[str]:
    """The labels offered for a coded column: its era's, else the year's, else all eras'."""
    codes = code_table(table, name)
    if codes is None:
        return []
    try:
        if codes.era is not None:
            return [label for _code, label in _codes.eras(codes.table)[codes.era]["entries"]]
        return _codes.labels(codes.table, year) or _codes.labels(codes.table)
    except KeyError:
        return []


class TextField(QLineEdit):
    def __init__(self, name: str) -> None:
        super().__init__(objectName=name)
        self.changed = self.textChanged

    def value(self) -> str:
        return self.text().strip()

    def set_value(self, text: str) -> None:
        self.setText(text)
        self.setCursorPosition(0)


class NumberField(TextField):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class DateField(TextField):
    """Shows what a typed date means as soon as the field is left (2019.3.5 → 2019-03-05)."""

    def __init__(self, name: str, label: str) -> None:
        super().__init__(name)
        self.label = label
        self.setPlaceholderText("如 2019-03-05")
        self.editingFinished.connect(self._normalise)

    def _normalise(self) -> None:
        try:
            parsed = parse_date(self.text(), self.label)
        except InvalidInput as err:
            set_finding(self, err.message + "\n" + err.hint, "error")
            return
        if parsed is not None and parsed.isoformat() != self.text():
            self.setText(parsed.isoformat())


class FlagField(QComboBox):
    BLANK = "（空）"

    def __init__(self, name: str) -> None:
        super().__init__(objectName=name)
        self.addItems([self.BLANK, "是", "否"])
        self.changed = self.currentIndexChanged

    def value(self) -> str:
        return "" if self.currentIndex() <= 0 else self.currentText()

    def set_value(self, text: str) -> None:
        index = self.findText(text) if text else 0
        self.setCurrentIndex(max(index, 0))


class CodeField(QComboBox):
    """An editable drop-down over a code table; typing any part of a label finds it."""

    def __init__(self, name: str, labels: list[str]) -> None:
        super().__init__(objectName=name)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.addItems(["", *labels])
        completer = QCompleter(labels, self)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)
        self.changed = self.editTextChanged

    def value(self) -> str:
        return self.currentText().strip()

    def set_value(self, text: str) -> None:
        self.setCurrentText(text)


def make_field(table: str, name: str, year: int | None = None, *, object_name: str | None = None) -> QWidget:
    object_name = object_name or name
    if code_table(table, name) is not None:
        field: QWidget = CodeField(object_name, code_labels(table, name, year))
    else:
        kind = kind_of(table, name)
        if kind == "flag":
            field = FlagField(object_name)
        elif kind == "date":
            field = DateField(object_name, column_label(table, name))
        elif kind in ("int", "decimal"):
            field = NumberField(object_name)
        else:
            field = TextField(object_name)
    field.setToolTip(column_label(table, name))
    field.setProperty("baseTip", column_label(table, name))
    return field


def set_finding(widget: QWidget, message: str, severity: str = "error") -> None:
    """A red (error) or orange (warning) frame and the message as tooltip; empty message clears."""
    if not message:
        widget.setStyleSheet("")
        widget.setToolTip(widget.property("baseTip") or "")
        widget.setProperty("finding", "")
        return
    color = ERROR_COLOR if severity == "error" else WARNING_COLOR
    qt_class = next(c.__name__ for c in type(widget).__mro__ if c.__module__.startswith("PySide6"))
    widget.setStyleSheet(f"{qt_class} {{ border: 2px solid {color}; border-radius: 3px; padding: 2px; }}")
    widget.setToolTip(message)
    widget.setProperty("finding", message)


class EnterMovesOn(QObject):
    """Enter moves to the next field, as on a paper form; an open drop-down list keeps its Enter."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() != QEvent.Type.KeyPress or event.key() not in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return False
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        if isinstance(obj, QComboBox) and obj.view().isVisible():
            return False
        completer = obj.completer() if isinstance(obj, (QLineEdit, QComboBox)) else None
        if completer is not None and completer.popup().isVisible():
            return False
        obj.focusNextChild()
        return True


ENTER = EnterMovesOn()


def grid(items: list[tuple[str, QWidget]], *, pairs: int = 2) -> QWidget:
    """Label–field pairs, ``pairs`` to a line, left to right then down (the paper form's order);
    wide fields take a line of their own. Widgets are added in reading order, so Tab follows it."""
    box = QWidget()
    layout = QGridLayout(box)
    layout.setHorizontalSpacing(12)
    row = col = 0
    for text, field in items:
        wide = field.objectName() in WIDE
        if wide and col:
            row, col = row + 1, 0
        label = QLabel(text + "：")
        label.setBuddy(field)
        label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(label, row, col * 2)
        layout.addWidget(field, row, col * 2 + 1, 1, (pairs * 2 - 1) if wide else 1)
        field.installEventFilter(ENTER)
        col += pairs if wide else 1
        if col >= pairs:
            row, col = row + 1, 0
    for c in range(pairs):
        layout.setColumnStretch(c * 2 + 1, 1)
    return box


def on_change(field: QWidget, callback: Callable[[], None]) -> None:
    field.changed.connect(lambda *_: callback())


def button_row(text: str, slot: Callable[[], None], name: str, hint: str) -> QHBoxLayout:
    """A tab's main button with a one-line hint beside it."""
    row = QHBoxLayout()
    button = QPushButton(text, objectName=name)
    button.clicked.connect(slot)
    row.addWidget(button)
    row.addWidget(QLabel(hint))
    row.addStretch(1)
    return row
