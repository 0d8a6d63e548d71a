"""The procedure travels to the county with sync (real PostgreSQL) and the county's 待办/超期 equal the
villages': both count with ``procedure.count`` over the same records, on the same day."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from fupin_desktop.county.model import Blob
from fupin_desktop.county.procedures import procedure_overview
from fupin_desktop.model import Member
from fupin_desktop.queries.procedures import village_counts
from fupin_desktop.services.households import unit_of_work
from fupin_desktop.services.procedures import (
    add_warnings, close_procedure, dispose_warning, record_step, start_procedure,
)

from .sync_support import add_household, export, import_all, make_device, record

TODAY = date.today()


def _procedures(store, hh: str, days_ago: list[int]) -> list[str]:
    """One identification per entry, discovered that many days ago, with only 申请 and 承诺授权 done."""
    ids = []
    with unit_of_work(store) as uow:
        for n in days_ago:
            found = TODAY - timedelta(days=n)
            pid = start_procedure(uow, hh, "识别纳入", found, channel="干部排查")
            record_step(uow, pid, "申请", found)
            record_step(uow, pid, "承诺授权", found, photos=((f"授权书{n}.jpg", f"photo-{n}".encode(), "image/jpeg"),))
            ids.append(pid)
    return ids


def _warnings(store, hh: str, member: str, n: int, received_days_ago: int) -> list[str]:
    rows = [{"household_id": hh, "member_id": member, "department": dept, "warning": f"预警{i}",
             "warned_on": TODAY - timedelta(days=received_days_ago + 1),
             "received_on": TODAY - timedelta(days=received_days_ago), "source_file": "名单.xlsx"}
            for i, dept in zip(range(n), ["医保", "民政", "医保", "残联"] * n)]
    with unit_of_work(store) as uow:
        return add_warnings(uow, rows)


def _member_of(store, hh: str) -> str:
    with store.engine.connect() as conn:
        return conn.execute(select(Member.id).where(Member.household_id == hh).limit(1)).scalar_one()


def test_procedures_reach_the_county_and_its_counts_equal_the_villages(tmp_path: Path, county):
    engine, keys = county
    one = make_device(tmp_path, "一村", engine, keys, village="520102003004")
    two = make_device(tmp_path, "二村", engine, keys, village="520102003005")
    try:
        hh1, hh2 = add_household(one), add_household(two, hh_no="5201020030050001")
        open1 = _procedures(one, hh1, [1, 30, 40])  # one in time, two overdue
        _procedures(two, hh2, [2, 60])
        with unit_of_work(one) as uow:  # a finished removal: not 待办
            pid = start_procedure(uow, hh1, "风险消除", TODAY - timedelta(days=10))
            for step in ("入户核实", "民主评议"):
                record_step(uow, pid, step, TODAY - timedelta(days=9))
            record_step(uow, pid, "村内公示", TODAY - timedelta(days=8), end_on=TODAY - timedelta(days=4))
            close_procedure(uow, pid, "消除")
        w1 = _warnings(one, hh1, _member_of(one, hh1), 4, received_days_ago=30)
        _warnings(two, hh2, _member_of(two, hh2), 3, received_days_ago=1)
        with unit_of_work(one) as uow:
            dispose_warning(uow, w1[0], "核实不纳入", TODAY, reason="核实收入稳定")
        import_all(engine, keys, export(one, tmp_path / "usb1") + export(two, tmp_path / "usb2"))

        step = record(engine, "procedure", open1[0])
        assert step["kind"] == "识别纳入" and step["channel"] == "干部排查"
        with engine.connect() as conn:
            assert len(conn.execute(select(Blob.entity_id)).all()) == 5  # every signed form's photo
        for day in (TODAY, TODAY + timedelta(days=20)):
            overview = procedure_overview(engine, day)
            villages = {}
            for store in (one, two):
                with store.engine.connect() as conn:
                    villages[store.village_code] = asdict(village_counts(conn, day))
            assert overview["villages"] == villages
            assert overview["total"] == {k: sum(v[k] for v in villages.values()) for k in overview["total"]}
        today = procedure_overview(engine, TODAY)
        assert today["total"] == {"todo": 5, "overdue": 3, "warnings_open": 6, "warnings_overdue": 3}
        assert {(s["household_id"], s["state"]) for s in today["open"]} == {
            (hh1, "待办"), (hh1, "超期"), (hh2, "待办"), (hh2, "超期")}
        assert today["warnings"] == {"医保": {"核实不纳入": 1, "待处置": 3}, "民政": {"待处置": 2},
                                     "残联": {"待处置": 1}}
    finally:
        one.close()
        two.close()
