"""Issue 3's main flow, end to end in the real app (offscreen): set-up wizard → a household with
three members typed by keyboard → save → lock → unlock → search "zs" finds it → edit its income →
the history shows the change."""

from __future__ import annotations

from datetime import date

import pytest

pytest.importorskip("pytestqt")

from fupin_desktop.validation.idnumber import make_id
from ui.editor.income import AMOUNT, CATEGORY, ITEM
from ui.qt import Qt

from .conftest import PASSWORD
from .test_ui_app import app, idle, run_wizard  # noqa: F401  (app is a fixture)
from .test_ui_editor import CTRL, enter, focused, type_member


def test_the_whole_first_day(qtbot, app):  # noqa: F811 (the fixture imported above)
    run_wizard(qtbot, app)
    window = app.window
    idle(qtbot)

    qtbot.keyClick(window, Qt.Key.Key_N, CTRL)  # 新增户
    qtbot.waitUntil(lambda: len(window.editors) == 1)
    editor = next(iter(window.editors.values()))
    qtbot.waitUntil(lambda: editor.loaded)
    editor.activateWindow()
    focused().insert("第一组")
    enter(qtbot)
    qtbot.keyClicks(focused(), "5201020030040001")
    for name, id_no, relation in (("张三", make_id("520102", date(1966, 4, 1), 15), None),
                                  ("李梅", make_id("520102", date(1968, 9, 9), 24), "配偶"),
                                  ("张小宝", make_id("520102", date(2012, 5, 20), 37), "之子")):
        type_member(qtbot, editor, name, id_no, relation)
    with qtbot.waitSignal(editor.saved, timeout=20_000):
        qtbot.keyClick(editor, Qt.Key.Key_S, CTRL)
    idle(qtbot)
    household_id = editor.household_id
    editor.close()

    app.lock()
    assert app.archive is None
    dialog = app.unlock_dialog
    qtbot.keyClicks(dialog.password, PASSWORD)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: app.window is not None, timeout=20_000)
    window = app.window
    idle(qtbot)

    qtbot.keyClicks(window.search, "zs")
    qtbot.waitUntil(lambda: window.query.text == "zs" and window.count_label.text() == "共 1 户", timeout=5_000)
    assert window.model.household_id(0) == household_id
    assert window.model.row(0)["head_name"] == "张三"

    qtbot.keyClick(window.search, Qt.Key.Key_Return)  # opens the first match
    qtbot.waitUntil(lambda: household_id in window.editors)
    editor = window.editors[household_id]
    qtbot.waitUntil(lambda: editor.loaded)
    editor.activateWindow()
    qtbot.keyClick(editor, Qt.Key.Key_5, Qt.KeyboardModifier.AltModifier)  # 收入核算
    table = editor.income.table
    table.setFocus()
    qtbot.keyClick(editor.income, Qt.Key.Key_Insert)  # a new line
    qtbot.waitUntil(lambda: table.rowCount() >= 1)
    new_row = table.rowCount() - 1
    table.item(new_row, CATEGORY).setText("工资性收入")  # chosen from the drop-down in real use
    table.item(new_row, ITEM).setText("务工收入")
    table.setCurrentCell(new_row, AMOUNT)
    qtbot.keyClick(table, Qt.Key.Key_3)  # typing starts editing, as in a spreadsheet
    qtbot.keyClicks(focused(), "6000")
    enter(qtbot)
    with qtbot.waitSignal(editor.saved, timeout=20_000):
        qtbot.keyClick(editor, Qt.Key.Key_S, CTRL)
    idle(qtbot)
    qtbot.keyClick(editor, Qt.Key.Key_9, Qt.KeyboardModifier.AltModifier)  # 历史
    history = editor.history.table
    rows = [[history.item(r, c).text() for c in range(8)] for r in range(history.rowCount())]
    assert any(row[3] == "收入明细" and row[7] == "36000.00" for row in rows), rows
    editor.close()
