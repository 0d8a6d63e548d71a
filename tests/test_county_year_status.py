"""The county's records moved to status by year (c0008) by the rule the stores use (0011): county
figures for data sent before the upgrade count what was true in each year."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from fupin_desktop.county.db import open_county_db
from fupin_desktop.county.stats import county_stats
from fupin_desktop.county.keys import init_county
from tests.conftest import COUNTY_PASSPHRASE, county_at_revision
from tests.down_support import county_records, device_matches, laptop, usb_round

DROPPED = ("no_labour_fallback", "risk_removal_method", "risk_removed_at")
VILLAGE = "520102003004"
OLD, NEWER = "0000000001000-0000-dev1", "0000000009000-0000-dev2"  # HLC-like: the later sorts higher
HOUSEHOLD = {"village_code": VILLAGE, "head_name": "张三", "record_status": "在册", "poverty_status": "脱贫户",
             "attribute": "一般脱贫户", "identified_year": 2016, "household_type": "脱贫户",
             "monitoring_category": "脱贫不稳定户", "monitoring_since": "202203", "risk_removed": True,
             "risk_removed_at": "202406", "risk_removal_method": "帮扶消除", "no_labour_fallback": False}


def _record(entity: str, entity_id: str, data: dict, versions: dict, rev: int) -> dict:
    return {"entity": entity, "id": entity_id, "hid": "h1", "village": VILLAGE, "rev": rev, "data": data,
            "versions": versions}


def _county_before_the_upgrade(url: str) -> None:
    county_at_revision(url, "c0005", [
        _record("household", "h1", HOUSEHOLD, dict.fromkeys(HOUSEHOLD, OLD), 1),
        # 2023: the population was sent; 2025: a device already set the year's 属性 itself (newer).
        _record("household_year", "y2023", {"household_id": "h1", "year": 2023, "population": 4},
                dict.fromkeys(("household_id", "year", "population"), OLD), 2),
        _record("household_year", "y2025", {"household_id": "h1", "year": 2025, "attribute": "低保脱贫户"},
                dict.fromkeys(("household_id", "year", "attribute"), NEWER), 3),
    ])


def _years(engine) -> dict[int, dict]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT data, versions, rev FROM record WHERE entity = 'household_year'")).all()
    return {json.loads(d)["year"]: {**json.loads(d), "_versions": json.loads(v), "_rev": r} for d, v, r in rows}


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_the_county_moves_status_into_years_as_the_stores_do(tmp_path, county_db_url, backend):
    url = county_db_url if backend == "postgresql" else f"sqlite:///{tmp_path / 'county.db'}"
    _county_before_the_upgrade(url)
    engine = open_county_db(url, COUNTY_PASSPHRASE)
    try:
        years = _years(engine)
        # Identified in 2022 (a year row made for it), still at risk in 2023, removed from 2024 on.
        assert years[2022]["monitoring_category"] == "脱贫不稳定户" and years[2022]["risk_removed"] is False
        assert years[2023]["monitoring_category"] == "脱贫不稳定户" and years[2023]["risk_removed"] is False
        assert years[2023]["population"] == 4  # what was there stays
        assert years[2024]["risk_removed"] is True and years[2024]["risk_removed_at"] == "202406"
        assert years[2024]["attribute"] == "一般脱贫户" and years[2024]["household_type"] == "脱贫户"
        # A value a device set on the year is not overwritten; the rest of that year is filled in.
        assert years[2025]["attribute"] == "低保脱贫户" and years[2025]["_versions"]["attribute"] == NEWER
        assert years[2025]["monitoring_category"] == "脱贫不稳定户"
        # Moved values carry the household field's version (any later edit wins) and a new revision
        # (devices enrolled later receive them).
        assert years[2024]["_versions"]["risk_removed"] == OLD
        assert min(y["_rev"] for y in years.values()) > 3
        # The household keeps its copies of the status the stores keep on it; the three they do not
        # (0011 DROPPED) are on the year records only (c0011): a device refuses a field it has not.
        with engine.connect() as conn:
            household, versions = conn.execute(text("SELECT data, versions FROM record WHERE entity_id = 'h1'")).one()
        assert json.loads(household) == {k: v for k, v in HOUSEHOLD.items() if k not in DROPPED}
        assert not set(json.loads(versions)) & set(DROPPED)
        assert years[2024]["risk_removal_method"] == "帮扶消除" and years[2023]["no_labour_fallback"] is False
        # County figures count what was true in the year.
        def removed(year: int) -> dict:
            village = county_stats(engine, year)["townships"][VILLAGE[:9]]["villages"][VILLAGE]
            return village["by_removal"]
        assert removed(2023) == {"风险未消除": 1} and removed(2024) == {"风险已消除": 1}, (removed(2023), removed(2024))
    finally:
        engine.dispose()


def test_a_laptop_enrolled_after_the_upgrade_takes_the_whole_village(tmp_path, county_db_url):
    """The household's records sent before the upgrade reach a new laptop whole: status on the year rows."""
    _county_before_the_upgrade(county_db_url)
    engine = open_county_db(county_db_url, COUNTY_PASSPHRASE)
    try:
        keys = init_county(engine, name="测试县", passphrase=COUNTY_PASSPHRASE)
        store = laptop(tmp_path, "新机", engine, keys)
        usb_round(engine, keys, tmp_path, "first", store)
        assert device_matches(store, county_records(engine, VILLAGE)) == []
        with store.engine.connect() as conn:
            removed = conn.execute(text("SELECT risk_removal_method FROM household_year WHERE household_id = 'h1' "
                                        "AND year = 2024")).scalar_one()
        assert removed == "帮扶消除"
        store.close()
    finally:
        engine.dispose()
