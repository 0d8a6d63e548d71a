"""Input widgets made from model columns, and the keyboard habits every form shares.

Every field is read and written as text (``value()`` / ``set_value()``) and tells when it changes
(``changed``); its objectName is the column name. Code fields are editable drop-downs that find a
label by any part of it; flags are 是 / 否 / （空）; dates accept 2019-03-05, 2019.3.5 or 20190305.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

from fupin_desktop.errors import InvalidInput
from fupin_desktop.services.edit_state import code_table, column_label, columns, long_names
from fupin_desktop.reference import CodeTables
from fupin_desktop.values import column_kind, parse_date

from ..qt import (
    QComboBox, QCompleter, QApplication, QEvent, QGridLayout, QHBoxLayout, QKeyEvent, QLabel, QLineEdit, QModelIndex,
    QObject, QPoint, QPushButton, Qt, QWidget, Signal,
)

# Free text that takes a line of its own in a grid (by objectName: the column's name).
WIDE = long_names()
ERROR_COLOR, WARNING_COLOR = "#c62828", "#e08600"
OUTSIDE_COLOR = "#6a1b9a"  # a kept value outside the code table
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 1
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


def code_numbers(table: str, name: str) -> dict[str, str]:
    """Label → national code number of a coded column (the first era that lists the label)."""
    codes = code_table(table, name)
    numbers: dict[str, str] = {}
    if codes is None:
        return numbers
    for era in _codes.eras(codes.table).values():
        for code, label in era["entries"]:
            numbers.setdefault(label, code)
    return numbers


def code_field(table: str, name: str, year: int | None, object_name: str | None = None) -> "CodeField":
    return CodeField(object_name or name, code_labels(table, name, year), code_numbers(table, name))


@lru_cache(maxsize=8192)
def _spelled(label: str) -> tuple[str, str]:
    """(initials, full pinyin) of a label: every editor builds a few hundred code entries from the
    same code tables, and pypinyin costs about a tenth of opening a household."""
    return ("".join(lazy_pinyin(label, style=Style.FIRST_LETTER)).lower(), "".join(lazy_pinyin(label)).lower())


@dataclass(frozen=True)
class CodeEntry:
    """One entry of a code table with what typing may match: 一般农户 → ybnh, yibannonghu, 2."""

    label: str
    code: str
    initials: str
    pinyin: str

    @classmethod
    def of(cls, label: str, code: str) -> "CodeEntry":
        return cls(label, code, *_spelled(label))

    @property
    def search(self) -> str:
        return " ".join((self.label.lower(), self.initials, self.pinyin, self.code))


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


class CodeCompleter(QCompleter):
    """Matches on a search key (label, pinyin initials, full pinyin, national code) but writes the label."""

    def pathFromIndex(self, index: QModelIndex) -> str:  # noqa: N802 (Qt API)
        return str(index.data(Qt.ItemDataRole.DisplayRole) or "")


class CodeField(QComboBox):
    """An editable drop-down that only ever gives a value of its code table.

    Typing finds an entry by any part of its label, its pinyin initials (ybnh → 一般农户) or its code
    number; whatever takes the value (Enter, Tab, leaving the field, saving) takes the entry the
    typing points to, never the half-typed text; typing that points nowhere gives back the old value,
    and Escape does so at once. A value outside the table stays only when 保留表外值 is ticked in the
    field's right-click menu (or when it was already stored), and is then shown in italic purple.
    """

    KEEP_TEXT = "保留表外值（不在代码表中）"
    entered = Signal()  # Enter took the entry (a table cell's editor then closes and moves on)

    def __init__(self, name: str, labels: list[str], codes: dict[str, str] | None = None) -> None:
        super().__init__(objectName=name)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.entries = [CodeEntry.of(label, (codes or {}).get(label, "")) for label in labels]
        self._labels = {e.label for e in self.entries}
        self.addItem("")
        for entry in self.entries:
            self.addItem(entry.label)
            self.setItemData(self.count() - 1, entry.search, SEARCH_ROLE)
            if entry.code:
                self.setItemData(self.count() - 1, f"代码 {entry.code}", Qt.ItemDataRole.ToolTipRole)
        completer = CodeCompleter(self)
        completer.setModel(self.model())
        completer.setCompletionRole(SEARCH_ROLE)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)
        self.committed = ""  # the value the field holds; typing changes it only through ``commit``
        self.keep_outside = False  # the user's explicit choice to keep a value outside the table
        self.lineEdit().setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.lineEdit().customContextMenuRequested.connect(self._context_menu)
        self.activated.connect(lambda _i: self.commit())
        QApplication.instance().focusChanged.connect(self._focus_moved)
        self.changed = self.editTextChanged

    # ---- what the typing means -----------------------------------------------------------------
    def resolve(self, text: str) -> str | None:
        """The label ``text`` points to, "" for nothing typed, None when it points nowhere."""
        text = text.strip()
        if not text or text in self._labels or text == self.committed:
            return text
        if self.keep_outside:
            return text
        key = text.lower()
        tests = (lambda e: e.code == key, lambda e: e.initials == key, lambda e: e.label.startswith(text),
                 lambda e: e.initials.startswith(key), lambda e: e.pinyin.startswith(key),
                 lambda e: key in e.search)
        for test in tests:
            found = next((e.label for e in self.entries if test(e)), None)
            if found is not None:
                return found
        return None

    def value(self) -> str:
        resolved = self.resolve(self.currentText())
        return self.committed if resolved is None else resolved

    def set_value(self, text: str) -> None:
        self.keep_outside = False
        self.committed = text
        self.setCurrentText(text)
        self._mark()

    def commit(self) -> None:
        """Show and hold what the typing means (or the old value when it means nothing)."""
        value = self.value()
        self.committed = value
        if self.currentText() != value:
            self.setEditText(value)
        self._mark()

    def restore(self) -> bool:
        """Escape: back to the held value; False when there was nothing to undo."""
        if self.currentText() == self.committed:
            return False
        self.completer().popup().hide()
        self.setEditText(self.committed)
        return True

    def is_outside(self) -> bool:
        return bool(self.committed) and self.committed not in self._labels

    # ---- keys, focus and the explicit choice ---------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt API)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.commit()
            self.entered.emit()
        elif event.key() == Qt.Key.Key_Escape and self.restore():
            event.accept()
            return
        super().keyPressEvent(event)

    def _focus_moved(self, old: QWidget | None, new: QWidget | None) -> None:
        # Not focusOutEvent: the completer eats the FocusOut when Tab leaves with its list open.
        if old is not None and self._holds(old) and not (new is not None and self._holds(new)):
            self.commit()

    def _holds(self, widget: QWidget) -> bool:
        return widget is self or self.isAncestorOf(widget)

    def _context_menu(self, pos: QPoint) -> None:
        menu = self.lineEdit().createStandardContextMenu()
        menu.addSeparator()
        keep = menu.addAction(self.KEEP_TEXT)
        keep.setObjectName("keepOutside")
        keep.setCheckable(True)
        keep.setChecked(self.keep_outside or self.is_outside())
        keep.toggled.connect(self.set_keep_outside)
        menu.exec(self.lineEdit().mapToGlobal(pos))

    def set_keep_outside(self, on: bool) -> None:
        self.keep_outside = on
        if not on and self.is_outside():
            self.committed = ""  # no longer kept: the value must come from the table again
        self.commit()

    def _mark(self) -> None:
        outside = self.is_outside()
        self.setProperty("outside", outside)
        self.lineEdit().setStyleSheet(f"QLineEdit {{ color: {OUTSIDE_COLOR}; font-style: italic; }}" if outside
                                      else "")
        tip = self.property("baseTip") or ""
        self.lineEdit().setToolTip(f"表外值：“{self.committed}”不在代码表中（右键菜单可取消保留）" if outside else tip)


def make_field(table: str, name: str, year: int | None = None, *, object_name: str | None = None) -> QWidget:
    object_name = object_name or name
    if code_table(table, name) is not None:
        field: QWidget = code_field(table, name, year, object_name)
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
