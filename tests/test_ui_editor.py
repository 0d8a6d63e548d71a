"""The household editor driven by keyboard (pytest-qt, offscreen), against a real encrypted store."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

import shiboken6
from sqlalchemy import func, select

from fupin_desktop.archive import Archive
from fupin_desktop.model import Attachment, ChangeLog, Household, LoanDetail
from fupin_desktop.drafts import read_draft
from fupin_desktop.queries.load import load_households
from fupin_desktop.services.households import create_households
from fupin_desktop.services.households import unit_of_work
from fupin_desktop.validation.idnumber import make_id
from ui.app import install_cjk_font
from ui.editor import HouseholdEditor
from ui.editor.income import AMOUNT
from ui.editor.members import COL
from ui.operations import hub
from ui.qt import QApplication, QLineEdit, QMessageBox, Qt, QWidget

from . import factories

YEAR = 2024
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture(autouse=True)
def cjk_font(qapp):
    install_cjk_font(QApplication.instance())


def idle(qtbot) -> None:
    qtbot.waitUntil(lambda: hub().tasks.pending == 0, timeout=20_000)


def stored(store, household=None) -> str:
    household = household or factories.household()
    with unit_of_work(store) as uow:
        create_households(uow, [household])
    return household.id


def open_editor(qtbot, store, household_id: str | None, *, keep: bool = True) -> HouseholdEditor:
    editor = HouseholdEditor(Archive(store), household_id, year=YEAR)
    if keep:  # closed by pytest-qt at the end (not for editors the test destroys itself)
        qtbot.addWidget(editor)
    editor.show()
    qtbot.waitExposed(editor)
    editor.activateWindow()
    idle(qtbot)
    qtbot.waitUntil(lambda: editor.loaded)
    return editor


def focused() -> QWidget:
    return QApplication.focusWidget()


def enter(qtbot) -> None:
    qtbot.keyClick(focused(), Qt.Key.Key_Return)


def field(editor: HouseholdEditor, name: str) -> QWidget:
    return editor.findChild(QWidget, name)


def load(store, household_id: str):
    with store.engine.connect() as conn:
        return load_households(conn, [household_id])[0]


def message_box(widget: QWidget, name: str) -> QMessageBox:
    box = widget.findChild(QMessageBox, name)
    assert box is not None, f"no {name}"
    return box


def type_member(qtbot, editor, name: str, id_no: str, relation: str | None) -> None:
    """Ctrl+M, then name ⏎ ID ⏎ (birth date and gender are filled and skipped) relation ⏎."""
    qtbot.keyClick(editor, Qt.Key.Key_M, CTRL)
    assert editor.tabs.currentWidget() is editor.members
    assert editor.members.table.currentColumn() == COL["name"]
    focused().insert(name)  # QTest types ASCII only; an input method would insert the Chinese
    enter(qtbot)
    assert editor.members.table.currentColumn() == COL["id_no"]
    qtbot.keyClicks(focused(), id_no)
    enter(qtbot)
    assert editor.members.table.currentColumn() == COL["relation"]
    if relation:
        focused().setCurrentText(relation)
    enter(qtbot)


def test_new_household_by_keyboard(qtbot, new_store):
    editor = open_editor(qtbot, new_store, None)
    assert focused().objectName() == "group_name"
    focused().insert("第二组")
    enter(qtbot)
    assert focused().objectName() == "national_hh_no"
    qtbot.keyClicks(focused(), "5201020030040099")
    enter(qtbot)
    focused().insert("第二组8号")
    enter(qtbot)
    assert focused().objectName() == "phone"
    qtbot.keyClicks(focused(), "13900001111")

    people = [("王大山", make_id("520102", date(1968, 2, 3), 11), None),  # the first is 户主
              ("刘桂花", make_id("520102", date(1970, 7, 9), 22), "配偶"),
              ("王小丫", make_id("520102", date(2001, 11, 30), 32), "之女")]
    for name, id_no, relation in people:
        type_member(qtbot, editor, name, id_no, relation)
    table = editor.members.table
    assert [table.item(r, COL["relation"]).text() for r in range(3)] == ["户主", "配偶", "之女"]
    assert table.item(1, COL["birth_date"]).text() == "1970-07-09"
    assert table.item(1, COL["gender"]).text() == "女"

    with qtbot.waitSignal(editor.saved, timeout=20_000) as saved:
        qtbot.keyClick(editor, Qt.Key.Key_S, CTRL)
    idle(qtbot)
    qtbot.waitUntil(lambda: not editor.is_dirty())
    assert saved.args == [editor.household_id]
    saved = load(new_store, editor.household_id)
    assert saved.fields["phone"] == "13900001111"
    assert saved.fields["group_name"] == "第二组"
    members = {m.fields["name"]: m.fields for m in saved.members}
    assert set(members) == {"王大山", "刘桂花", "王小丫"}
    assert members["王大山"]["relation"] == "户主"
    assert members["王小丫"]["birth_date"] == date(2001, 11, 30)
    assert members["王小丫"]["gender"] == "女" and members["王大山"]["gender"] == "男"
    assert members["刘桂花"]["id_type"] == "身份证"
    assert saved.fields["head_name"] == "王大山" and saved.fields["member_count"] == 3


def test_income_section_sets_rigid_expense_against_the_line(qtbot, new_store):
    """收支核算 in the editor: 28,700.50 元 for 3 people is above the 2024 line of 7,300, but not once
    8,000 元 of medical costs are paid; an 边缘易致贫户's 收入参考范围 is shown beside it."""
    hh = factories.household()
    hh.incomes[YEAR].lines.append({"category": "刚性支出", "item": "合规自付医疗费用", "amount": Decimal(8000)})
    hh.years[YEAR].update(monitoring_category="边缘易致贫户", household_type="一般农户", attribute=None)
    editor = open_editor(qtbot, new_store, stored(new_store, hh))
    qtbot.keyClick(editor, Qt.Key.Key_5, Qt.KeyboardModifier.AltModifier)
    labels = editor.income.labels
    assert labels["incomePerCapita"].text().startswith("9,566.83")
    assert "高于监测范围" in labels["incomeDiff"].text()
    assert labels["incomeRigid"].text() == "8,000.00 元"
    after = labels["incomeAfterRigid"]
    assert after.text().startswith("6,900.17 元") and "低于 399.83 元" in after.text()  # 20,700.50 ÷ 3
    assert "#c62828" in after.styleSheet()
    assert labels["incomeRange"].text() == "不超过 7,300.00 元"
    editor.income.table.item(4, AMOUNT).setText("2000")  # the medical costs cut to 2,000: 8,900.17 a head
    assert labels["incomeAfterRigid"].text().startswith("8,900.17 元")
    assert "#2e7d32" in labels["incomeAfterRigid"].styleSheet() and editor.is_dirty()
    field = next(f.fields[key] for f in editor.forms for key in f.fields if key[1] == "monitoring_category")
    field.set_value("")  # no longer a 监测对象 as typed: no range of its own
    qtbot.keyClick(editor, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClick(editor, Qt.Key.Key_5, Qt.KeyboardModifier.AltModifier)
    assert labels["incomeRange"].text().startswith("—")


def test_income_edit_shows_in_history(qtbot, new_store):
    hh_id = stored(new_store)
    editor = open_editor(qtbot, new_store, hh_id)
    qtbot.keyClick(editor, Qt.Key.Key_5, Qt.KeyboardModifier.AltModifier)
    assert editor.tabs.currentWidget() is editor.income
    table = editor.income.table
    assert editor.income.labels["incomePerCapita"].text().startswith("9,566.83")
    table.setFocus()
    table.setCurrentCell(0, AMOUNT)  # 务工收入 24000
    qtbot.keyClick(table, Qt.Key.Key_3)  # typing starts editing, as in a spreadsheet
    qtbot.keyClicks(focused(), "0000")
    enter(qtbot)
    # 30000 + 1200.50 + 5000 − 1500 = 34700.50 for 3 people, above the 2024 line of 7300
    assert editor.income.labels["incomePerCapita"].text().startswith("11,566.83")
    assert "高于监测范围" in editor.income.labels["incomeDiff"].text()
    assert "#2e7d32" in editor.income.labels["incomeDiff"].styleSheet()
    assert editor.is_dirty()

    with qtbot.waitSignal(hub().changed, timeout=20_000) as broadcast:
        qtbot.keyClick(editor, Qt.Key.Key_S, CTRL)
    idle(qtbot)
    qtbot.waitUntil(lambda: not editor.is_dirty())
    assert load(new_store, hh_id).incomes[YEAR].fields["per_capita_net"] == Decimal("11566.83")
    (changes,) = broadcast.args  # what the core committed, not what the window expected
    assert changes.households == {hh_id} and "income_line" in changes.tables and changes.sync_states
    qtbot.keyClick(editor, Qt.Key.Key_9, Qt.KeyboardModifier.AltModifier)
    history = editor.history.table
    rows = [[history.item(r, c).text() for c in range(8)] for r in range(history.rowCount())]
    changed = [row for row in rows if [*row[2:4], row[5]] == ["修改", "收入明细", "金额(元)"]]
    assert len(changed) == 1 and changed[0][6] == "24000.00" and Decimal(changed[0][7]) == 30000
    assert changed[0][4] == "2024年 务工收入"  # whose line it was
    assert rows[0][1] == "admin"


def test_wrong_id_number_is_listed_and_leads_to_the_cell(qtbot, new_store):
    household = factories.household()
    wife = household.members[1].fields
    good = wife["id_no"]
    wife["id_no"] = good[:17] + ("0" if good[17] != "0" else "1")  # wrong check digit
    hh_id = stored(new_store, household)
    editor = open_editor(qtbot, new_store, hh_id)
    findings = editor.findings.list
    rows = [findings.item(i).text() for i in range(findings.count())]
    hit = next(i for i, text in enumerate(rows) if "校验位错误" in text)
    assert "李秀英" in rows[hit]

    qtbot.keyClick(editor, Qt.Key.Key_F8)
    findings.setCurrentRow(hit)
    qtbot.keyClick(findings, Qt.Key.Key_Return)
    table = editor.members.table
    assert editor.tabs.currentWidget() is editor.members
    assert table.hasFocus()
    assert (table.currentRow(), table.currentColumn()) == (editor.members.row_of(wife["id"]), COL["id_no"])
    assert "校验位错误" in table.currentItem().toolTip()

    # Correcting it clears the finding while typing (no save needed).
    table.currentItem().setText(good)
    qtbot.waitUntil(lambda: not any("校验位错误" in findings.item(i).text() for i in range(findings.count())))


def test_draft_survives_a_crash_and_stays_encrypted(qtbot, new_store):
    hh_id = stored(new_store)
    editor = open_editor(qtbot, new_store, hh_id, keep=False)
    account = editor.findChild(QLineEdit, "bank_account")
    account.setFocus()
    account.selectAll()
    secret = "6217999988887777"
    qtbot.keyClicks(account, secret)
    editor.draft_timer.timeout.emit()  # as if 2 seconds had passed
    idle(qtbot)
    with new_store.engine.connect() as conn:
        assert secret in read_draft(conn, "draft:" + hh_id)
    for path in Path(new_store.path).rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
    shiboken6.delete(editor)  # no closeEvent, no question: like a power cut

    again = open_editor(qtbot, new_store, hh_id)
    box = message_box(again, "draftBox")
    assert box.text() == "恢复未保存的草稿？"
    box.button(QMessageBox.StandardButton.Yes).click()
    assert again.findChild(QLineEdit, "bank_account").text() == secret
    assert again.is_dirty()
    qtbot.waitUntil(again.isActiveWindow)
    qtbot.keyClick(again, Qt.Key.Key_S, CTRL)
    idle(qtbot)
    qtbot.waitUntil(lambda: not again.is_dirty())
    assert load(new_store, hh_id).fields["bank_account"] == secret
    with new_store.engine.connect() as conn:
        assert read_draft(conn, "draft:" + hh_id) is None


def test_draft_of_a_new_household_is_offered_again(qtbot, new_store):
    editor = open_editor(qtbot, new_store, None, keep=False)
    focused().insert("第三组")
    editor.draft_timer.timeout.emit()
    idle(qtbot)
    shiboken6.delete(editor)
    again = open_editor(qtbot, new_store, None)
    message_box(again, "draftBox").button(QMessageBox.StandardButton.Yes).click()
    assert field(again, "group_name").value() == "第三组"


def test_bad_date_is_refused_and_nothing_is_saved(qtbot, new_store):
    hh_id = stored(new_store)
    with new_store.engine.connect() as conn:
        log_before = conn.execute(select(func.count()).select_from(ChangeLog)).scalar_one()
    editor = open_editor(qtbot, new_store, hh_id)
    field(editor, "phone").setFocus()
    field(editor, "phone").selectAll()
    qtbot.keyClicks(field(editor, "phone"), "13700002222")
    filled = field(editor, "filled_on")
    filled.setFocus()
    qtbot.keyClicks(filled, "2023-02-30")
    enter(qtbot)  # leaving the field already says what is wrong
    assert "日期不存在" in filled.toolTip()

    qtbot.keyClick(editor, Qt.Key.Key_S, CTRL)
    idle(qtbot)
    box = message_box(editor, "errorBox")
    assert "填表时间" in box.text() and "日期不存在" in box.text()
    assert editor.focusWidget() is filled  # where the cursor returns when the message is closed
    assert editor.is_dirty()
    with new_store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ChangeLog)).scalar_one() == log_before
        row = conn.execute(select(Household.phone, Household.filled_on).where(Household.id == hh_id)).one()
    assert tuple(row) == ("13812345678", None)


