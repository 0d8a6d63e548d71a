"""Editing tables in place by keyboard: Enter commits the cell and moves on, as on a paper form.

The owner (a tab holding a QTableWidget) provides ``make_editor(parent, index)`` (None for a plain
line edit) and ``advance()`` (where Enter goes next).
"""

from __future__ import annotations

from typing import Any

from ..qt import QAbstractItemView, QComboBox, QEvent, QLineEdit, QObject, QStyledItemDelegate, Qt, QWidget

RETURN_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


def _popup_open(editor: Any) -> bool:
    if not isinstance(editor, QComboBox):
        return False
    completer = editor.completer()
    return editor.view().isVisible() or (completer is not None and completer.popup().isVisible())


class CellDelegate(QStyledItemDelegate):
    def __init__(self, owner: Any) -> None:
        super().__init__(owner)
        self.owner = owner

    def createEditor(self, parent: QWidget, option: Any, index: Any) -> QWidget:  # noqa: N802 (Qt API)
        editor = self.owner.make_editor(parent, index)
        if editor is None:
            editor = QLineEdit(parent)
        editor.setParent(parent)
        if hasattr(editor, "entered"):  # Enter that picked from the open list reaches the field, not us
            editor.entered.connect(lambda: self._finish(editor))
        return editor

    def _finish(self, editor: QWidget) -> None:
        self.commitData.emit(editor)
        self.closeEditor.emit(editor, QStyledItemDelegate.EndEditHint.NoHint)
        self.owner.advance()

    def setEditorData(self, editor: QWidget, index: Any) -> None:  # noqa: N802
        text = index.data() or ""
        if hasattr(editor, "set_value"):
            editor.set_value(text)
        elif isinstance(editor, QComboBox):
            editor.setCurrentText(text)
        else:
            editor.setText(text)
        # As in a spreadsheet: a key typed on a filled cell replaces its content (户主 + 配偶 → 配偶).
        line = editor.lineEdit() if isinstance(editor, QComboBox) else editor
        if isinstance(line, QLineEdit):
            line.selectAll()

    def setModelData(self, editor: QWidget, model: Any, index: Any) -> None:  # noqa: N802
        if hasattr(editor, "value"):
            value = editor.value()
        elif isinstance(editor, QComboBox):
            value = editor.currentText().strip()
        else:
            value = editor.text().strip()
        model.setData(index, value)

    def eventFilter(self, editor: Any, event: Any) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.KeyPress and event.key() in RETURN_KEYS and not _popup_open(editor):
            self._finish(editor)
            return True
        return super().eventFilter(editor, event)


class EnterOnTable(QObject):
    """Enter on a cell that is not being edited moves on too."""

    def __init__(self, owner: Any) -> None:
        super().__init__(owner)
        self.owner = owner

    def eventFilter(self, table: Any, event: Any) -> bool:  # noqa: N802
        if (event.type() == QEvent.Type.KeyPress and event.key() in RETURN_KEYS
                and table.state() != QAbstractItemView.State.EditingState):
            self.owner.advance()
            return True
        return False


def setup_table(table: Any, owner: Any) -> None:
    table.setItemDelegate(CellDelegate(owner))
    table.setEditTriggers(QAbstractItemView.EditTrigger.AnyKeyPressed | QAbstractItemView.EditTrigger.EditKeyPressed
                          | QAbstractItemView.EditTrigger.DoubleClicked)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setDefaultSectionSize(30)
    table.installEventFilter(EnterOnTable(owner))


def edit_cell(table: Any, row: int, column: int) -> None:
    table.setCurrentCell(row, column)
    item = table.item(row, column)
    if item is not None and item.flags() & Qt.ItemFlag.ItemIsEditable:
        table.editItem(item)
