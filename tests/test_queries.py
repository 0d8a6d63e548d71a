"""Search as you type and the village figures."""

from __future__ import annotations

import pytest

from fupin_desktop.queries.search import SearchQuery, household_rows, search_households
from fupin_desktop.queries.stats import village_stats
from fupin_desktop.services import households as svc
from fupin_desktop.services.households import unit_of_work

from .factories import household


@pytest.fixture
def village(new_store):
    with unit_of_work(new_store) as uow:
        ids = svc.create_households(uow, [
            household("张三", hh_no="5201020030040001", group="第一组"),
            household("李四", hh_no="5201020030040002", group="第二组", extra_members=1),
            household("王五", hh_no="5201020030040003", group="第二组", extra_members=0),
        ])
    with unit_of_work(new_store) as uow:
        svc.update_household(uow, ids[1], {"poverty_status": "未脱贫"})
        svc.save_household_year(uow, ids[1], 2024, {"monitoring_category": "边缘易致贫户"})
        svc.save_household_year(uow, ids[2], 2024, {"main_cause": "缺资金"})
    return new_store, ids


def find(store, **kw):
    with store.engine.connect() as conn:
        return search_households(conn, SearchQuery(**kw))


def test_search_by_name_initials_id_and_number(village):
    store, (zhang, li, wang) = village
    assert find(store, text="zs") == [zhang]
    assert find(store, text="ZS") == [zhang]
    assert find(store, text="张") == [zhang]  # 张三 and his children 张小明…
    assert find(store, text="李四") == [li]
    assert find(store, text="0002") == [li]  # household number
    with store.engine.connect() as conn:
        rows = household_rows(conn, [wang])
    head_id = rows[wang]["head_id_no"]
    assert find(store, text=head_id) == [wang]
    assert find(store, text=head_id[-6:]) == [wang]  # last digits
    assert find(store, text="第二组") == [li, wang]
    assert find(store, text="  ") == [zhang, li, wang]
    assert find(store, text="不存在的人") == []


def test_filters(village):
    store, (zhang, li, wang) = village
    assert find(store, monitoring=True) == [li]
    assert find(store, poverty_status="未脱贫类") == [li]
    assert find(store, main_cause="缺资金", year=2024) == [wang]
    assert find(store, group_name="第一组") == [zhang]
    assert find(store, sort="head_name", descending=True)[0] in {zhang, li, wang}


def test_left_households_are_hidden_unless_asked(village):
    store, (zhang, li, wang) = village
    with unit_of_work(store) as uow:
        svc.household_leaves(uow, wang, "整户迁出", "2024-01-01")
    assert wang not in find(store)
    assert wang in find(store, include_left=True)


def test_household_rows_carry_list_columns(village):
    store, (zhang, *_) = village
    with store.engine.connect() as conn:
        row = household_rows(conn, [zhang], year=2024)[zhang]
    assert (row["head_name"], row["member_count"], row["main_cause"]) == ("张三", 3, "因病")
    assert row["per_capita_net"] is not None


def test_village_stats(village):
    store, _ = village
    with store.engine.connect() as conn:
        stats = village_stats(conn, 2024)
    assert stats["households"] == 3 and stats["people"] == 3 + 2 + 1
    assert stats["by_monitoring"]["households"] == {"未填写": 2, "边缘易致贫户": 1}
    assert stats["by_main_cause"]["households"] == {"因病": 2, "缺资金": 1}
    assert stats["by_main_cause"]["people"] == {"因病": 5, "缺资金": 1}