def test_closing_with_unsaved_changes_asks(qtbot, new_store):
    hh_id = stored(new_store)
    editor = open_editor(qtbot, new_store, hh_id, keep=False)
    field(editor, "address").setFocus()
    field(editor, "address").insert("改")
    editor.close()
    assert editor.isVisible()
    box = message_box(editor, "unsavedBox")
    assert [b.text() for b in box.buttons()] and box.button(QMessageBox.StandardButton.Save).text() == "保存"
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert editor.isVisible()
    editor.close()
    message_box(editor, "unsavedBox").button(QMessageBox.StandardButton.Save).click()
    idle(qtbot)
    qtbot.waitUntil(lambda: editor.gone)
    assert load(new_store, hh_id).fields["address"].startswith("改")


def test_screenshot(qtbot, new_store):
    hh_id = stored(new_store)
    editor = open_editor(qtbot, new_store, hh_id)
    editor.resize(1320, 880)
    for index, name in ((0, "editor"), (1, "editor_members"), (4, "editor_income")):
        editor.tabs.setCurrentIndex(index)
        qtbot.wait(50)
        assert editor.grab().save(f"/tmp/{name}.png")


def test_someone_already_in_the_store_is_assigned_from_the_list_read_when_the_dialog_opens(qtbot, new_store):
    """Opening a household does not read every 帮扶责任人 (a township has thousands); the assign
    dialog reads them when it opens, and a person saved since is in the list."""
    first, second = stored(new_store), stored(new_store)
    editor = open_editor(qtbot, new_store, first)
    assert editor.responsible.helpers is None
    editor.responsible.assign()
    qtbot.waitUntil(lambda: editor.findChild(QWidget, "assignDialog") is not None)
    assign = editor.findChild(QWidget, "assignDialog")
    assert assign.choice.count() == 1  # only "新增责任人"
    assign.fields["name"].set_value("钱干部")
    assign.fields["unit_name"].set_value("县民政局")
    assign.accept()
    editor.save()
    idle(qtbot)
    qtbot.waitUntil(lambda: not editor.is_dirty())
    helper_id = next(iter(load(new_store, first).helpers))

    other = open_editor(qtbot, new_store, second)
    other.responsible.assign()
    qtbot.waitUntil(lambda: other.findChild(QWidget, "assignDialog") is not None)
    dialog = other.findChild(QWidget, "assignDialog")
    assert [dialog.choice.itemData(i) for i in range(dialog.choice.count())] == ["", helper_id]
    dialog.choice.setCurrentIndex(1)
    dialog.accept()
    assert other.responsible.table.item(0, 0).text() == "钱干部"
    other.save()
    idle(qtbot)
    qtbot.waitUntil(lambda: not other.is_dirty())
    assert [a["helper_id"] for a in load(new_store, second).assignments] == [helper_id]


