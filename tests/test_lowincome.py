"""农村低收入人口 (categories and 帮扶层级 by year) and the yearly 评估 of former 建档立卡 households
(issue 17 items 3 and 4): the list's filters, the ``assessments`` command and the figures, village and
county (a real PostgreSQL) counting alike; the new fields travel through sync and survive migration."""

from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from sqlalchemy import select, text

from fupin_desktop.cli import main
from fupin_desktop.county.stats import county_stats
from fupin_desktop.model import HouseholdYear, MemberYear
from fupin_desktop.queries.lowincome import households_matching
from fupin_desktop.queries.search import SearchQuery, search_households
from fupin_desktop.queries.stats import village_stats
from fupin_desktop.services.households import (
    create_households, save_household_year, save_member_year, unit_of_work,
)
from fupin_desktop.store import migrate
from fupin_desktop.store.store import Store
from fupin_desktop.validation.engine import Context, check_household
from fupin_desktop.queries.load import load_households

from .conftest import PASSWORD
from .down_support import county_records, device_matches, laptop
from .factories import household
from .sync_support import export, import_all, make_device

YEAR = 2026
RESULTS = ["退出帮扶"] * 4 + ["继续帮扶"] * 3 + ["纳入监测"] * 3


def _former_and_others(village: str) -> list:
    """30 former 建档立卡 households (their 2024 属性 carried into 2026) and 5 一般农户."""
    hhs = [household(village=village, hh_no=f"52010200300400{i:02d}", group=f"第{i % 3 + 1}组") for i in range(30)]
    for i in range(5):
        other = household(village=village, hh_no=f"52010200300499{i:02d}", head="王五")
        other.years[2024].update(attribute=None, household_type="一般农户")
        other.fields["poverty_status"] = None
        hhs.append(other)
    return hhs


def _assess_ten(store: Store, ids: list[str]) -> list[str]:
    with unit_of_work(store) as uow:
        for hid, result in zip(ids[:10], RESULTS, strict=True):
            save_household_year(uow, hid, YEAR, {"reassess_result": result, "reassessed_on": date(YEAR, 3, 2),
                                                 "reassessed_by": "李干事", "reassess_reason": "入户核实"})
    return ids[:10]


def test_thirty_former_households_ten_assessed_twenty_listed_and_county_counts_alike(tmp_path, county, capsys,
                                                                                     monkeypatch):
    engine, keys = county
    store = make_device(tmp_path, "v1", engine, keys)
    with unit_of_work(store) as uow:
        ids = create_households(uow, _former_and_others(store.village_code))
    assessed = _assess_ten(store, ids)
    import_all(engine, keys, export(store, tmp_path / "usb"))
    with store.engine.connect() as conn:
        pending = households_matching(conn, YEAR, pending=True)
        listed = search_households(conn, SearchQuery(year=YEAR, reassess_pending=True))
        village = village_stats(conn, YEAR)
        earlier = households_matching(conn, 2025, pending=True)
    assert pending == set(ids[10:30]) and set(listed) == pending  # not the 一般农户, not the assessed
    assert not pending & set(assessed)
    assert earlier == set(ids[:30])  # a 2026 评估 says nothing of 2025
    expected = {"未评估": 20, "退出帮扶": 4, "继续帮扶": 3, "纳入监测": 3}
    assert village["by_reassessment"]["households"] == expected
    assert county_stats(engine, YEAR)["by_reassessment"] == expected
    for year in (2024, 2025, YEAR):  # the other keys agree too, whatever the year
        with store.engine.connect() as conn:
            v = village_stats(conn, year)
        c = county_stats(engine, year)
        for key in ("by_reassessment", "by_low_income", "by_layer", "by_member_category"):
            assert c[key] == v[key]["households"], (year, key)

    path = str(store.path)
    store.close()
    monkeypatch.setenv("FUPIN_PASSWORD", PASSWORD)
    capsys.readouterr()
    assert main(["assessments", "--store", path, "--year", str(YEAR), "--pending"]) == 0
    out = capsys.readouterr().out
    assert "原建档立卡户 30 户：已评估 10 户" in out and "未评估 20 户" in out
    lines = [line for line in out.splitlines() if line.startswith("  ")]
    assert len(lines) == 20 and not any("王五" in line for line in lines)
    assert all(f"52010200300400{i:02d}" not in out for i in range(10))
    assert main(["assessments", "--store", path, "--year", str(YEAR)]) == 0
    assert "退出帮扶 4 户" in capsys.readouterr().out
    assert main(["assessments", "--store", path, "--year", "3000"]) == 2
    assert "评估年度应在" in capsys.readouterr().err


