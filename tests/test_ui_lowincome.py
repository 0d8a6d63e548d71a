"""The editor's year section: 社会救助类别 and 帮扶层级 (the layer's hint and LIN-01 while typing) and the
year's 评估 of a former 建档立卡 household, typed, saved and logged (pytest-qt, real store, offscreen)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from sqlalchemy import select

from fupin_desktop.model import ChangeLog
from fupin_desktop.queries.editor import editor_snapshot
from fupin_desktop.services.users import add_user
from ui.qt import QWidget, Qt

from . import factories
from .test_ui_editor import CTRL, YEAR, cjk_font, idle, load, open_editor, stored  # noqa: F401 (fixture)

SHOT = Path(__file__).resolve().parent.parent / "docs" / "screenshots" / "editor-lowincome.png"


def _type_code(qtbot, editor, name: str, typed: str) -> QWidget:
    field = editor.findChild(QWidget, name)
    field.setFocus()
    field.lineEdit().selectAll()
    qtbot.keyClicks(field.lineEdit(), typed)
    field.commit()
    return field


def test_categories_and_the_assessment_are_typed_checked_saved_and_logged(qtbot, tmp_path, new_store):
    editor = open_editor(qtbot, new_store, stored(new_store, factories.household()))
    layer = editor.findChild(QWidget, "support_layer")
    assert layer.lineEdit().placeholderText() == "不填则按劳动技能：开发式帮扶"  # everyone is 普通劳动力
    assert _type_code(qtbot, editor, "assistance_category", "dbdx").value() == "低保对象"  # pinyin initials
    assert _type_code(qtbot, editor, "support_layer", "ddbz").value() == "兜底保障"
    qtbot.waitUntil(lambda: any(f.rule == "LIN-01" for f in editor.findings.findings), timeout=5_000)
    assert _type_code(qtbot, editor, "reassess_result", "jxbf").value() == "继续帮扶"
    when = editor.findChild(QWidget, "reassessed_on")
    when.setFocus()
    qtbot.keyClicks(when, "2024.3.5")
    editor.findChild(QWidget, "reassessed_by").setFocus()  # leaving the date shows what it means
    assert when.value() == "2024-03-05"
    recorder = editor.findChild(QWidget, "reassessed_by")
    assert recorder.value() == new_store.username  # named when the result was chosen (no 姓名 on file for admin)
    recorder.clear()  # and changed by the person, before saving
    recorder.insert("李干事")  # typed as an input method commits it
    editor.findChild(QWidget, "reassess_reason").insert("务工收入不稳定，继续帮扶一年")

    editor.resize(1366, 768)
    editor.tabs.setCurrentIndex(0)
    editor.basic.ensureWidgetVisible(editor.findChild(QWidget, "reassess_reason"), 40, 160)
    qtbot.wait(100)
    # The docs' picture only when asked (FUPIN_SHOTS=1): a test run leaves the checkout as it was.
    assert editor.grab().save(str(SHOT if os.environ.get("FUPIN_SHOTS") else tmp_path / SHOT.name))

    with qtbot.waitSignal(editor.saved, timeout=20_000):
        qtbot.keyClick(editor, Qt.Key.Key_S, CTRL)
    idle(qtbot)
    qtbot.waitUntil(lambda: not editor.is_dirty())
    year = load(new_store, editor.household_id).years[YEAR]
    assert {k: year[k] for k in ("assistance_category", "support_layer", "reassess_result", "reassessed_on",
                                 "reassessed_by", "reassess_reason")} == {
        "assistance_category": "低保对象", "support_layer": "兜底保障", "reassess_result": "继续帮扶",
        "reassessed_on": date(2024, 3, 5), "reassessed_by": "李干事", "reassess_reason": "务工收入不稳定，继续帮扶一年"}
    with new_store.engine.connect() as conn:
        logged = [c for c in conn.execute(select(ChangeLog.fields).where(ChangeLog.entity == "household_year"))
                  .scalars()]
    assert any("reassess_result" in c and "support_layer" in c for c in logged)


def test_the_list_shows_the_former_households_not_yet_assessed(qtbot, tmp_path, new_store):
    from fupin_desktop.archive import Archive  # noqa: PLC0415
    from fupin_desktop.demo import fill_store  # noqa: PLC0415
    from fupin_desktop.queries.search import SearchQuery, search_households  # noqa: PLC0415
    from ui.main_window import MainWindow  # noqa: PLC0415
    from ui.qt import QSettings  # noqa: PLC0415

    fill_store(new_store, 120, seed=3)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(Archive(new_store), settings=settings, on_lock=lambda: None)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    idle(qtbot)
    box = win.filter_bar.boxes["reassess_pending"]
    box.setCurrentIndex(box.findText("本年未评估的原建档立卡户"))
    idle(qtbot)
    shown = {win.model.household_id(r) for r in range(win.model.rowCount())}
    with new_store.engine.connect() as conn:
        expected = set(search_households(conn, SearchQuery(year=win.year, reassess_pending=True)))
        every = set(search_households(conn, SearchQuery(year=win.year)))
    assert shown == expected and 0 < len(shown) < len(every)  # the demo's 一般农户 are not listed
    qtbot.wait(100)
    wide = win.screen().availableGeometry().width() >= 1366  # the docs' picture only from a laptop-sized screen
    docs = wide and os.environ.get("FUPIN_SHOTS")
    assert win.grab().save(str((SHOT.parent if docs else tmp_path) / "list-lowincome-filters.png"))


def test_the_assessment_names_the_signed_in_person_by_their_name_on_file(new_store):
    add_user(new_store, "lisi", "another-password-1", display_name="李四")
    with new_store.engine.connect() as conn:
        assert editor_snapshot(conn, None, YEAR, username="lisi").signed_in == "李四"
        assert editor_snapshot(conn, None, YEAR, username=new_store.username).signed_in == new_store.username