def test_measure_helper_and_visit_with_photo_are_saved(qtbot, new_store, tmp_path):
    hh_id = stored(new_store)
    editor = open_editor(qtbot, new_store, hh_id)
    editor.tabs.setCurrentWidget(editor.measures)
    editor.measures.add()
    dialog = editor.findChild(QWidget, "measureDialog")
    dialog.fields["category"].set_value("金融帮扶")  # picks the 小额信贷 detail by itself
    assert dialog.kind.currentData() == "loan"
    dialog.fields["amount"].set_value("50000")
    dialog.detail["bank"].set_value("农村信用社")
    dialog.detail["principal"].set_value("50000")
    dialog.accept()
    assert editor.measures.table.rowCount() == 1

    editor.responsible.assign()  # reads who can be assigned first, then opens
    qtbot.waitUntil(lambda: editor.findChild(QWidget, "assignDialog") is not None)
    assign = editor.findChild(QWidget, "assignDialog")
    assign.fields["name"].set_value("赵干部")
    assign.fields["unit_name"].set_value("县农业局")
    assign.accept()

    photo = tmp_path / "走访.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"photo-bytes-0123456789")
    editor.visits.add()
    visit = editor.findChild(QWidget, "visitDialog")
    visit.fields["content"].set_value("了解务工情况")
    visit.add_photos([str(photo)])
    visit.accept()
    assert editor.visits.table.item(0, 5).text() == "1 张"

    editor.activateWindow()  # the assign dialog opened after its read: the shortcut wants the window back
    qtbot.waitUntil(editor.isActiveWindow)
    qtbot.keyClick(editor, Qt.Key.Key_S, CTRL)
    idle(qtbot)
    qtbot.waitUntil(lambda: not editor.is_dirty())
    saved = load(new_store, hh_id)
    assert [(m.fields["category"], m.kind,
             m.detail["bank"]) for m in saved.measures] == [("金融帮扶", "loan", "农村信用社")]
    assert [h["name"] for h in saved.helpers.values()] == ["赵干部"]
    assert [v["content"] for v in saved.visits] == ["了解务工情况"]
    with new_store.engine.connect() as conn:
        data = conn.execute(select(Attachment.data).where(Attachment.owner_id == saved.visits[0]["id"])).scalar_one()
        assert conn.execute(select(LoanDetail.principal)).scalar_one() == Decimal("50000")
    assert data == photo.read_bytes()
    assert editor.visits.table.item(0, 5).text() == "1 张"  # read back from the store