def _categorised(village: str) -> list:
    """A 低保 household (everyone can work), a 特困 one set to 兜底保障 although they can work, a 监测
    household, and one with no category; 2024 members are all 普通劳动力 (the factory's)."""
    hhs = [household(village=village, hh_no=f"52010200300410{i:02d}") for i in range(4)]
    hhs[0].years[2024]["assistance_category"] = "低保对象"
    hhs[0].members[1].years[2024]["assistance_category"] = "低保对象"
    hhs[1].years[2024].update(assistance_category="特困人员", support_layer="兜底保障")
    hhs[2].years[2024].update(monitoring_category="脱贫不稳定户", risks="因病")
    return hhs


def test_categories_and_layers_filter_count_alike_and_a_layer_against_labour_is_found(tmp_path, county):
    engine, keys = county
    store = make_device(tmp_path, "v1", engine, keys)
    with unit_of_work(store) as uow:
        ids = create_households(uow, _categorised(store.village_code))
    with unit_of_work(store) as uow:  # in 2025 the 低保 household's members can no longer work
        for m in _member_ids(store, ids[0]):
            save_member_year(uow, m, 2025, {"labour_skill": "丧失劳动力"})
    import_all(engine, keys, export(store, tmp_path / "usb"))
    with store.engine.connect() as conn:
        def found(**kw) -> set[str]:
            return set(search_households(conn, SearchQuery(year=2024, **kw)))

        assert found(low_income="低保对象") == {ids[0]}
        assert found(low_income="防止返贫致贫对象") == {ids[2]}
        assert found(layer="兜底保障") == {ids[1]}  # set by a person: it stands
        assert found(layer="开发式帮扶") == {ids[0], ids[2]}  # decided by the members' labour
        assert found(low_income="低保对象", layer="兜底保障") == set()
        assert households_matching(conn, 2025, layer="兜底保障") == {ids[0], ids[1]}  # the 2025 labour decides
        v2024 = village_stats(conn, 2024)
        hhs = {h.id: h for h in load_households(conn, ids)}
    assert v2024["by_low_income"]["households"] == {"低保对象": 1, "特困人员": 1, "防止返贫致贫对象": 1}
    assert v2024["by_layer"]["households"] == {"开发式帮扶": 2, "兜底保障": 1}
    assert v2024["by_member_category"] == {"households": {"低保对象": 1}, "people": {"低保对象": 1}}
    figures = county_stats(engine, 2024)
    for key in ("by_low_income", "by_layer", "by_member_category", "by_reassessment"):
        assert figures[key] == v2024[key]["households"], key
    # 2025: the 低保 household's labour now decides 兜底保障; the 监测 one has no 2025 member facts to decide by
    assert county_stats(engine, 2025)["by_layer"] == {"兜底保障": 2, "未填写": 1}

    ctx = Context(year=2024, today=date(2024, 12, 31))
    lin01 = {hid: [f for f in check_household(hh, ctx) if f.rule == "LIN-01"] for hid, hh in hhs.items()}
    assert [hid for hid, fs in lin01.items() if fs] == [ids[1]]
    assert "兜底保障" in lin01[ids[1]][0].message and "开发式帮扶" in lin01[ids[1]][0].message
    store.close()


def _member_ids(store: Store, household_id: str) -> list[str]:
    with store.engine.connect() as conn:
        return list(conn.execute(text("SELECT id FROM member WHERE household_id = :h"), {"h": household_id}).scalars())


NEW_YEAR_FIELDS = ("assistance_category", "support_layer", "reassess_result", "reassessed_on", "reassessed_by",
                   "reassess_reason")


