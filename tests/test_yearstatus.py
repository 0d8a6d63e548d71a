"""Status by year: the migration spreads today's values over the years, figures of a year count what
was true then, and the village and the county count alike (county on PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal

from alembic import command
from sqlalchemy import select, text

from fupin_desktop.county.stats import county_stats
from fupin_desktop.model import Household, HouseholdYear
from fupin_desktop.queries.stats import village_stats
from fupin_desktop.services.households import create_households, save_household_year, unit_of_work
from fupin_desktop.store import migrate
from fupin_desktop.store.store import Store

from .conftest import PASSWORD
from .factories import household
from .sync_support import export, import_all, make_device


def _downgrade_to_0006(store: Store) -> None:
    config = migrate.alembic_config()
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0006")


def test_migration_spreads_status_over_years_and_stats_count_what_was_true(new_store):
    hhs = [household(hh_no=f"M{i}") for i in range(3)]
    for hh in hhs:  # rows of 2019 and 2024; the status is set below, on the household as before 0007
        hh.years[2019] = {"population": 3, "main_cause": "因病"}
        for row in hh.years.values():
            row.pop("attribute", None)
            row.pop("household_type", None)
    with unit_of_work(new_store) as uow:
        ids = create_households(uow, hhs)
    _downgrade_to_0006(new_store)
    old = {  # identified 2026 / identified 2023 and removed 2024 / a 脱贫户 that exited in 2019
        ids[0]: dict(monitoring_category="边缘易致贫户", monitoring_since="202603", household_type="一般农户",
                     risk_removed=False, no_labour_fallback=False),
        ids[1]: dict(monitoring_category="脱贫不稳定户", monitoring_since="202302", household_type="脱贫户",
                     attribute="低保脱贫户", identified_year=2014, risk_removed=True,
                     risk_removal_method="帮扶消除", risk_removed_at="202409"),
        ids[2]: dict(household_type="脱贫户", attribute="特困供养脱贫户", identified_year=2014),
    }
    with new_store.engine.begin() as conn:
        for hid, values in old.items():
            sets = ", ".join(f"{k} = :{k}" for k in values)
            conn.execute(text(f"UPDATE household SET {sets} WHERE id = :id"), {**values, "id": hid})
        conn.execute(text("UPDATE household_year SET risks = '因病' WHERE household_id = :id"), {"id": ids[1]})
    path = new_store.path
    new_store.close()

    with Store.open(path, "admin", PASSWORD) as store, store.engine.connect() as conn:
        rows = {(r.household_id, r.year): r for r in conn.execute(select(HouseholdYear))}
        # a row was made for 2026, the year of identification; 2019 keeps the 2019 labels
        assert rows[(ids[0], 2026)].monitoring_category == "边缘易致贫户"
        assert rows[(ids[0], 2024)].monitoring_category is None
        assert rows[(ids[1], 2019)].attribute == "低保贫困户" and rows[(ids[1], 2019)].household_type is None
        assert rows[(ids[2], 2019)].attribute == "特困供养贫困户"
        assert rows[(ids[1], 2024)].risk_removed is True and rows[(ids[1], 2024)].risk_removed_at == "202409"
        assert rows[(ids[1], 2019)].monitoring_category is None
        s2024, s2026 = village_stats(conn, 2024), village_stats(conn, 2026)
        s2023 = village_stats(conn, 2023)
        current = conn.execute(select(Household.monitoring_category).where(Household.id == ids[0])).scalar_one()
    assert s2024["by_monitoring"]["households"] == {"脱贫不稳定户": 1, "未填写": 2}  # not the one of 2026
    assert s2024["by_removal"]["households"] == {"风险已消除": 1}
    assert s2024["by_risk_removed"]["households"] == {"因病": 1}
    assert s2026["by_monitoring"]["households"] == {"边缘易致贫户": 1, "脱贫不稳定户": 1, "未填写": 1}
    assert s2023["by_removal"]["households"] == {"风险未消除": 1}  # identified 2023, removed only in 2024
    assert s2024["by_attribute"]["households"] == {"低保脱贫户": 1, "特困供养脱贫户": 1, "未填写": 1}
    assert current == "边缘易致贫户"  # the list's copy follows the current year


def test_village_and_county_figures_agree_after_partial_updates(tmp_path, county):
    engine, keys = county
    store = make_device(tmp_path, "v1", engine, keys)
    hhs = [household(village=store.village_code, hh_no=f"C{i}") for i in range(4)]
    # 收支核算 of 2024 (3 people, 28,700.50 net, line 7,300): above; above until 8,000 of 刚性支出 is paid;
    # under by income; none at all
    hhs[1].incomes[2024].lines.append({"category": "刚性支出", "item": "合规自付医疗费用", "amount": Decimal(8000)})
    hhs[2].incomes[2024].lines[0]["amount"] = Decimal(10000)
    del hhs[3].incomes[2024]
    with unit_of_work(store) as uow:
        ids = create_households(uow, hhs)
    import_all(engine, keys, export(store, tmp_path / "usb1"))
    with unit_of_work(store) as uow:  # partial updates: one field of one year at a time
        save_household_year(uow, ids[0], 2024, {"monitoring_category": "脱贫不稳定户", "risks": "因病,因学"})
        save_household_year(uow, ids[1], 2024, {"monitoring_category": "边缘易致贫户", "risks": "因残"})
        save_household_year(uow, ids[1], 2025, {"risk_removed": True, "risk_removal_method": "自然消除",
                                                "risk_removed_at": "202507"})
        save_household_year(uow, ids[2], 2026, {"monitoring_category": "突发严重困难户", "risks": "因意外事故"})
    import_all(engine, keys, export(store, tmp_path / "usb2"))
    for year in (2024, 2025, 2026):
        with store.engine.connect() as conn:
            village = village_stats(conn, year)
        figures = county_stats(engine, year)
        assert figures["households"] == village["households"] and figures["people"] == village["people"]
        for key in ("by_risk", "by_removal", "by_risk_open", "by_attribute", "by_main_cause", "by_income"):
            assert figures[key] == village[key]["households"], (year, key)
        monitored = {k: v for k, v in village["by_monitoring"]["households"].items() if k != "未填写"}
        assert figures["by_monitoring"] == monitored, year
    assert county_stats(engine, 2024)["by_income"] == {"高于监测范围": 1, "扣除刚性支出后低于监测范围": 1,
                                                       "人均纯收入低于监测范围": 1, "未核算收入": 1}
    assert county_stats(engine, 2025)["by_income"] == {"未核算收入": 4}
    assert county_stats(engine, 2025)["by_removal"] == {"风险已消除": 1, "风险未消除": 1}
    assert county_stats(engine, 2024)["by_risk"] == {"因病": 1, "因学": 1, "因残": 1}
    # the 2025 row began with the 2024 status (carried on), so 因残 is counted as removed in 2025
    assert county_stats(engine, 2025)["by_risk_removed"] == {"因残": 1}
    store.close()
