"""The editor's findings panel with real widgets: a new four-member household typed by keyboard
lists its three real mistakes first, the blanks collapsed below, and Enter still leads to the field."""

from __future__ import annotations

from datetime import date

import pytest

pytest.importorskip("pytestqt")

from fupin_desktop.validation.idnumber import make_id
from ui.qt import Qt

from ui.editor.members import COL
from .test_ui_editor import enter, focused, open_editor, type_member

HEAD = make_id("520102", date(1968, 2, 3), 11)
WIFE = make_id("520102", date(1970, 7, 9), 22)
WRONG_CHECK_DIGIT = WIFE[:17] + ("0" if WIFE[17] != "0" else "1")
DAUGHTER = make_id("520102", date(2001, 11, 30), 32)
SON = make_id("520102", date(2005, 3, 4), 41)


def new_four_member_household(qtbot, store):
    editor = open_editor(qtbot, store, None)
    focused().insert("第二组")
    enter(qtbot)
    for name, id_no, relation in (("王大山", HEAD, None), ("刘桂花", WRONG_CHECK_DIGIT, "配偶"),
                                  ("王小丫", DAUGHTER, "之女"), ("王小虎", SON, "之子")):
        type_member(qtbot, editor, name, id_no, relation)
    table = editor.members.table
    table.item(2, COL["gender"]).setText("男")  # the daughter marked male
    table.item(3, COL["birth_date"]).setText("2006-03-04")  # the son's ID says 2005-03-04
    return editor


def rows(editor) -> list[str]:
    panel = editor.findings.list
    return [panel.item(i).text() for i in range(panel.count())]


def selectable(editor) -> list[int]:
    panel = editor.findings.list
    return [i for i in range(panel.count()) if panel.item(i).flags() & Qt.ItemFlag.ItemIsSelectable]


def test_new_household_lists_the_real_errors_first(qtbot, new_store):
    editor = new_four_member_household(qtbot, new_store)
    qtbot.waitUntil(lambda: any("校验位错误" in text for text in rows(editor)), timeout=5000)
    texts, real = rows(editor), selectable(editor)
    assert texts[0] == "身份与关系错误" and 0 not in real
    first = [texts[i] for i in real[:3]]
    assert "刘桂花 证件号码：校验位错误" in first[0]
    assert first[1].startswith("王小丫 性别“男”与证件号码（女）不一致")
    assert any(t.startswith("王小虎 出生日期 2006-03-04 与证件号码（2005-03-04）不一致") for t in texts[:6])
    # Then the blanks, one line per tab and per person, not one line per field.
    blanks = texts[texts.index("未填写") + 1:]
    assert any(t.startswith("生产生活条件：") and "项未填写" in t for t in blanks)
    assert [t for t in blanks if t.startswith("家庭成员 ")][:1] and len(blanks) <= 8
    assert not any("面积(亩)未填写" in t for t in texts)
    assert not any("None" in t for t in texts)
    title = editor.findings.title.text()
    assert title.startswith("核查结果：4 个错误，") and "项未填写" in title

    # F8 lands on the first finding (not its heading) and Enter leads to 刘桂花's ID number.
    qtbot.keyClick(editor, Qt.Key.Key_F8)
    panel = editor.findings.list
    assert panel.hasFocus() and panel.currentRow() == real[0]
    qtbot.keyClick(panel, Qt.Key.Key_Return)
    table = editor.members.table
    assert editor.tabs.currentWidget() is editor.members and table.hasFocus()
    assert (table.currentRow(), table.currentColumn()) == (1, COL["id_no"])

    # A collapsed line leads to the first blank field of its tab.
    conditions = next(i for i in real if texts[i].startswith("生产生活条件："))
    panel.setFocus()
    panel.setCurrentRow(conditions)
    qtbot.keyClick(panel, Qt.Key.Key_Return)
    target = editor.findings.rows[panel.item(conditions).data(Qt.ItemDataRole.UserRole)].target
    widget = editor.locator.form_field(target.field)
    assert widget is not None and widget.hasFocus()
    assert editor.tabs.tabText(editor.tabs.currentIndex()).endswith("生产生活条件")