def test_the_new_fields_travel_to_the_county_and_down_to_another_laptop(tmp_path, county, county_db_url):
    from fupin_desktop.sync.client import push  # noqa: PLC0415
    from fupin_desktop.sync.pull import pull  # noqa: PLC0415

    from .county_net_support import CountyServer  # noqa: PLC0415

    engine, keys = county
    server = CountyServer(county_db_url, tmp_path).start()
    try:
        a = laptop(tmp_path, "一号机", engine, keys)
        with unit_of_work(a) as uow:
            bundle = household(village=a.village_code)
            [hid] = create_households(uow, [bundle])
            save_household_year(uow, hid, YEAR, {"assistance_category": "低保边缘家庭", "support_layer": "开发式帮扶",
                                                 "reassess_result": "继续帮扶", "reassessed_on": date(YEAR, 4, 1),
                                                 "reassessed_by": "王干事", "reassess_reason": "收入不稳定"})
            member_id = bundle.members[0].fields["id"]
            save_member_year(uow, member_id, YEAR, {"assistance_category": "低保对象"})
        push(a, server.url)
        records = county_records(engine, a.village_code)
        [row] = [d for (entity, _), d in records.items() if entity == "household_year" and d.get("year") == YEAR]
        assert {k: row[k] for k in NEW_YEAR_FIELDS} == {
            "assistance_category": "低保边缘家庭", "support_layer": "开发式帮扶", "reassess_result": "继续帮扶",
            "reassessed_on": f"{YEAR}-04-01", "reassessed_by": "王干事", "reassess_reason": "收入不稳定"}
        [m] = [d for (entity, _), d in records.items() if entity == "member_year" and d.get("year") == YEAR]
        assert m["assistance_category"] == "低保对象"
        b = laptop(tmp_path, "二号机", engine, keys)
        pull(b, server.url)
        assert device_matches(b, records) == []  # every logged column, the new ones included
        with b.engine.connect() as conn:
            got = conn.execute(select(HouseholdYear).where(HouseholdYear.year == YEAR)).mappings().one()
            member = conn.execute(select(MemberYear.assistance_category).where(MemberYear.year == YEAR)).scalar_one()
        assert got["reassess_result"] == "继续帮扶" and got["reassessed_on"] == date(YEAR, 4, 1)
        assert member == "低保对象"
        a.close()
        b.close()
    finally:
        server.stop()


def test_migration_0012_keeps_a_populated_store_and_adds_blank_fields(new_store):
    with unit_of_work(new_store) as uow:
        ids = create_households(uow, [household(hh_no=f"M{i}") for i in range(3)])
    config = migrate.alembic_config()
    with new_store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0011")
        columns = {r[1] for r in conn.execute(text("PRAGMA table_info(household_year)"))}
        before = conn.execute(text("SELECT id, attribute, household_type, main_cause FROM household_year "
                                   "ORDER BY id")).all()
    assert "reassess_result" not in columns and "assistance_category" not in columns
    path = new_store.path
    new_store.close()
    with Store.open(path, "admin", PASSWORD) as store:  # upgrades on open, after a backup
        with store.engine.connect() as conn:
            after = conn.execute(text("SELECT id, attribute, household_type, main_cause FROM household_year "
                                      "ORDER BY id")).all()
            new = conn.execute(select(*(HouseholdYear.__table__.c[n] for n in NEW_YEAR_FIELDS))).all()
            pending = households_matching(conn, 2024, pending=True)
        assert after == before and len(after) == 3
        assert all(v is None for row in new for v in row)  # nothing filled in that nobody typed
        assert pending == set(ids)  # three 一般脱贫户, none assessed in 2024
        with unit_of_work(store) as uow:
            save_household_year(uow, ids[0], 2024, {"reassess_result": "退出帮扶"})
        with store.engine.connect() as conn:
            assert households_matching(conn, 2024, pending=True) == set(ids[1:])


@pytest.mark.parametrize("value", ["低保对象", "防止返贫致贫对象"])
def test_the_filter_bar_offers_the_categories(qtbot, tmp_path, value):
    from ui.list_filters import FilterBar  # noqa: PLC0415
    from ui.qt import QSettings  # noqa: PLC0415

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    bar = FilterBar(settings, lambda: None, lambda: None)
    qtbot.addWidget(bar)
    box = bar.boxes["low_income"]
    box.setCurrentIndex(box.findText(value))
    pending = bar.boxes["reassess_pending"]
    pending.setCurrentIndex(1)
    assert bar.filters() == {"low_income": value, "reassess_pending": True}
    bar.set_filters({"layer": "兜底保障"})
    assert bar.filters() == {"layer": "兜底保障"}
