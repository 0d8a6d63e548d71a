"""The procedure and department warnings in a real store: steps recorded through the unit of work
(change-logged, the signed form's photo inside the store), the 待办/超期 filter and dashboard figures,
a warning list of 200 rows (20 unmatched, 30 already monitored) reported and then disposed."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from fupin_desktop.errors import InvalidInput
from fupin_desktop.model import Attachment, ChangeLog, DeptWarning, Household, Member, Procedure
from fupin_desktop.queries.dashboard import dashboard
from fupin_desktop.queries.procedures import household_procedures, village_counts
from fupin_desktop.queries.search import SearchQuery, search_households
from fupin_desktop.services.households import create_households, unit_of_work
from fupin_desktop.services.procedures import (
    close_procedure, dispose_warning, include_from_warning, record_step, start_procedure,
)
from fupin_desktop.tabular.warnings import import_warnings
from fupin_desktop.validation.idnumber import make_id

from .factories import household

TODAY = date.today()


def _households(store, n: int, monitored: int = 0) -> list[str]:
    bundles = []
    for i in range(n):
        hh = household(f"户主{i}", hh_no=f"52010200300{i:05d}")
        if i < monitored:
            hh.years[2024]["monitoring_category"] = "边缘易致贫户"  # the status is the year's
        bundles.append(hh)
    with unit_of_work(store) as uow:
        return create_households(uow, bundles)


def test_a_procedure_is_recorded_step_by_step(new_store):
    (hid,) = _households(new_store, 1)
    discovered = TODAY - timedelta(days=3)
    with unit_of_work(new_store) as uow:
        pid = start_procedure(uow, hid, "识别纳入", discovered, channel="农户自主申报")
        record_step(uow, pid, "申请", discovered)
        record_step(uow, pid, "承诺授权", discovered, photos=(("授权书.jpg", b"\xff\xd8signed", "image/jpeg"),))
    with new_store.engine.connect() as conn:
        (proc,) = household_procedures(conn, hid, TODAY)
        assert proc["state"].state == "待办" and proc["state"].next_step == "入户核实"
        assert [s["step"] for s in proc["steps"]] == ["申请", "承诺授权"]
        assert proc["steps"][1]["recorded_by"] == "admin" and proc["steps"][1]["photos"][0]["filename"] == "授权书.jpg"
        assert conn.execute(select(Attachment.data)).scalar_one() == b"\xff\xd8signed"
        logged = set(conn.execute(select(ChangeLog.entity).where(ChangeLog.household_id == hid)).scalars())
        assert {"procedure", "procedure_step", "attachment"} <= logged
        assert search_households(conn, SearchQuery(procedure="待办")) == [hid]
        assert search_households(conn, SearchQuery(procedure="超期")) == []
    # Seen a week later, the visit (5 working days) is overdue: the list, the dashboard and the counts agree.
    later = TODAY + timedelta(days=10)
    with new_store.engine.connect() as conn:
        counts = village_counts(conn, later)
        assert (counts.todo, counts.overdue) == (1, 1)
        assert village_counts(conn, TODAY).overdue == 0
        figures = {f.label: f.households for f in dashboard(conn, TODAY.year).procedure}
        assert figures["监测程序待办"] == 1 and figures["监测程序超期"] == 0
    with unit_of_work(new_store) as uow:
        for step in ("入户核实", "民主评议"):
            record_step(uow, pid, step, TODAY)
        record_step(uow, pid, "村内公示", TODAY, end_on=TODAY + timedelta(days=4))
        close_procedure(uow, pid, "纳入")
    with new_store.engine.connect() as conn:
        assert village_counts(conn, later).todo == 0
        assert search_households(conn, SearchQuery(procedure="待办")) == []


def test_bad_procedure_input_is_refused_and_changes_nothing(new_store):
    (hid,) = _households(new_store, 1)
    with pytest.raises(InvalidInput, match="发现渠道"):
        with unit_of_work(new_store) as uow:
            start_procedure(uow, hid, "识别纳入", TODAY)
    with pytest.raises(InvalidInput, match="没有“公告”这一环节"):
        with unit_of_work(new_store) as uow:
            pid = start_procedure(uow, hid, "风险消除", TODAY)
            record_step(uow, pid, "公告", TODAY)
    with new_store.engine.connect() as conn:
        assert conn.execute(select(Procedure.id)).all() == []


def _warning_file(tmp_path: Path, store, unmatched: int, monitored_rows: int, total: int) -> Path:
    with store.engine.connect() as conn:
        people = conn.execute(select(Member.id_no, Member.name, Household.monitoring_category)
                              .join(Household, Household.id == Member.household_id)
                              .order_by(Household.national_hh_no, Member.seq)).all()
    watched = [p for p in people if p[2]][:monitored_rows]
    others = [p for p in people if not p[2]]
    rows = [(p[0], p[1]) for p in watched]
    rows += [(p[0], p[1]) for p in others[: total - unmatched - monitored_rows]]
    rows += [(make_id("530102", date(1980, 1, 1), 600 + 2 * i), f"外村{i}") for i in range(unmatched)]
    path = tmp_path / "医保预警.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["2026年医保部门防返贫预警名单"])  # a title above the header, as lists come
    sheet.append(["序号", "姓名", "身份证号码", "预警内容", "预警日期"])
    for i, (id_no, name) in enumerate(rows, start=1):
        sheet.append([i, name, id_no, f"大额医疗费用支出 第{i}条", TODAY - timedelta(days=i % 7)])
    book.save(path)
    return path


def test_a_warning_list_of_200_rows(new_store, tmp_path):
    _households(new_store, 60, monitored=10)  # 180 people, 30 in monitored households
    path = _warning_file(tmp_path, new_store, unmatched=20, monitored_rows=30, total=200)
    report = import_warnings(new_store, path, department="医保", today=TODAY)
    assert (report.rows, report.added, report.monitored, report.repeated) == (200, 150, 30, 0)
    assert len(report.skipped) == 20
    assert all(s.reason == "身份证号在本村档案中找不到" and "*" in s.id_masked for s in report.skipped)
    assert [s.row for s in report.skipped] == list(range(183, 203))  # header on row 2: data rows 3–202
    assert "未导入 20 行" in report.summary()
    with new_store.engine.connect() as conn:
        assert village_counts(conn, TODAY).warnings_open == 150
        figures = {f.label: f.households for f in dashboard(conn, TODAY.year).procedure}
        assert figures["部门预警待处置"] == 150
        open_ids = list(conn.execute(select(DeptWarning.id).where(DeptWarning.disposition.is_(None))
                                     .order_by(DeptWarning.warned_on, DeptWarning.id)).scalars())
    # Importing again adds nothing: each row is known.
    again = import_warnings(new_store, path, department="医保", today=TODAY)
    assert (again.added, again.monitored, again.repeated, len(again.skipped)) == (0, 0, 180, 20)
    with pytest.raises(InvalidInput, match="须写明理由"):
        with unit_of_work(new_store) as uow:
            dispose_warning(uow, open_ids[0], "核实不纳入", TODAY)
    with unit_of_work(new_store) as uow:
        for warning_id in open_ids[:10]:
            include_from_warning(uow, warning_id, TODAY)
        for warning_id in open_ids[10:]:
            dispose_warning(uow, warning_id, "核实不纳入", TODAY, reason="医保报销后自付不高，收入稳定")
    with new_store.engine.connect() as conn:
        counts = village_counts(conn, TODAY)
        assert counts.warnings_open == 0 and counts.todo == 10
        by = dict(conn.execute(select(DeptWarning.disposition, DeptWarning.id)).all())
        assert set(by) == {"核实后纳入", "核实不纳入", "已是监测对象"}
        channels = set(conn.execute(select(Procedure.channel)).scalars())
        assert channels == {"部门筛查预警"}


def test_a_warning_list_without_the_needed_columns_is_refused(new_store, tmp_path):
    path = tmp_path / "名单.csv"
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f).writerows([["姓名", "住址"], ["张三", "一组"]])
    with pytest.raises(InvalidInput, match="找不到表头"):
        import_warnings(new_store, path, department="民政")
    path.write_text("身份证号,预警内容,预警日期\n520102197005060011,低保边缘,2026-01-05\n", "utf-8")
    with pytest.raises(InvalidInput, match="请指定预警部门"):
        import_warnings(new_store, path)
    with new_store.engine.connect() as conn:
        assert conn.execute(select(DeptWarning.id)).all() == []