def test_two_new_households_do_not_share_a_draft(qtbot, new_store):
    first = open_editor(qtbot, new_store, None)
    focused().insert("第四组")
    first.draft_timer.timeout.emit()
    idle(qtbot)
    second = open_editor(qtbot, new_store, None)
    assert second.findChild(QMessageBox, "draftBox") is None  # the first editor's draft is its own
    assert field(second, "group_name").value() == ""


def test_a_member_leaves_and_is_kept(qtbot, new_store):
    household = factories.household()
    son = household.members[2].fields
    hh_id = stored(new_store, household)
    editor = open_editor(qtbot, new_store, hh_id)
    editor.tabs.setCurrentWidget(editor.members)
    editor.members.focus_cell(son["id"], "name")
    editor.findChild(QWidget, "memberLeave").click()
    dialog = editor.findChild(QWidget, "leaveDialog")
    dialog.reason.set_value("迁出")
    dialog.accept()
    row = editor.members.row_of(son["id"])
    assert editor.members.table.item(row, len(COL)).text().startswith("待注销：迁出")
    qtbot.keyClick(editor, Qt.Key.Key_S, CTRL)
    idle(qtbot)
    qtbot.waitUntil(lambda: not editor.is_dirty())
    saved = {m.fields["id"]: m.fields for m in load(new_store, hh_id).members}
    assert saved[son["id"]]["record_status"] == "注销" and saved[son["id"]]["left_reason"] == "迁出"
    assert len(saved) == 3 and load(new_store, hh_id).fields["member_count"] == 2
    assert editor.members.table.item(row, len(COL)).text().startswith("已注销：迁出")


