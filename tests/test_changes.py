"""Contract 3: every committed change is in the log, and the log alone rebuilds the records."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from fupin_desktop import clock
from fupin_desktop.bundle import MeasureData
from fupin_desktop.errors import InvalidInput
from fupin_desktop.model import Base, ChangeLog, Household, IncomeYear, Member
from fupin_desktop.queries.history import household_history
from fupin_desktop.services import households as svc
from fupin_desktop.services.replay import apply_entries
from fupin_desktop.services.households import unit_of_work
from fupin_desktop.store.store import Store

from .conftest import PASSWORD, VILLAGE
from .factories import household

# Reference data seeded at set-up is not user data and is not logged; nor is the check's own state.
UNLOGGED = {"change_log", "meta", "code_entry", "threshold", "rule_param", "area", "app_user", "check_dirty",
            "check_result", "check_key"}


def logged_state(store: Store) -> dict[str, dict[str, dict]]:
    state: dict[str, dict[str, dict]] = {}
    with store.engine.connect() as conn:
        for name, table in Base.metadata.tables.items():
            if name in UNLOGGED:
                continue
            cols = [c for c in table.c if not c.info.get("derived")]
            state[name] = {r["id"]: dict(r) for r in conn.execute(select(*cols)).mappings()}
    return state


def replay_into_new_store(source: Store, tmp_path) -> Store:
    target, _ = Store.create(tmp_path / f"replay-{len(list(tmp_path.iterdir()))}", village_code=VILLAGE,
                             village_name="测试村", username="admin", password=PASSWORD)
    with source.engine.connect() as conn:
        entries = [dict(r) for r in conn.execute(select(ChangeLog).order_by(ChangeLog.seq)).mappings()]
    with target.engine.begin() as conn:
        apply_entries(conn, entries)
    return target


operations = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.integers(0, 3), st.sampled_from(["张三", "李四", "欧阳娜娜"])),
        st.tuples(st.just("household"), st.integers(0, 9),
                  st.sampled_from([("phone", "13900001111"), ("group_name", "第二组"), ("military_family", "是"),
                                   ("identified_year", "2016"), ("filled_on", "2024.3.5"), ("phone", None)])),
        st.tuples(st.just("member"), st.integers(0, 30), st.sampled_from(["王五", "赵六", "孙七"])),
        st.tuples(st.just("leave"), st.integers(0, 30), st.sampled_from(["死亡", "迁出"])),
        st.tuples(st.just("income"), st.integers(0, 9),
                  st.lists(st.decimals(0, 50000, places=2, allow_nan=False), min_size=0, max_size=4)),
        st.tuples(st.just("measure"), st.integers(0, 9), st.sampled_from(["产业帮扶", "健康帮扶"])),
    ),
    min_size=1, max_size=12,
)


def apply_ops(store: Store, ops) -> None:
    households: list[str] = []
    members: list[str] = []
    for op, index, value in ops:
        with unit_of_work(store) as uow:
            if op == "create":
                bundle = household(head=value, hh_no=f"P{len(households)}", extra_members=index)
                households += svc.create_households(uow, [bundle])
                members += [m.fields["id"] for m in bundle.members]
            elif not households:
                continue
            elif op == "household":
                field, new = value
                svc.update_household(uow, households[index % len(households)], {field: new})
            elif op == "member" and members:
                svc.update_member(uow, members[index % len(members)], {"name": value})
            elif op == "leave" and members:
                svc.member_leaves(uow, members[index % len(members)], value, date(2024, 6, 1))
            elif op == "income":
                lines = [{"category": "工资性收入", "item": f"务工{i}", "amount": a} for i, a in enumerate(value)]
                svc.save_income(uow, households[index % len(households)], 2024, lines)
            elif op == "measure":
                svc.add_measure(uow, households[index % len(households)],
                                MeasureData({"year": 2024, "category": value, "amount": "3000"}, "loan",
                                            {"bank": "农商行", "principal": "50000"}))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_replaying_the_log_rebuilds_the_same_records(tmp_path_factory, ops):
    tmp = tmp_path_factory.mktemp("replay")
    source, _ = Store.create(tmp / "source", village_code=VILLAGE, village_name="测试村",
                             username="admin", password=PASSWORD)
    with source:
        apply_ops(source, ops)
        with replay_into_new_store(source, tmp) as target:
            assert logged_state(target) == logged_state(source)


def test_update_logs_only_what_changed_with_old_and_new(new_store):
    with unit_of_work(new_store) as uow:
        hh_id = svc.create_households(uow, [household()])[0]
    with unit_of_work(new_store, user="wangwu") as uow:
        changes = svc.update_household(uow, hh_id, {"phone": "13900001111", "group_name": "第一组"})
    assert set(changes) == {"phone"}
    with unit_of_work(new_store) as uow:
        assert svc.update_household(uow, hh_id, {"phone": "13900001111"}) == {}
    with new_store.engine.connect() as conn:
        last = conn.execute(select(ChangeLog).where(ChangeLog.op == "update", ChangeLog.entity == "household")
                            ).mappings().all()
    assert len(last) == 1
    assert json.loads(last[0]["fields"]) == {"phone": ["13812345678", "13900001111"]}
    assert last[0]["user"] == "wangwu"


def test_change_log_is_ordered_by_hybrid_clock_even_when_the_wall_clock_goes_back(new_store, monkeypatch):
    with unit_of_work(new_store) as uow:
        hh_id = svc.create_households(uow, [household()])[0]
    monkeypatch.setattr(clock.HybridClock, "_physical_ms", staticmethod(lambda: 1_000))  # 1970!
    with unit_of_work(new_store) as uow:
        svc.update_household(uow, hh_id, {"phone": "13900002222"})
    with new_store.engine.connect() as conn:
        stamps = conn.execute(select(ChangeLog.hlc).order_by(ChangeLog.seq)).scalars().all()
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)


def test_failed_unit_of_work_leaves_nothing(new_store):
    with unit_of_work(new_store) as uow:
        hh_id = svc.create_households(uow, [household()])[0]
    with new_store.engine.connect() as conn:
        before = conn.execute(select(ChangeLog.seq)).scalars().all()
    with pytest.raises(InvalidInput, match="日期不存在"):
        with unit_of_work(new_store) as uow:
            svc.update_household(uow, hh_id, {"phone": "13900003333"})
            svc.update_household(uow, hh_id, {"filled_on": "2023-02-30"})
    with new_store.engine.connect() as conn:
        assert conn.execute(select(ChangeLog.seq)).scalars().all() == before
        assert conn.execute(select(Household.phone)).scalar_one() == "13812345678"


def test_history_names_fields_in_chinese(new_store):
    with unit_of_work(new_store) as uow:
        hh_id = svc.create_households(uow, [household()])[0]
    with unit_of_work(new_store, user="李书记") as uow:
        svc.update_household(uow, hh_id, {"phone": "13900004444", "military_family": "是"})
        svc.save_income(uow, hh_id, 2024, [{"category": "工资性收入", "item": "务工收入", "amount": "36000"}])
    with new_store.engine.connect() as conn:
        history = household_history(conn, hh_id)
    phone = next(e for e in history if e.field == "联系电话")
    assert (phone.user, phone.old, phone.new, phone.op) == ("李书记", "13812345678", "13900004444", "修改")
    assert any(e.field == "是否军烈属" and e.new == "是" for e in history)
    assert any(e.record == "收入明细" and e.op == "删除" for e in history)


def test_income_totals_and_per_capita(new_store):
    with unit_of_work(new_store) as uow:
        hh_id = svc.create_households(uow, [household(extra_members=2)])[0]  # 3 people
    with new_store.engine.connect() as conn:
        inc = conn.execute(select(IncomeYear)).mappings().one()
    assert inc["total_income"] == Decimal("30200.50")
    assert inc["net_income"] == Decimal("28700.50")
    assert inc["per_capita_net"] == Decimal("9566.83")
    with unit_of_work(new_store) as uow:
        svc.save_income(uow, hh_id, 2024, [
            {"category": "工资性收入", "item": "务工收入", "amount": "10000"},
            {"category": "转移性收入", "item": "危房改造补助", "amount": "20000", "counts_toward_income": False},
        ])
    with new_store.engine.connect() as conn:
        inc = conn.execute(select(IncomeYear)).mappings().one()
    assert (inc["total_income"], inc["per_capita_net"],
            inc["line_count"]) == (Decimal("10000.00"), Decimal("3333.33"), 2)


def test_members_leave_but_are_never_deleted(new_store):
    with unit_of_work(new_store) as uow:
        bundle = household(extra_members=2)
        hh_id = svc.create_households(uow, [bundle])[0]
    son = bundle.members[2].fields["id"]
    with unit_of_work(new_store) as uow:
        svc.member_leaves(uow, son, "迁出", "2024-05-01")
    with new_store.engine.connect() as conn:
        row = conn.execute(select(Member).where(Member.id == son)).mappings().one()
        hh = conn.execute(select(Household).where(Household.id == hh_id)).mappings().one()
    assert (row["record_status"], row["left_reason"], row["left_on"]) == ("注销", "迁出", date(2024, 5, 1))
    assert hh["member_count"] == 2
    with unit_of_work(new_store) as uow, pytest.raises(Exception, match="不能删除"):
        uow.delete(Member, son)


def test_required_fields_and_constraints_give_chinese_errors_and_change_nothing(new_store):
    with unit_of_work(new_store) as uow:
        hh_id = svc.create_households(uow, [household()])[0]
    with new_store.engine.connect() as conn:
        before = conn.execute(select(ChangeLog.seq)).scalars().all()
    with pytest.raises(InvalidInput, match="收入明细：类别不能为空"):
        with unit_of_work(new_store) as uow:
            svc.save_income(uow, hh_id, 2024, [{"item": "务工收入", "amount": "100"}])
    with pytest.raises(InvalidInput, match="没有保存任何内容"):
        with unit_of_work(new_store) as uow:
            svc.add_member(uow, hh_id, {"name": "王五"})
            uow.insert(Member, {"household_id": "no-such-household", "name": "孤儿"})
    with new_store.engine.connect() as conn:
        assert conn.execute(select(ChangeLog.seq)).scalars().all() == before
