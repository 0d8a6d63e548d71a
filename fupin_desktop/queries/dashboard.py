"""The village dashboard's figures: each comes with the search filter that lists its households."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from ..model import Household, HouseholdYear, IncomeYear, Meta
from ..reference import threshold_for
from ..procedure import OVERDUE, TODO
from .procedures import WARNINGS_OPEN, village_counts
from .search import SearchQuery, search_households
from .stats import village_stats

# Multiples of the monitoring threshold that bound the income bands.
BANDS = (Decimal("0"), Decimal("1"), Decimal("1.5"), Decimal("2"), Decimal("3"))


@dataclass(frozen=True)
class Figure:
    label: str
    households: int
    people: int | None = None
    filters: dict[str, Any] = field(default_factory=dict)


@dataclass
class Dashboard:
    year: int
    households: int
    people: int
    threshold: Decimal | None
    by_status: list[Figure]
    by_attribute: list[Figure]
    by_cause: list[Figure]
    income_bands: list[Figure]
    monitoring: list[Figure]
    risks: list[Figure]
    quality: list[Figure]
    procedure: list[Figure] = field(default_factory=list)  # 待办 / 超期 / 预警待处置 (SPEC §6.1)


def _figures(stats: dict[str, Any], key: str, filter_key: str) -> list[Figure]:
    hh, people = stats[key]["households"], stats[key]["people"]
    return [Figure(label, n, people.get(label), {filter_key: label} if label != "未填写" else {}) for label,
            n in hh.items()]


def _income_bands(conn: Connection, year: int, threshold: Decimal | None) -> list[Figure]:
    if threshold is None:
        return []
    incomes = conn.execute(
        select(IncomeYear.per_capita_net).join(Household, Household.id == IncomeYear.household_id)
        .where(IncomeYear.year == year, Household.record_status == "在册", IncomeYear.per_capita_net.is_not(None))
    ).scalars()
    edges = [threshold * m for m in BANDS]
    counts: Counter[int] = Counter()
    for value in incomes:
        if value is None:  # not selected (is_not(None) above); the column is nullable
            continue
        band = sum(value >= e for e in edges[1:])
        counts[band] += 1
    labels = [f"低于监测范围（<{edges[1]:.0f}元）"] + [
        f"{edges[i]:.0f}–{edges[i + 1]:.0f}元" for i in range(1, len(edges) - 1)] + [f"{edges[-1]:.0f}元以上"]
    bounds = [(None, edges[1])] + [(edges[i], edges[i + 1]) for i in range(1, len(edges) - 1)] + [(edges[-1], None)]
    return [Figure(labels[i], counts[i], None, {"income_min": lo, "income_max": hi}) for i,
            (lo, hi) in enumerate(bounds)]


def _risks(conn: Connection, year: int) -> list[Figure]:
    counts: Counter[str] = Counter()
    rows = conn.execute(
        select(HouseholdYear.risks).join(Household, Household.id == HouseholdYear.household_id)
        .where(HouseholdYear.year == year, Household.record_status == "在册", HouseholdYear.risks.is_not(None))
    ).scalars()
    for risks in rows:
        if risks is None:  # not selected (is_not(None) above); the column is nullable
            continue
        counts.update(r.strip() for r in risks.split(",") if r.strip())
    return [Figure(label, n, None, {"risk": label}) for label, n in counts.most_common()]


def dashboard(conn: Connection, year: int) -> Dashboard:
    stats = village_stats(conn, year)
    village = conn.execute(select(Meta.value).where(Meta.key == "village_code")).scalar_one_or_none() or "00"
    threshold = threshold_for(conn, village[:2], year, "监测")
    with_errors = search_households(conn, SearchQuery(year=year, has_errors=True))
    incomplete = search_households(conn, SearchQuery(year=year, incomplete=True))
    quality = [Figure("有错误的户", len(with_errors), None, {"has_errors": True}),
               Figure("信息不完整的户", len(incomplete), None, {"incomplete": True})]
    counts = village_counts(conn, date.today())
    procedure = [Figure("监测程序待办", counts.todo, None, {"procedure": TODO}),
                 Figure("监测程序超期", counts.overdue, None, {"procedure": OVERDUE}),
                 Figure("部门预警待处置", counts.warnings_open, None, {"procedure": WARNINGS_OPEN}),
                 Figure("部门预警超期未处置", counts.warnings_overdue, None, {"procedure": WARNINGS_OPEN})]
    monitoring = [f for f in _figures(stats, "by_monitoring", "monitoring_category") if f.label != "未填写"]
    return Dashboard(
        year=year, households=stats["households"], people=stats["people"], threshold=threshold,
        by_status=_figures(stats, "by_status", "poverty_status"),
        by_attribute=_figures(stats, "by_attribute", "attribute"),
        by_cause=_figures(stats, "by_main_cause", "main_cause"),
        income_bands=_income_bands(conn, year, threshold),
        monitoring=monitoring,
        risks=_risks(conn, year),
        quality=quality,
        procedure=procedure,
    )
