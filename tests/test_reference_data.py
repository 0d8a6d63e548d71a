"""Reference data: rule parameters read through one function, shipped values merged into existing stores
without overwriting the county's, and a year with no monitoring line reported by the check."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from fupin_desktop import reference
from fupin_desktop.bundle import HouseholdData, IncomeData
from fupin_desktop.reference import ParamRow, RefValue, apply_reference, rule_param, shipped_params
from fupin_desktop.services.checks import run_check
from fupin_desktop.services.households import create_households, unit_of_work
from fupin_desktop.store.store import Store
from fupin_desktop.validation.engine import Context
from fupin_desktop.validation.rules.conditions import conditions_ranges
from tests.conftest import PASSWORD
from tests.factories import household


def row(value, *, province="00", year_from=2014, year_to=None, origin="shipped", version=0, name="p"):
    return ParamRow(name, province, year_from, year_to, value, "test", origin, version)


def test_rule_param_prefers_the_province_then_the_latest_start_then_the_county():
    rows = (row(1), row(2, year_from=2022), row(3, province="52"), row(4, origin="county", version=2),
            row(5, origin="county", version=7), row(9, year_from=2010, year_to=2012, name="q"))
    assert rule_param("p", year=2021, province="52", rows=rows) == 3
    assert rule_param("p", year=2023, province="53", rows=rows) == 2
    assert rule_param("p", year=2021, province="53", rows=rows) == 5  # the county's newest version
    assert rule_param("q", year=2005, rows=rows) == 9  # before every row: the earliest row
    with pytest.raises(KeyError):
        rule_param("nothing", year=2024, rows=rows)


def test_every_shipped_parameter_has_the_documented_shape():
    doc = json.loads((reference.resources_dir() / "rule_params.json").read_text("utf-8"))
    assert doc["version"] == 1
    for p in doc["params"]:
        assert set(p) == {"name", "province", "year_from", "year_to", "value", "source"}
        assert p["name"].isidentifier() and p["name"] == p["name"].lower() and p["source"]
    names = {p.name for p in shipped_params()}
    assert {"arable_mu_max", "max_risks", "risk_removal_min_months"} <= names


def test_a_county_parameter_in_the_store_changes_what_the_rule_finds(new_store):
    hh = household()
    hh.fields["id"] = "h1"
    hh.years[2024]["arable_mu"] = Decimal("80")
    with new_store.engine.connect() as conn:
        ctx = Context.for_store(conn, 2024)
    assert not [f for f in conditions_ranges(hh, ctx) if f.rule == "CON-02"]
    with new_store.engine.begin() as conn:
        assert apply_reference(conn, RefValue("param", "arable_mu_max", "00", 2014, None, 50, "县里核定", 1))
        ctx = Context.for_store(conn, 2024)
    found = [f for f in conditions_ranges(hh, ctx) if f.rule == "CON-02"]
    assert [f.field for f in found] == ["arable_mu"] and "超过50" in found[0].message


def _low_income_household(year: int) -> HouseholdData:
    hh = household(extra_members=1)
    hh.incomes = {year: IncomeData(fields={}, lines=[{"category": "工资性收入", "item": "务工收入",
                                                      "amount": Decimal("10000")}])}  # 5,000 per person
    hh.years = {year: {"population": 2}}
    return hh


def test_check_of_a_year_without_a_monitoring_line_says_so(new_store):
    with unit_of_work(new_store) as uow:
        create_households(uow, [_low_income_household(2027)])
    findings, _ = run_check(new_store, year=2027)
    rules = {f.rule for f in findings}
    assert "INC-17" in rules and "INC-05" not in rules
    assert any("2027年没有监测范围" in f.message for f in findings)
    with new_store.engine.begin() as conn:
        apply_reference(conn, RefValue("threshold", "监测", "00", 2027, 2027, 7900, "县乡村振兴局 2027年文件", 3))
    rules = {f.rule for f in run_check(new_store, year=2027)[0]}
    assert "INC-05" in rules and "INC-17" not in rules


def _upgraded_resources(tmp: Path) -> Path:
    """The resources of a newer program: a changed 2026 line, new 2027 and 2028 lines, a changed limit."""
    shutil.copytree(reference.resources_dir(), tmp / "resources")
    path = tmp / "resources" / "thresholds.json"
    doc = json.loads(path.read_text("utf-8"))
    doc["rows"] = [r for r in doc["rows"] if (r[0], r[1], r[2]) != ("00", 2026, "监测")]
    doc["rows"] += [["00", 2026, "监测", 7750, "K: 新版程序"], ["00", 2027, "监测", 7800, "K: 新版程序"],
                    ["00", 2028, "监测", 8000, "K: 新版程序"]]
    path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    params = tmp / "resources" / "rule_params.json"
    pdoc = json.loads(params.read_text("utf-8"))
    for p in pdoc["params"]:
        if p["name"] in ("arable_mu_max", "forest_mu_max"):
            p["value"] = 120
    params.write_text(json.dumps(pdoc, ensure_ascii=False), "utf-8")
    return tmp / "resources"


def test_a_program_upgrade_brings_shipped_values_and_keeps_the_county_ones(new_store, store_path, tmp_path,
                                                                          monkeypatch):
    with new_store.engine.begin() as conn:
        apply_reference(conn, RefValue("threshold", "监测", "00", 2027, 2027, 7900, "县里设定", 4))
        apply_reference(conn, RefValue("param", "forest_mu_max", "00", 2014, None, 300, "县里设定", 5))
    new_store.close()
    upgraded = _upgraded_resources(tmp_path)
    monkeypatch.setattr(reference, "resources_dir", lambda: upgraded)
    shipped_params.cache_clear()
    try:
        with Store.open(store_path, "admin", PASSWORD) as store, store.engine.connect() as conn:
            lines = {(r.year, r.kind): (r.amount, r.origin) for r in reference.threshold_rows(conn)
                     if r.province_code == "00"}
            ctx = Context.for_store(conn, 2024)
    finally:
        shipped_params.cache_clear()
    assert lines[(2027, "监测")] == (Decimal("7900"), "county")  # the county's value stays
    assert lines[(2028, "监测")] == (Decimal("8000"), "shipped")  # new shipped key added
    assert lines[(2026, "监测")] == (Decimal("7750"), "shipped")  # shipped value refreshed
    assert ctx.param("arable_mu_max") == 120 and ctx.param("forest_mu_max") == 300
