"""Village figures of a year: households and people by status, attribute, main cause, monitoring, risks."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from ..derive import group_sort_key
from ..model import ChangeLog, Household, HouseholdYear, IncomeYear, Member, MemberYear
from ..reference import adds_claims, threshold_for
from ..sync_state import SyncState
from ..yearstatus import (
    INCOME_COLUMNS, MEMBER_YEAR, REASSESS_FIELDS, UNSET, YEAR_STATUS, count_year, income_label, present,
)

__all__ = ["STAT_TITLES", "UNSET", "group_order", "groups", "pending_changes", "village_stats"]


def village_stats(conn: Connection, year: int) -> dict[str, Any]:
    """The figures of ``year``: what was true in that year (``yearstatus.count_year``, the rule the
    county's figures use too)."""
    households = {hid: {"record_status": status, "left_on": left, "poverty_status": poverty}
                  for hid, status, left, poverty in conn.execute(select(
                      Household.id, Household.record_status, Household.left_on, Household.poverty_status))}
    people: Counter[str] = Counter()
    for hid, status, left in conn.execute(select(Member.household_id, Member.record_status, Member.left_on)):
        if present({"record_status": status, "left_on": left}, year):
            people[hid] += 1
    members = _member_years(conn, year)
    columns = [HouseholdYear.household_id, HouseholdYear.year, HouseholdYear.main_cause,
               *(HouseholdYear.__table__.c[name] for name in (*YEAR_STATUS, *REASSESS_FIELDS))]
    years: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
    for row in conn.execute(select(*columns).where(HouseholdYear.year <= year)).mappings():
        years[row["household_id"]][row["year"]] = dict(row)
    labels = _income_labels(conn, year)
    counts = count_year(((f, years.get(hid, {}), people[hid], labels.get(hid, income_label(None, None, True)),
                          members.get(hid, [])) for hid, f in households.items()), year)
    result: dict[str, Any] = {"year": year, "households": counts.households, "people": counts.people,
                              **counts.as_dict()}
    result["with_errors"] = conn.execute(
        select(func.count()).where(Household.record_status == "在册", Household.error_count > 0)
    ).scalar_one()
    return result


def _member_years(conn: Connection, year: int) -> dict[str, list[dict[str, Any]]]:
    """The member_year rows of ``year`` (``MEMBER_YEAR``) of the members present in it, by household."""
    query = (select(Member.household_id, Member.record_status, Member.left_on,
                    *(MemberYear.__table__.c[name] for name in MEMBER_YEAR))
             .join(MemberYear, MemberYear.member_id == Member.id).where(MemberYear.year == year))
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in conn.execute(query).mappings():
        if present(dict(row), year):
            out[row["household_id"]].append({name: row[name] for name in MEMBER_YEAR})
    return out


def _income_labels(conn: Connection, year: int) -> dict[str, str]:
    """Each household's 收支核算 of the year against its province's 监测范围 (``yearstatus.income_label``)."""
    columns = [IncomeYear.household_id, Household.village_code, *(IncomeYear.__table__.c[n] for n in INCOME_COLUMNS)]
    lines: dict[str, tuple[Decimal | None, bool]] = {}
    labels: dict[str, str] = {}
    query = select(*columns).join(Household, Household.id == IncomeYear.household_id).where(IncomeYear.year == year)
    for row in conn.execute(query).mappings():
        province = (row["village_code"] or "00")[:2]
        if province not in lines:
            lines[province] = (threshold_for(conn, province, year, "监测"), adds_claims(year, province))
        labels[row["household_id"]] = income_label(dict(row), *lines[province])
    return labels


STAT_TITLES = {
    "by_status": "按脱贫状态",
    "by_attribute": "按贫困户属性",
    "by_household_type": "按户类型",
    "by_monitoring": "按监测对象类别",
    "by_main_cause": "按主要致贫原因",
    "by_removal": "监测对象按风险消除情况",
    "by_risk": "监测对象按风险类型",
    "by_risk_open": "风险未消除的监测对象按风险类型",
    "by_risk_removed": "风险已消除的监测对象按风险类型",
    "by_income": "按收支核算（与监测范围相比）",
    "by_low_income": "农村低收入人口按类别",
    "by_layer": "农村低收入人口按帮扶层级",
    "by_member_category": "按成员社会救助类别（人数）",
    "by_reassessment": "原建档立卡户按评估结果",
}


def group_order(name: str) -> str:
    """第二组 before 第十组 before 第十一组 (text order puts 第七组 before 第三组); unnamed last."""
    return group_sort_key(None if name == UNSET else name)


def groups(conn: Connection) -> list[tuple[str, int]]:
    """村民小组 with their number of active households, in their natural order."""
    rows = conn.execute(
        select(Household.group_name, func.count()).where(Household.record_status == "在册")
        .group_by(Household.group_name)
    ).all()
    return sorted(((g or UNSET, n) for g, n in rows), key=lambda row: group_order(row[0]))


def pending_changes(conn: Connection) -> int:
    """Change-log entries not yet sent to the county."""
    return conn.execute(select(func.count()).where(ChangeLog.sync_state == SyncState.UNSENT)).scalar_one()
