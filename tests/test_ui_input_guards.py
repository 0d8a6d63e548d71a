"""No accidental change (real widgets, pytest-qt): the wheel over a field without the cursor changes
nothing, coded fields take only a value of their code table, typing on a filled cell replaces it."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from fupin_desktop.archive import Archive
from fupin_desktop.services.households import create_households, unit_of_work
from fupin_desktop.settings import Settings
from ui import guards
from ui.app import install_cjk_font
from ui.editor import HouseholdEditor
from ui.editor.members import COL
from ui.operations import hub
from ui.qt import (
    QApplication, QComboBox, QDateEdit, QDoubleSpinBox, QInputMethodEvent, QPoint, QPointF, QScrollArea, QSpinBox, Qt,
    QTimer, QVBoxLayout, QWheelEvent, QWidget,
)
from ui.settings_dialog import SettingsDialog

from . import factories
from .test_ui_editor import load


YEAR = 2024


@pytest.fixture(autouse=True)
def guarded(qapp):
    install_cjk_font(QApplication.instance())
    guards.install(QApplication.instance())  # as ui/app.py does at start-up


def idle(qtbot) -> None:
    qtbot.waitUntil(lambda: hub().tasks.pending == 0, timeout=20_000)


def wheel(widget: QWidget, steps: int = -3) -> None:
    """Turn the mouse wheel over the middle of ``widget`` (down for negative steps)."""
    centre = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0), QPoint(0, 120 * steps),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def ime(widget: QWidget, text: str) -> None:
    """Chinese typed through an input method arrives as a committed string."""
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def open_editor(qtbot, store) -> HouseholdEditor:
    household = factories.household()
    with unit_of_work(store) as uow:
        create_households(uow, [household])
    editor = HouseholdEditor(Archive(store), household.id, year=YEAR)
    qtbot.addWidget(editor)
    editor.show()
    qtbot.waitExposed(editor)
    editor.activateWindow()
    idle(qtbot)
    qtbot.waitUntil(lambda: editor.loaded)
    editor.household = household
    return editor


def form_field(editor: HouseholdEditor, name: str) -> QComboBox:
    return next(f for form in editor.forms for (_t, n), f in form.fields.items() if n == name)


def save(qtbot, editor: HouseholdEditor) -> None:
    editor.save()
    idle(qtbot)
    qtbot.waitUntil(lambda: not editor.is_dirty(), timeout=20_000)


# ---- the wheel ------------------------------------------------------------------------------------
def test_wheel_over_unfocused_fields_in_a_form_changes_nothing_and_scrolls_the_form(qtbot, new_store):
    editor = open_editor(qtbot, new_store)
    editor.tabs.setCurrentWidget(editor.basic)
    kind, flag = form_field(editor, "household_type"), form_field(editor, "military_family")
    kind.set_value("脱贫户")
    editor.findChild(QWidget, "national_hh_no").setFocus()
    before = (kind.value(), flag.currentIndex(), editor.basic.verticalScrollBar().value())
    for field in (kind, flag):
        assert field.focusPolicy() == Qt.FocusPolicy.StrongFocus and not field.hasFocus()
        wheel(field)
        wheel(field, 3)
        wheel(field, -2)
    assert (kind.value(), flag.currentIndex()) == before[:2]
    assert not kind.hasFocus() and not flag.hasFocus()
    assert editor.basic.verticalScrollBar().value() != before[2]  # the wheel scrolled the page instead
    assert not editor.is_dirty()


def test_wheel_over_unfocused_spin_and_date_boxes_changes_nothing(qtbot):
    dialog = SettingsDialog(Settings(), lambda _s: None)  # the app's own number boxes
    qtbot.addWidget(dialog)
    area = QScrollArea()
    inner = QWidget()
    layout = QVBoxLayout(inner)
    boxes = [QSpinBox(value=5), QDoubleSpinBox(value=2.5), QDateEdit()]
    for box in boxes:
        layout.addWidget(box)
    layout.addSpacing(2000)
    area.setWidget(inner)
    qtbot.addWidget(area)
    area.resize(300, 200)
    area.show()
    dialog.show()
    qtbot.waitExposed(dialog)
    spins = [dialog.autolock, dialog.backup_keep, dialog.font_points]
    dialog.server.setFocus()
    values = [b.value() for b in spins] + [b.value() for b in boxes[:2]] + [boxes[2].date()]
    for box in [*spins, *boxes]:
        wheel(box)
        wheel(box, 2)
    assert [b.value() for b in spins] + [b.value() for b in boxes[:2]] + [boxes[2].date()] == values
    assert area.verticalScrollBar().value() > 0
    dialog.activateWindow()
    spins[0].setFocus()  # with the cursor in it, the wheel still changes a number as usual
    qtbot.waitUntil(spins[0].hasFocus)
    wheel(spins[0], 1)
    assert spins[0].value() == values[0] + 1


# ---- coded fields ---------------------------------------------------------------------------------
def test_half_typed_code_and_enter_takes_the_offered_entry_and_saves_it(qtbot, new_store):
    editor = open_editor(qtbot, new_store)
    kind = form_field(editor, "household_type")
    assert kind.value() == "脱贫户"
    kind.setFocus(Qt.FocusReason.TabFocusReason)  # as reached by Tab: the text is selected
    ime(kind, "一般")
    assert kind.currentText() == "一般" and kind.completer().popup().isVisible()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert kind.currentText() == "一般农户"
    save(qtbot, editor)
    assert load(new_store, editor.household.id).fields["household_type"] == "一般农户"


def test_pinyin_initials_and_code_numbers_pick_the_entry_and_escape_restores(qtbot, new_store):
    editor = open_editor(qtbot, new_store)
    kind = form_field(editor, "household_type")
    kind.set_value("脱贫户")
    kind.setFocus()
    kind.lineEdit().selectAll()
    qtbot.keyClicks(kind.lineEdit(), "ybnh")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)  # leaving the field takes the entry too
    assert kind.currentText() == kind.value() == "一般农户"
    kind.setFocus()
    kind.lineEdit().selectAll()
    qtbot.keyClicks(kind.lineEdit(), "1")  # national code 1 = 脱贫户
    qtbot.keyClick(kind, Qt.Key.Key_Return)
    assert kind.currentText() == "脱贫户"
    kind.lineEdit().selectAll()
    ime(kind, "一般")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert kind.currentText() == kind.value() == "脱贫户"
    kind.lineEdit().selectAll()
    qtbot.keyClicks(kind.lineEdit(), "qqq")  # points nowhere: the old value stays
    qtbot.keyClick(kind, Qt.Key.Key_Return)
    assert kind.currentText() == kind.value() == "脱贫户"
    assert not kind.property("outside")


def test_a_value_outside_the_table_is_kept_only_by_choice_and_is_marked(qtbot, new_store):
    editor = open_editor(qtbot, new_store)
    kind = form_field(editor, "household_type")
    kind.setFocus()
    kind.lineEdit().selectAll()
    ime(kind, "县定特殊户")
    qtbot.keyClick(kind, Qt.Key.Key_Return)
    assert kind.value() == kind.currentText() == "脱贫户"  # nothing in the table: refused, the old value stays

    def tick() -> None:
        menu = QApplication.activePopupWidget()
        next(a for a in menu.actions() if a.objectName() == "keepOutside").trigger()
        menu.close()

    kind.setFocus()
    kind.lineEdit().selectAll()
    ime(kind, "县定特殊户")
    QTimer.singleShot(200, tick)
    kind._context_menu(QPoint(5, 5))  # the right-click menu, with 保留表外值 ticked
    assert kind.value() == kind.currentText() == "县定特殊户"
    assert kind.property("outside") and "italic" in kind.lineEdit().styleSheet()
    assert "不在代码表中" in kind.lineEdit().toolTip()
    save(qtbot, editor)
    assert load(new_store, editor.household.id).fields["household_type"] == "县定特殊户"
    assert form_field(editor, "household_type").property("outside")  # still marked after reading it back


def test_typing_on_a_filled_cell_replaces_it(qtbot, new_store):
    editor = open_editor(qtbot, new_store)
    editor.tabs.setCurrentWidget(editor.members)
    table = editor.members.table
    row = next(r for r, ms in enumerate(editor.members.rows) if ms.fields.get("relation") == "户主")
    table.setFocus()
    table.setCurrentCell(row, COL["relation"])
    qtbot.keyClicks(table, "p")  # 配偶's initials, typed on the cell that holds 户主: the first key opens it
    qtbot.keyClicks(QApplication.focusWidget(), "o")
    cell_editor = QApplication.focusWidget()
    assert isinstance(cell_editor, QComboBox) and cell_editor.currentText() == "po"
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert table.item(row, COL["relation"]).text() == "配偶"
    assert editor.members.rows[row].fields["relation"] == "配偶"
    table.setCurrentCell(row, COL["name"])
    table.setFocus()
    qtbot.keyClicks(table, "a")
    qtbot.keyClicks(QApplication.focusWidget(), "bc")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert editor.members.rows[row].fields["name"] == "abc"
