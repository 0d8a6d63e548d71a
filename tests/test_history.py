"""The history names whose record changed, and puts a past value back as a new, logged change."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from fupin_desktop.bundle import MeasureData
from fupin_desktop.errors import InvalidInput
from fupin_desktop.model import ChangeLog, IncomeYear, MemberYear
from fupin_desktop.queries.history import household_history
from fupin_desktop.queries.load import load_households
from fupin_desktop.services import households as svc
from fupin_desktop.services.households import unit_of_work
from fupin_desktop.services.put_back import put_back

from .factories import household


def loaded(store, hh_id):
    with store.engine.connect() as conn:
        return load_households(conn, [hh_id])[0]


def history(store, hh_id):
    with store.engine.connect() as conn:
        return household_history(conn, hh_id)


def member_id(store, hh_id, name):
    return next(m.fields["id"] for m in loaded(store, hh_id).members if m.fields["name"] == name)


@pytest.fixture
def hh_id(new_store):
    with unit_of_work(new_store) as uow:
        return svc.create_households(uow, [household(extra_members=3)])[0]


def test_entries_name_the_member_the_income_line_and_the_measure(new_store, hh_id):
    xiaoming = member_id(new_store, hh_id, "张小明")
    with unit_of_work(new_store) as uow:
        svc.save_member_year(uow, xiaoming, 2024, {"health": "长期慢性病"})
        svc.save_income(uow, hh_id, 2024, [{"category": "工资性收入", "item": "务工收入", "amount": "30000"}])
        svc.add_measure(uow, hh_id, MeasureData(fields={"year": 2024, "category": "就业帮扶", "name": "公益岗",
                                                        "member_id": xiaoming}))
        svc.update_household(uow, hh_id, {"phone": "13900001111"})
    entries = history(new_store, hh_id)
    health = next(e for e in entries if e.field == "健康状况" and e.op == "修改")
    assert (health.record, health.subject, health.person, health.old, health.new) == (
        "成员年度情况", "张小明 2024年", "张小明", "健康", "长期慢性病")
    assert health.restorable
    removed = {e.subject for e in entries if e.record == "收入明细" and e.op == "删除"}
    assert removed == {"2024年 务工收入", "2024年 养老保险金", "2024年 种植业", "2024年 种植业支出"}  # though gone
    measure = next(e for e in entries if e.record == "帮扶措施" and e.field == "项目名称/内容")
    assert measure.subject == "2024年 就业帮扶 公益岗 张小明" and measure.person == "张小明"
    phone = next(e for e in entries if e.field == "联系电话")
    assert (phone.subject, phone.person) == ("本户", "")
    assert not any(e.restorable for e in entries if e.op != "修改")


def test_put_back_is_a_new_logged_change_and_refuses_what_it_cannot(new_store, hh_id):
    xiaoming = member_id(new_store, hh_id, "张小明")
    with unit_of_work(new_store) as uow:
        svc.save_member_year(uow, xiaoming, 2024, {"health": "长期慢性病"})
    entry = next(e for e in history(new_store, hh_id) if e.field == "健康状况" and e.op == "修改")
    with new_store.engine.connect() as conn:
        logged = conn.execute(select(func.count()).select_from(ChangeLog)).scalar_one()
    changes = put_back(new_store, hh_id, entry.table, entry.entity_id, entry.column, entry.old_value)
    assert hh_id in changes.households and "member_year" in changes.tables
    assert loaded(new_store, hh_id).members[2].years[2024]["health"] == "健康"
    with new_store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ChangeLog)).scalar_one() > logged
    newest = history(new_store, hh_id)[0]
    assert (newest.subject, newest.field, newest.old, newest.new) == ("张小明 2024年", "健康状况", "长期慢性病", "健康")
    # The old entry is now current: nothing left to put back, and asking again says so.
    assert not next(e for e in history(new_store, hh_id) if e.hlc == entry.hlc and e.field == "健康状况").restorable
    with pytest.raises(InvalidInput, match="不需要恢复"):
        put_back(new_store, hh_id, entry.table, entry.entity_id, entry.column, entry.old_value)
    with pytest.raises(InvalidInput, match="不能从历史中恢复"):
        put_back(new_store, hh_id, "household", hh_id, "record_status", "在册")
    with new_store.engine.connect() as conn:
        year_id = conn.execute(select(MemberYear.id).where(MemberYear.member_id == xiaoming)).scalar_one()
    assert year_id == entry.entity_id


def test_put_back_an_income_line_recomputes_the_totals_and_refuses_a_deleted_line(new_store, hh_id):
    line = next(ln for ln in loaded(new_store, hh_id).incomes[2024].lines if ln["item"] == "务工收入")
    kept = [dict(ln) for ln in loaded(new_store, hh_id).incomes[2024].lines]
    for ln in kept:
        if ln["id"] == line["id"]:
            ln["amount"] = Decimal("40000")
    with unit_of_work(new_store) as uow:
        svc.save_income(uow, hh_id, 2024, [{k: v for k, v in ln.items() if k not in ("income_id",)} for ln in kept])
    entry = next(e for e in history(new_store, hh_id) if e.record == "收入明细" and e.op == "修改")
    assert (entry.subject, entry.old, entry.restorable) == ("2024年 务工收入", "24000.00", True)
    put_back(new_store, hh_id, entry.table, entry.entity_id, entry.column, entry.old_value)
    with new_store.engine.connect() as conn:
        totals = conn.execute(select(IncomeYear.total_income)).scalar_one()
    assert totals == Decimal("24000") + Decimal("1200.50") + Decimal("5000")
    with unit_of_work(new_store) as uow:
        svc.save_income(uow, hh_id, 2024, [])
    assert not next(e for e in history(new_store, hh_id) if e.hlc == entry.hlc).restorable
    with pytest.raises(InvalidInput, match="已被删除"):
        put_back(new_store, hh_id, entry.table, entry.entity_id, entry.column, entry.old_value)


def test_put_back_the_population_recomputes_the_per_capita_income(new_store, hh_id):
    with new_store.engine.connect() as conn:
        income_id = conn.execute(select(IncomeYear.id)).scalar_one()
    with unit_of_work(new_store) as uow:
        uow.update(IncomeYear, income_id, {"population": None}, household_id=hh_id)  # the household's count counts
        svc.save_household_year(uow, hh_id, 2024, {"population": 2})
        svc.recompute_income(uow, hh_id, 2024)
    with new_store.engine.connect() as conn:
        assert conn.execute(select(IncomeYear.per_capita_net)).scalar_one() == Decimal("14350.25")  # / 2
    entry = next(e for e in history(new_store, hh_id) if e.field == "人口数" or e.column == "population")
    assert entry.restorable and entry.old == "4"
    put_back(new_store, hh_id, entry.table, entry.entity_id, entry.column, entry.old_value)
    with new_store.engine.connect() as conn:
        assert conn.execute(select(IncomeYear.per_capita_net)).scalar_one() == Decimal("7175.13")  # 28700.50 / 4