def test_locking_writes_the_draft_and_closes_without_asking(qtbot, new_store):
    hh_id = stored(new_store)
    editor = open_editor(qtbot, new_store, hh_id, keep=False)
    field(editor, "address").setFocus()
    field(editor, "address").insert("锁屏前")
    editor.save_draft_and_close()
    assert editor.gone and editor.findChild(QMessageBox, "unsavedBox") is None
    with new_store.engine.connect() as conn:
        assert "锁屏前" in read_draft(conn, "draft:" + hh_id)


def test_a_household_that_is_not_there_says_so(qtbot, new_store):
    editor = HouseholdEditor(Archive(new_store), "0" * 32, year=YEAR)
    qtbot.addWidget(editor)
    editor.show()
    idle(qtbot)
    assert "找不到这一户" in message_box(editor, "errorBox").text()
    assert not editor.loaded and not editor.centralWidget().isEnabled()


def test_the_cursor_stays_put_after_saving(qtbot, new_store):
    hh_id = stored(new_store)
    editor = open_editor(qtbot, new_store, hh_id)
    phone = field(editor, "phone")
    phone.setFocus()
    phone.selectAll()
    qtbot.keyClicks(phone, "13700003333")
    qtbot.keyClick(editor, Qt.Key.Key_S, CTRL)
    idle(qtbot)
    qtbot.waitUntil(lambda: not editor.is_dirty())
    assert editor.focusWidget() is phone
