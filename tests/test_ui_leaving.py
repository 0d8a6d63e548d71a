"""Issue 14 items 3 with real widgets: 注销 and 恢复 from the editor and the main window, the list's
"显示已注销" toggle, deleting a household typed by mistake, editing and deleting a visit and deleting
a measure in the editor — each saved as logged changes."""

from __future__ import annotations

import json
from datetime import date

import pytest

pytest.importorskip("pytestqt")

from sqlalchemy import select

from fupin_desktop.archive import Archive
from fupin_desktop.bundle import MeasureData
from fupin_desktop.model import ChangeLog, Household, Measure, Visit
from fupin_desktop.services.households import add_measure, add_visit, unit_of_work
from ui import messages
from ui.main_window import MainWindow
from ui.editor.visits import VisitDialog
from ui.qt import QPushButton, QSettings, Qt

from . import factories
from .test_ui_editor import CTRL, idle, open_editor, stored

TODAY = date.today()


def status(store, hh: str) -> tuple:
    with store.engine.connect() as conn:
        return tuple(conn.execute(select(Household.record_status, Household.left_reason, Household.left_on)
                                  .where(Household.id == hh)).one())


def last_log(store, entity: str, entity_id: str) -> tuple[str, dict]:
    with store.engine.connect() as conn:
        op, fields = conn.execute(select(ChangeLog.op, ChangeLog.fields).where(
            ChangeLog.entity == entity, ChangeLog.entity_id == entity_id).order_by(ChangeLog.seq.desc())).first()
    return op, json.loads(fields)


def test_leave_and_restore_from_the_editor(qtbot, new_store, monkeypatch):
    hh = stored(new_store)
    editor = open_editor(qtbot, new_store, hh)
    assert editor.leave_action.isEnabled() and not editor.restore_action.isEnabled()
    assert not editor.left_banner.isVisible()
    editor.leave_action.trigger()
    dialog = editor.leave_dialog
    assert dialog.isVisible() and dialog.on.value() == TODAY.isoformat()
    dialog.reason.set_value("其他")
    dialog.accept()  # 其他 without words: refused in the dialog, nothing written
    idle(qtbot)
    qtbot.waitUntil(lambda: "写明原因" in dialog.error.text())
    assert dialog.isVisible() and status(new_store, hh) == ("在册", None, None)
    dialog.reason.set_value("整户迁出")
    dialog.accept()
    idle(qtbot)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert status(new_store, hh) == ("注销", "整户迁出", TODAY)
    qtbot.waitUntil(lambda: editor.restore_action.isEnabled())
    assert editor.left_banner.isVisible() and "整户迁出" in editor.left_banner.text()
    assert not editor.leave_action.isEnabled()

    monkeypatch.setattr(messages, "confirm", lambda *a, **k: True)
    editor.restore_action.trigger()
    idle(qtbot)
    qtbot.waitUntil(lambda: editor.leave_action.isEnabled())
    assert status(new_store, hh) == ("在册", None, None) and not editor.left_banner.isVisible()
    assert last_log(new_store, "household", hh)[1]["record_status"] == ["注销", "在册"]


def test_the_list_hides_left_households_until_asked_and_deletes_a_mistake(qtbot, tmp_path, new_store, monkeypatch):
    kept = stored(new_store)
    gone = stored(new_store, factories.household(head="王五", hh_no="5201020030040002"))
    Archive(new_store).leave_household(gone, "识别错误", TODAY.isoformat())
    win = MainWindow(Archive(new_store), settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                     on_lock=lambda: None)
    qtbot.addWidget(win)
    win.show()
    idle(qtbot)
    assert win.model.ids == [kept]
    win.show_left.setChecked(True)
    idle(qtbot)
    qtbot.waitUntil(lambda: set(win.model.ids) == {kept, gone})
    row = win.model.ids.index(gone)
    head = win.model.index(row, [c.key for c in win.model.columns].index("head_name"))
    assert win.model.data(head) == "王五（已注销）"
    assert win.model.data(head, Qt.ItemDataRole.ForegroundRole).color().name() == "#999999"

    # The household typed by mistake (never sent) is deleted after the confirmation.
    mistake = stored(new_store, factories.household(head="赵六", hh_no="5201020030040003"))
    win.run_search()
    idle(qtbot)
    qtbot.waitUntil(lambda: mistake in win.model.ids)
    asked: list[str] = []
    monkeypatch.setattr(messages, "confirm", lambda _p, text, *a, **k: asked.append(text) or True)
    win.table.selectRow(win.model.ids.index(mistake))
    win.delete_selected()
    idle(qtbot)
    qtbot.waitUntil(lambda: mistake not in win.model.ids)
    assert asked and "彻底删除" in asked[0]
    with new_store.engine.connect() as conn:
        assert conn.execute(select(Household.id).where(Household.id == mistake)).first() is None
    win.close()


def test_a_visit_edited_and_deleted_and_a_measure_deleted_in_the_editor(qtbot, new_store):
    hh = stored(new_store)
    with unit_of_work(new_store) as uow:
        kept = add_visit(uow, hh, {"visited_on": date(2024, 4, 1), "content": "送春联"})
        dropped = add_visit(uow, hh, {"visited_on": date(2024, 3, 1), "content": "误录"})
        measure = add_measure(uow, hh, MeasureData({"year": 2024, "category": "产业帮扶", "name": "鸡苗"}))
    editor = open_editor(qtbot, new_store, hh)

    editor.tabs.setCurrentWidget(editor.visits)
    visits = editor.visits
    [row] = [r for r, (v, _s) in enumerate(visits.rows) if v["id"] == kept]
    visits.table.setCurrentCell(row, 0)
    visits.edit_current()
    [dialog] = visits.findChildren(VisitDialog)
    dialog.fields["content"].set_value("送春联和米面油")
    dialog.accept()
    assert "送春联和米面油" in visits.table.item(row, 2).text()
    [row] = [r for r, (v, _s) in enumerate(visits.rows) if v["id"] == dropped]
    visits.table.setCurrentCell(row, 0)
    visits.remove_current()
    assert len(visits.rows) == 1

    editor.tabs.setCurrentWidget(editor.measures)
    editor.measures.table.setCurrentCell(0, 0)
    editor.measures.findChild(QPushButton, "removeMeasure").click()
    assert editor.measures.table.rowCount() == 0 and editor.is_dirty()

    with qtbot.waitSignal(editor.saved, timeout=20_000):
        qtbot.keyClick(editor, Qt.Key.Key_S, CTRL)
    idle(qtbot)
    assert last_log(new_store, "visit", kept) == ("update", {"content": ["送春联", "送春联和米面油"]})
    assert last_log(new_store, "visit", dropped)[0] == "delete"
    assert last_log(new_store, "measure", measure)[0] == "delete"
    with new_store.engine.connect() as conn:
        assert conn.execute(select(Visit.id)).scalars().all() == [kept]
        assert conn.execute(select(Measure.id)).scalars().all() == []
    qtbot.waitUntil(lambda: not editor.is_dirty())
