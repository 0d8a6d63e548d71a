"""Issue 18 in the village UI: the editor's 监测程序 tab records a procedure step by step through its real
dialogs (what is typed is what the store holds), shows the one judge's state, and the dashboard's
待办/超期 figures equal the village's counts and open the matching list."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest

pytest.importorskip("pytestqt")

from pypdf import PdfReader
from sqlalchemy import select

from fupin_desktop.archive import Archive
from fupin_desktop.model import Attachment, DeptWarning, Procedure, ProcedureStep
from fupin_desktop.queries.procedures import village_counts
from fupin_desktop.queries.search import SearchQuery
from fupin_desktop.services.households import unit_of_work
from fupin_desktop.services.procedures import record_step, start_procedure
from ui import print_dialog
from ui.dashboard import Dashboard
from ui.main_window import saved_filters
from ui.procedures import (
    CloseDialog, DisposeDialog, NewProcedureDialog, ProcedurePanel, StepDialog, import_warning_list,
)
from ui.qt import QApplication, QImage, QMessageBox, QPushButton, QSettings, QTimer, QWidget

from . import factories
from .test_procedure_store import _households, _warning_file
from .test_ui_editor import idle, open_editor, stored

FOUND = date.today() - timedelta(days=40)


def answer(qtbot, kind: type, fill: Callable[[object], None], act: Callable[[], None]) -> None:
    """Run ``act``, which opens a modal ``kind`` dialog; fill it in as a clerk would and press 保存."""
    seen: list[object] = []

    def respond() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, kind):
            QTimer.singleShot(20, respond)
            return
        seen.append(dialog)
        fill(dialog)
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()

    QTimer.singleShot(0, respond)
    act()
    assert seen, f"no {kind.__name__} opened"
    idle(qtbot)


def error_boxes() -> list:
    return [w for w in QApplication.topLevelWidgets() if w.objectName() == "errorBox" and w.isVisible()]


def rows(store, model, **where):
    with store.engine.connect() as conn:
        stmt = select(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return [dict(r._mapping) for r in conn.execute(stmt)]


def test_the_procedure_tab_records_a_procedure_as_typed(qtbot, new_store, tmp_path):
    hid = stored(new_store)
    editor = open_editor(qtbot, new_store, hid)
    editor.tabs.setCurrentWidget(editor.procedure_tab)
    panel = editor.procedure_panel
    assert isinstance(panel, ProcedurePanel)
    qtbot.waitUntil(lambda: "没有监测程序" in panel.summary.text())
    assert not panel.step_button.isEnabled()

    def new(d: NewProcedureDialog) -> None:
        d.kind.setCurrentText("识别纳入")
        d.channel.setCurrentText("干部排查")
        d.found.setDate(FOUND)
        d.note.setText("务工收入下降")

    answer(qtbot, NewProcedureDialog, new, panel.new_button.click)
    qtbot.waitUntil(lambda: panel.procedures.rowCount() == 1)
    [proc] = rows(new_store, Procedure, household_id=hid)
    assert (proc["kind"], proc["channel"], proc["discovered_on"], proc["note"]) == (
        "识别纳入", "干部排查", FOUND, "务工收入下降")
    # 40 days without a step: the judge says 超期 on 申请, and the tab shows what it says.
    state = Archive(new_store).procedures(hid)[0]["state"]
    assert (state.state, state.next_step) == ("超期", "申请")
    shown = [panel.procedures.item(0, c).text() for c in range(panel.procedures.columnCount())]
    assert shown[:6] == ["识别纳入", "干部排查", str(FOUND), "超期", "申请", str(state.due)]
    assert "超期 1 个" in panel.summary.text()

    photo = tmp_path / "承诺授权书.png"
    QImage(40, 30, QImage.Format.Format_RGB32).save(str(photo))

    def consent(d: StepDialog) -> None:
        assert d.step.currentText() == "申请"  # the first step missing is offered
        d.step.setCurrentText("承诺授权")
        assert not d.end_on.isEnabled()
        d.done_on.setDate(FOUND + timedelta(days=1))
        d.add_photo_paths([str(photo)])
        assert d.photo_label.text() == "承诺授权书.png"

    answer(qtbot, StepDialog, consent, panel.step_button.click)
    qtbot.waitUntil(lambda: panel.steps.rowCount() == 1)
    [signed] = rows(new_store, ProcedureStep, procedure_id=proc["id"])
    [kept] = rows(new_store, Attachment, owner_id=signed["id"])
    assert (kept["owner_table"], kept["filename"], kept["data"]) == ("procedure_step", "承诺授权书.png",
                                                                     photo.read_bytes())
    assert panel.steps.item(0, 7).text() == "1 张"

    def post(d: StepDialog) -> None:
        assert d.step.currentText() == "申请"  # still the first step missing
        d.step.setCurrentText("村内公示")
        assert d.end_on.isEnabled()
        d.done_on.setDate(FOUND + timedelta(days=5))
        d.end_on.setDate(FOUND + timedelta(days=12))
        d.result.setText("公示无异议")
        d.objections.setText("无")

    answer(qtbot, StepDialog, post, panel.step_button.click)
    qtbot.waitUntil(lambda: panel.steps.rowCount() == 2)
    [step] = rows(new_store, ProcedureStep, procedure_id=proc["id"], step="村内公示")
    assert (step["step"], step["done_on"], step["end_on"], step["result"], step["objections"],
            step["recorded_by"]) == ("村内公示", FOUND + timedelta(days=5), FOUND + timedelta(days=12),
                                     "公示无异议", "无", "admin")
    assert [panel.steps.item(1, c).text() for c in range(6)] == [
        "村内公示", str(FOUND + timedelta(days=5)), str(FOUND + timedelta(days=12)), "公示无异议", "无", "admin"]

    def close(d: CloseDialog) -> None:
        assert [d.result.itemText(i) for i in range(d.result.count())] == ["纳入", "不纳入"]
        d.result.setCurrentText("纳入")

    answer(qtbot, CloseDialog, close, panel.close_button.click)
    qtbot.waitUntil(lambda: panel.procedures.item(0, 3).text() == "已办结")
    [proc] = rows(new_store, Procedure, household_id=hid)
    assert (proc["status"], proc["result"]) == ("已办结", "纳入")
    assert panel.procedures.item(0, 6).text() == "纳入"
    assert not panel.step_button.isEnabled() and not panel.close_button.isEnabled()


def test_a_new_household_gets_its_procedure_tab_once_saved(qtbot, new_store):
    editor = open_editor(qtbot, new_store, None)
    assert editor.procedure_panel is None
    editor.saved.emit(stored(new_store))  # as the lifecycle does after the first save
    assert isinstance(editor.procedure_panel, ProcedurePanel)


def test_dashboard_figures_equal_the_village_counts_and_open_the_list(qtbot, new_store):
    late, fresh = stored(new_store), stored(new_store, factories.household("王二", hh_no="5201020030040002"))
    with unit_of_work(new_store) as uow:
        pid = start_procedure(uow, late, "风险消除", FOUND)
        record_step(uow, pid, "入户核实", FOUND + timedelta(days=1))
        start_procedure(uow, fresh, "识别纳入", date.today(), channel="农户自主申报")
    with new_store.engine.connect() as conn:
        counts = village_counts(conn, date.today())
    assert (counts.todo, counts.overdue) == (2, 1)
    clicked: list[dict] = []
    board = Dashboard(Archive(new_store), 2024, on_filter=clicked.append)
    qtbot.addWidget(board)
    idle(qtbot)
    qtbot.waitUntil(lambda: bool(board.findChildren(QPushButton, "procedureFigure")))
    buttons = {b.text(): b for b in board.findChildren(QPushButton, "procedureFigure")}
    assert {"监测程序待办：2 件", "监测程序超期：1 件", "部门预警待处置：0 条"} <= set(buttons)
    buttons["监测程序超期：1 件"].click()
    assert clicked == [{"procedure": "超期"}]
    archive = Archive(new_store)
    assert archive.search(SearchQuery(year=2024, **clicked[0])) == [late]
    # The main window's saved filters reach the same lists.
    filters = dict(saved_filters())
    assert set(archive.search(SearchQuery(year=2024, **filters["程序待办"]))) == {late, fresh}
    assert archive.search(SearchQuery(year=2024, **filters["程序超期"])) == [late]


def test_print_dialog_prints_the_publicity_list_of_the_chosen_period(qtbot, new_store, tmp_path, monkeypatch):
    inside, before = stored(new_store), stored(new_store, factories.household("王二", hh_no="5201020030040002"))
    with unit_of_work(new_store) as uow:
        for hid, found in ((inside, date(2026, 3, 2)), (before, date(2026, 1, 5))):
            pid = start_procedure(uow, hid, "识别纳入", found, channel="农户自主申报")
            record_step(uow, pid, "民主评议", found + timedelta(days=3), result="同意")
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    dialog = print_dialog.PrintDialog(Archive(new_store), selected=[], query=SearchQuery(), year=2026,
                                      settings=settings)
    qtbot.addWidget(dialog)
    dialog.form.setCurrentIndex(dialog.form.findData("roster"))
    assert not dialog.date_from.isEnabled()  # only the 公示名单 covers a period
    dialog.form.setCurrentIndex(dialog.form.findData("publicity"))
    assert dialog.date_from.isEnabled() and dialog.mask.isChecked()  # public: masked by default
    dialog.scope_all.setChecked(True)
    dialog.date_from.setDate(date(2026, 3, 1))
    dialog.date_to.setDate(date(2026, 3, 31))
    out = tmp_path / "list.pdf"
    monkeypatch.setattr(print_dialog.QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    monkeypatch.setattr(print_dialog.QMessageBox, "information", lambda *a, **k: None)
    dialog.save()
    idle(qtbot)
    text = "".join(p.extract_text() for p in PdfReader(out).pages).replace(" ", "")
    assert "（2026-03-01至2026-03-31）" in text and "识别纳入公示名单（1户）" in text
    assert "张三" in text and "王二" not in text


def test_a_department_list_is_imported_and_a_warning_disposed_in_the_tab(qtbot, new_store, tmp_path, monkeypatch):
    ids = _households(new_store, 4)
    path = _warning_file(tmp_path, new_store, unmatched=2, monitored_rows=0, total=5)
    said: list[str] = []
    monkeypatch.setattr("ui.procedures.QMessageBox.information", lambda _p, _t, text: said.append(text))
    holder = QWidget()
    qtbot.addWidget(holder)
    import_warning_list(holder, Archive(new_store), str(path), "医保")
    idle(qtbot)
    qtbot.waitUntil(lambda: bool(said))
    assert "共 5 行；新增待核实预警 3 条" in said[0] and "未导入 2 行" in said[0]
    assert said[0].count("身份证号在本村档案中找不到") == 2
    stored_warnings = rows(new_store, DeptWarning)
    assert len(stored_warnings) == 3 and {w["department"] for w in stored_warnings} == {"医保"}

    hid = stored_warnings[0]["household_id"]
    assert hid in ids
    panel = ProcedurePanel(Archive(new_store), hid)
    qtbot.addWidget(panel)
    idle(qtbot)
    mine = [w for w in stored_warnings if w["household_id"] == hid]
    qtbot.waitUntil(lambda: panel.warnings.rowCount() == len(mine))
    panel.warnings.selectRow(0)
    assert panel.warnings.item(0, 3).text() == "待处置" and panel.dispose_button.isEnabled()
    shown = panel.selected_warning()

    def include(d: DisposeDialog) -> None:
        d.disposition.setCurrentText("核实后纳入")
        d.on.setDate(date.today())

    answer(qtbot, DisposeDialog, include, panel.dispose_button.click)
    qtbot.waitUntil(lambda: panel.procedures.rowCount() == 1)
    [after] = rows(new_store, DeptWarning, id=shown["id"])
    assert (after["disposition"], after["disposed_on"], after["disposed_by"]) == ("核实后纳入", date.today(), "admin")
    [proc] = rows(new_store, Procedure, household_id=hid)
    assert (proc["id"], proc["kind"], proc["channel"]) == (after["procedure_id"], "识别纳入", "部门筛查预警")
    assert panel.procedures.item(0, 1).text() == "部门筛查预警"
    qtbot.waitUntil(lambda: any(panel.warnings.item(r, 3).text() == "核实后纳入"
                                for r in range(panel.warnings.rowCount())))


def test_a_step_recorded_by_mistake_is_removed_and_a_withdrawn_procedure_stopped(qtbot, new_store, monkeypatch):
    hid = stored(new_store)
    with unit_of_work(new_store) as uow:
        pid = start_procedure(uow, hid, "识别纳入", FOUND, channel="农户自主申报")
        record_step(uow, pid, "申请", FOUND)
        record_step(uow, pid, "入户核实", FOUND + timedelta(days=1))
    panel = ProcedurePanel(Archive(new_store), hid)
    qtbot.addWidget(panel)
    idle(qtbot)
    qtbot.waitUntil(lambda: panel.steps.rowCount() == 2)
    asked: list[str] = []
    monkeypatch.setattr("ui.procedures.QMessageBox.question",
                        lambda _p, _t, text: asked.append(text) or QMessageBox.StandardButton.Yes)
    panel.steps.selectRow(1)
    panel.remove_button.click()
    idle(qtbot)
    qtbot.waitUntil(lambda: panel.steps.rowCount() == 1)
    assert "入户核实" in asked[0]
    assert [s["step"] for s in rows(new_store, ProcedureStep, procedure_id=pid)] == ["申请"]

    def empty_reason(d: CloseDialog) -> None:
        d.stop.setChecked(True)
        assert d.reason.isEnabled() and not d.result.isEnabled()

    answer(qtbot, CloseDialog, empty_reason, panel.close_button.click)
    qtbot.waitUntil(lambda: bool(error_boxes()))
    assert "终止原因" in error_boxes()[0].text()  # refused in Chinese, the store unchanged
    for box in error_boxes():
        box.close()
    [proc] = rows(new_store, Procedure, id=pid)
    assert proc["status"] == "办理中"

    def withdrawn(d: CloseDialog) -> None:
        d.stop.setChecked(True)
        d.reason.setText("农户撤回申请")

    answer(qtbot, CloseDialog, withdrawn, panel.close_button.click)
    qtbot.waitUntil(lambda: panel.procedures.item(0, 3).text() == "已终止")
    [proc] = rows(new_store, Procedure, id=pid)
    # (The store keeps "：" as ":".)
    assert proc["status"] == "已终止" and re.fullmatch("终止[:：]农户撤回申请", proc["result"])
    assert panel.procedures.item(0, 6).text() == proc["result"] and not panel.step_button.isEnabled()
