"""Village figures: households and people by status, attribute, main cause and monitoring type."""

from __future__ import annotations


from collections import Counter
from typing import Any

from sqlalchemy import Connection, func, select

from ..derive import group_sort_key
from ..model import ChangeLog, Household, HouseholdYear, Member
from ..sync_state import SyncState

UNSET = "未填写"


def _count(conn: Connection, column: Any, *, people: bool, year_column: bool = False, year: int | None = None
           ) -> dict[str, int]:
    unit = func.count(Member.id) if people else func.count(func.distinct(Household.id))
    stmt = select(column, unit).select_from(Household)
    if people:
        stmt = stmt.join(Member, (Member.household_id == Household.id) & (Member.record_status == "在册"))
    if year_column:
        stmt = stmt.join(HouseholdYear, (HouseholdYear.household_id == Household.id) & (HouseholdYear.year == year))
    stmt = stmt.where(Household.record_status == "在册").group_by(column)
    counts: Counter[str] = Counter()
    for key, n in conn.execute(stmt).all():
        counts[key or UNSET] += n
    return dict(counts.most_common())


def village_stats(conn: Connection, year: int) -> dict[str, Any]:
    totals = conn.execute(
        select(func.count(func.distinct(Household.id)), func.count(Member.id))
        .select_from(Household)
        .outerjoin(Member, (Member.household_id == Household.id) & (Member.record_status == "在册"))
        .where(Household.record_status == "在册")
    ).one()
    result: dict[str, Any] = {"year": year, "households": totals[0], "people": totals[1]}
    for key, column, needs_year in (
        ("by_status", Household.poverty_status, False),
        ("by_attribute", Household.attribute, False),
        ("by_household_type", Household.household_type, False),
        ("by_monitoring", Household.monitoring_category, False),
        ("by_main_cause", HouseholdYear.main_cause, True),
    ):
        result[key] = {
            "households": _count(conn, column, people=False, year_column=needs_year, year=year),
            "people": _count(conn, column, people=True, year_column=needs_year, year=year),
        }
    result["with_errors"] = conn.execute(
        select(func.count()).where(Household.record_status == "在册", Household.error_count > 0)
    ).scalar_one()
    return result


STAT_TITLES = {
    "by_status": "按脱贫状态",
    "by_attribute": "按贫困户属性",
    "by_household_type": "按户类型",
    "by_monitoring": "按监测对象类别",
    "by_main_cause": "按主要致贫原因",
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
