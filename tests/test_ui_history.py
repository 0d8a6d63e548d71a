"""The editor's 历史 tab with real widgets: whose record changed, filters, and 恢复此原值."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from fupin_desktop.services import households as svc
from fupin_desktop.services.households import unit_of_work
from ui import messages
from ui.editor.history import ALL_PEOPLE, HOUSEHOLD_ONLY
from ui.qt import QImage

from . import factories
from .test_ui_editor import YEAR, idle, load, open_editor, stored

SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def rows(editor) -> list[list[str]]:
    table = editor.history.table
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def test_history_names_the_member_filters_and_puts_a_value_back(qtbot, new_store, monkeypatch):
    hh_id = stored(new_store, factories.household(extra_members=3))
    xiaoming = next(m.fields["id"] for m in load(new_store, hh_id).members if m.fields["name"] == "张小明")
    with unit_of_work(new_store, user="李书记") as uow:
        svc.save_member_year(uow, xiaoming, YEAR, {"health": "长期慢性病"})
        svc.update_household(uow, hh_id, {"phone": "13900002222"})
    editor = open_editor(qtbot, new_store, hh_id)
    editor.resize(1366, 768)
    editor.tabs.setCurrentWidget(editor.history)
    health = [r for r in rows(editor) if r[5] == "健康状况" and r[2] == "修改"]
    assert [r[1:] for r in health] == [["李书记", "修改", "成员年度情况", "张小明 2024年", "健康状况", "健康",
                                        "长期慢性病"]]
    if os.environ.get("FUPIN_SHOTS"):  # docs/screenshots/history-member.png, looked at before committing
        editor.history.table.setCurrentCell(1, 4)  # 张小明 健康状况
        image = editor.grab().toImage().convertToFormat(QImage.Format.Format_Indexed8)  # small enough to commit
        image.save(str(SHOTS / "history-member.png"))

    history = editor.history
    history.filter_by(person="张小明")
    assert rows(editor) and all(r[4].startswith("张小明") for r in rows(editor))
    assert "显示" in history.note.text()
    history.filter_by(person=HOUSEHOLD_ONLY)
    names = {m.fields["name"] for m in load(new_store, hh_id).members}
    assert "本户" in {r[4] for r in rows(editor)} and not any(n in r[4] for r in rows(editor) for n in names)
    history.filter_by(person=ALL_PEOPLE, field="健康状况")
    assert {r[5] for r in rows(editor)} == {"健康状况"} and len(rows(editor)) >= 2  # the insert and the change

    # An entry of a new record has no old value to put back; the change has.
    inserted = next(i for i, r in enumerate(rows(editor)) if r[2] == "新增")
    history.table.setCurrentCell(inserted, 0)
    assert not history.put_back_button.isEnabled()
    changed = next(i for i, r in enumerate(rows(editor)) if r[2] == "修改")
    history.table.setCurrentCell(changed, 0)
    assert history.put_back_button.isEnabled()
    asked: list[str] = []
    monkeypatch.setattr(messages, "confirm", lambda _p, text, *a, **k: asked.append(text) or True)
    history.put_back_button.click()
    idle(qtbot)
    qtbot.waitUntil(lambda: load(new_store, hh_id).members[2].years[YEAR]["health"] == "健康")
    assert asked == ["把张小明 2024年的“健康状况”恢复为 健康？"]
    qtbot.waitUntil(lambda: rows(editor) and rows(editor)[0][6:] == ["长期慢性病", "健康"])
    assert history.field_filter.currentText() == "健康状况"  # the reload kept the filter


def test_put_back_waits_for_unsaved_edits(qtbot, new_store, monkeypatch):
    hh_id = stored(new_store)
    with unit_of_work(new_store) as uow:
        svc.update_household(uow, hh_id, {"phone": "13900002222"})
    editor = open_editor(qtbot, new_store, hh_id)
    editor.basic.first_field().setFocus()
    qtbot.keyClicks(editor.basic.first_field(), "x")
    qtbot.waitUntil(editor.is_dirty)
    asked: list[str] = []
    monkeypatch.setattr(messages, "confirm", lambda *a, **k: asked.append("asked") or True)
    shown: list[str] = []
    monkeypatch.setattr("ui.editor.window.show_exception", lambda _p, err: shown.append(str(err)))
    editor.tabs.setCurrentWidget(editor.history)
    row = next(i for i, r in enumerate(rows(editor)) if r[5] == "联系电话")
    editor.history.table.setCurrentCell(row, 0)
    editor.history.put_back_button.click()
    assert asked == [] and shown and "未保存" in shown[0]
    assert load(new_store, hh_id).fields["phone"] == "13900002222"
