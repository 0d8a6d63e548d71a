"""生产生活条件 and 两不愁三保障 of the accounting year (SPEC §1.3, §3.1, §8.2 29–32)."""

from __future__ import annotations

from collections.abc import Iterator

from ...bundle import HouseholdData
from ..engine import BLANK, ERROR, WARNING, Context, Finding, rule
from ._common import Facts, blank, facts, label, labels, missing, to_decimal

REQUIRED = ("arable_mu", "forest_mu", "returned_forest_mu", "orchard_mu", "pasture_mu", "water_surface_mu",
            "road_distance_km", "housing_area_m2", "dilapidated", "drinking_safe", "sanitary_toilet")
AREAS = ("arable_mu", "irrigated_mu", "forest_mu", "returned_forest_mu", "orchard_mu", "pasture_mu",
         "water_surface_mu", "road_distance_km", "housing_area_m2")
# Upper bounds above which a value is probably a typing error (GZ 5_14_001…014) [K]: rule parameters
# "<column>_max" (resources/rule_params.json, or the county's values).
LIMITED = frozenset({"arable_mu", "pasture_mu", "water_surface_mu", "forest_mu", "returned_forest_mu", "orchard_mu",
                     "road_distance_km"})
CODED = (("road_type", "入户路类型"), ("fuel_type", "主要燃料类型"), ("dilapidation_grade", "危房级别"),
         ("relocation_mode", "搬迁方式"), ("resettlement_mode", "安置方式"), ("resettlement_place", "安置地"))
GUARANTEES = ("food_secure", "clothing_secure", "education_secure", "medical_secure", "housing_secure", "water_secure")


def _name(column: str) -> str:
    return label("household_year", column)


@rule
def conditions_filled(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """Rule 29: the condition fields the national checker requires."""
    fx = facts(hh, ctx)
    if not fx.live or fx.hy is None:
        return
    where = fx.at("household_year")
    for column in missing(fx.hy, REQUIRED):
        hint = "（为0时请填0）" if column in AREAS else ""
        yield Finding("CON-01", ERROR, field=column, message=f"{ctx.year}年{_name(column)}未填写{hint}",
                      kind=BLANK, **where)
    if blank(fx.hy.get("road_type")) and fx.hy.get("road_hardened") is None:
        yield Finding("CON-01", ERROR, field="road_type", message=f"{ctx.year}年入户路类型（或入户道路是否硬化）未填写",
                      kind=BLANK, **where)


@rule
def conditions_ranges(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """Rule 30, negative values and code labels."""
    fx = facts(hh, ctx)
    if not fx.live or fx.hy is None:
        return
    hy, where = fx.hy, fx.at("household_year")
    for column in AREAS:
        value = to_decimal(hy.get(column))
        if value is None:
            continue
        if value < 0:
            yield Finding("CON-03", ERROR, field=column, message=f"{_name(column)}为负数（{value}）", **where)
        elif column in LIMITED and value > (limit := ctx.number(f"{column}_max")):
            yield Finding("CON-02", WARNING, field=column,
                          message=f"{_name(column)}为{value}，超过{limit}，请核实", **where)
    arable, irrigated = to_decimal(hy.get("arable_mu")), to_decimal(hy.get("irrigated_mu"))
    if arable is not None and irrigated is not None and irrigated > arable:
        yield Finding("CON-04", WARNING, field="irrigated_mu",
                      message=f"有效灌溉面积（{irrigated}亩）大于耕地面积（{arable}亩）", **where)
    for column, table in CODED:
        value = hy.get(column)
        if blank(value):
            continue
        allowed = labels(ctx, table)
        if allowed is not None and value not in allowed:
            yield Finding("CON-09", ERROR, field=column, message=f"{_name(column)}“{value}”不在代码表中", **where)
    grade = hy.get("dilapidation_grade")
    if hy.get("dilapidated") is True and blank(grade):
        yield Finding("CON-07", WARNING, field="dilapidation_grade", message="是危房户，但未填写危房级别", **where)
    elif hy.get("dilapidated") is False and not blank(grade):
        yield Finding("CON-07", WARNING, field="dilapidated", message=f"危房级别为“{grade}”，但是否危房户为“否”",
                      **where)


@rule
def power_for_poor(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """Rule 31: a 脱贫户 without household electricity."""
    fx = facts(hh, ctx)
    if fx.live and fx.hy is not None and fx.target and fx.hy.get("household_power") is False:
        yield Finding("CON-05", ERROR, field="household_power", message="脱贫户（监测户）未通生活用电",
                      **fx.at("household_year"))


def _unmet(fx: Facts) -> Iterator[tuple[str, str, dict[str, str]]]:
    """The 三保障 / 饮水 problems of the year, as (column, reason, where)."""
    hy, where = fx.hy or {}, fx.at("household_year")
    if hy.get("dilapidated") is True:
        yield "dilapidated", "是危房户", where
    if hy.get("drinking_safe") is False:
        yield "drinking_safe", "饮水不安全", where
    if hy.get("safe_water_solved") is False:
        yield "safe_water_solved", "未解决安全饮用水", where
    for column in GUARANTEES:
        if hy.get(column) is False:
            yield column, f"{_name(column)}为“否”", where
    for p in fx.people:
        if p.y is not None and p.y.get("critical_illness") is False and p.y.get("active_soldier") is not True:
            yield "critical_illness", f"{p.name} 未参加大病保险", p.at(fx.hh)


@rule
def guarantees_need_monitoring(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """Rule 32: 三保障 or 饮水 not met, yet the household is not (or no longer) monitored."""
    fx = facts(hh, ctx)
    if not fx.live or fx.monitored:
        return
    state = "已标注风险消除" if fx.in_monitoring else "未纳入监测对象"
    for column, reason, where in _unmet(fx):
        yield Finding("CON-06", ERROR, field=column, message=f"{reason}（三保障或饮水安全未落实），但{state}", **where)
