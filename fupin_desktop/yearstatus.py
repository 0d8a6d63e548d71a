"""A household's status in a given year, and the one way figures count it (village and county alike).

属性, 户类型, 监测对象类别, 兜底保障, the risks and 风险消除 are kept on ``household_year``: a household
identified for monitoring in 2026 was not a 监测对象 in 2024. The row of year Y says what was true in
Y; a year without a row carries on the latest earlier row (a status lasts until a later year records
another), never a later one. ``Household`` keeps a copy of the current year's status for the
household list and its filters (``mirror``), refreshed on every save.

Both ``queries.stats.village_stats`` and ``county.stats.county_stats`` count through ``count_year``,
so the two agree on the same records.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from .income import standing

Row = Mapping[str, Any]
R = TypeVar("R")

# Kept per year on household_year; the first four are mirrored on the household for its list.
STATUS_FIELDS = ("household_type", "attribute", "monitoring_category", "no_labour_fallback",
                 "risk_removed", "risk_removal_method", "risk_removed_at")
RISK_FIELDS = ("risks", "disaster_subtype", "risk_note")
YEAR_STATUS = STATUS_FIELDS + RISK_FIELDS
MIRRORED = ("household_type", "attribute", "monitoring_category", "risk_removed")

UNSET = "未填写"
REMOVED, OPEN = "风险已消除", "风险未消除"
_SPLIT = re.compile(r"[,，、;；/\s]+")


def year_row(years: Mapping[int, R], year: int) -> R | None:
    """The household_year row that speaks for ``year``: its own, else the latest earlier one."""
    own = years.get(year)
    if own is not None:
        return own
    earlier = [y for y in years if isinstance(y, int) and y < year]
    return years[max(earlier)] if earlier else None


def status_of(years: Mapping[int, Row], year: int) -> dict[str, Any]:
    """The status fields true in ``year`` (all None when nothing was recorded by then)."""
    row: Row = year_row(years, year) or {}
    return {name: row.get(name) for name in YEAR_STATUS}


def mirror(years: Mapping[int, Row], year: int) -> dict[str, Any]:
    """The household columns that copy the current year's status (the list shows and filters them)."""
    status = status_of(years, year)
    return {name: status[name] for name in MIRRORED}


def risk_labels(value: Any) -> list[str]:
    return [] if value is None else [p for p in _SPLIT.split(str(value).strip()) if p]


def monitored(status: Mapping[str, Any]) -> bool:
    category = status.get("monitoring_category")
    return isinstance(category, str) and bool(category.strip())


@dataclass
class YearCounts:
    """Households and people by each status of one year."""

    year: int
    households: int = 0
    people: int = 0
    by: dict[str, dict[str, Counter[str]]] = field(default_factory=dict)

    def add(self, key: str, label: str, people: int) -> None:
        counts = self.by.setdefault(key, {"households": Counter(), "people": Counter()})
        counts["households"][label] += 1
        counts["people"][label] += people

    def as_dict(self) -> dict[str, dict[str, dict[str, int]]]:
        return {key: {unit: dict(c.most_common()) for unit, c in units.items()} for key, units in self.by.items()}


COUNTED = {  # key in the figures → status field (households without a value count as 未填写)
    "by_attribute": "attribute",
    "by_household_type": "household_type",
    "by_monitoring": "monitoring_category",
}
KEYS = ("by_status", *COUNTED, "by_main_cause", "by_removal", "by_risk", "by_risk_open", "by_risk_removed",
        "by_income")
INCOME_COLUMNS = ("population", "net_income", "per_capita_net", "rigid_expense", "compliant_oop_expense",
                  "claims_income")
NO_INCOME, NO_LINE, BELOW = "未核算收入", "未设置监测范围", "人均纯收入低于监测范围"
PUSHED_UNDER, ABOVE = "扣除刚性支出后低于监测范围", "高于监测范围"


def income_label(row: Mapping[str, Any] | None, line: Decimal | None, adds_claims: bool) -> str:
    """Where the year's 收支核算 (an ``income_year`` row, INCOME_COLUMNS) puts a household against the
    监测范围: under it by income, under it only once the 刚性支出 is paid, or above."""
    st = standing(row, None, line, adds_claims) if row is not None else None
    if st is None or st.per_capita is None:
        return NO_INCOME
    if line is None:
        return NO_LINE
    if st.per_capita < line:
        return BELOW
    return PUSHED_UNDER if st.pushed_under else ABOVE


def _left_year(fields: Row) -> int | None:
    left = fields.get("left_on")
    text = str(left or "")[:4]
    return int(text) if text.isdigit() else None


def present(fields: Row, year: int) -> bool:
    """On the books at the end of ``year`` (households and members alike): 在册 today, or left later."""
    if fields.get("record_status", "在册") in (None, "在册"):
        return True
    left = _left_year(fields)
    return left is not None and left > year


def household_counts(fields: Row, years: Mapping[int, Row], year: int) -> bool:
    """Whether a household belongs in the figures of ``year``: on the books then, and not first
    recorded in a later year (a household registered in 2026 was not there in 2024)."""
    if not present(fields, year):
        return False
    known = [y for y in years if isinstance(y, int)]
    return not known or min(known) <= year


def count_household(counts: YearCounts, fields: Row, years: Mapping[int, Row], people: int,
                    income: str = NO_INCOME) -> None:
    """Add one household with ``people`` members present in the year and its ``income_label``; the
    caller checked ``household_counts``."""
    status = status_of(years, counts.year)
    counts.households += 1
    counts.people += people
    counts.add("by_income", income, people)
    poverty = fields.get("poverty_status")
    counts.add("by_status", poverty if isinstance(poverty, str) and poverty else UNSET, people)
    for key, name in COUNTED.items():
        value = status.get(name)
        counts.add(key, value if isinstance(value, str) and value.strip() else UNSET, people)
    own = years.get(counts.year)
    cause = own.get("main_cause") if own is not None else None
    if own is not None:  # a year fact, not a status: only the year's own row says it
        counts.add("by_main_cause", cause if isinstance(cause, str) and cause else UNSET, people)
    if not monitored(status):
        return
    removed = status.get("risk_removed") is True
    counts.add("by_removal", REMOVED if removed else OPEN, people)
    for risk in dict.fromkeys(risk_labels(status.get("risks"))) or (UNSET,):
        counts.add("by_risk", risk, people)
        counts.add("by_risk_removed" if removed else "by_risk_open", risk, people)


def count_year(households: Iterable[tuple[Row, Mapping[int, Row], int, str]], year: int) -> YearCounts:
    """Counts of ``year`` over (household fields, household_year rows by year, members present in the
    year, ``income_label`` of the year) for every household; households not there in ``year`` are
    left out here."""
    counts = YearCounts(year)
    for fields, years, people, income in households:
        if household_counts(fields, years, year):
            count_household(counts, fields, years, people, income)
    for key in KEYS:
        counts.by.setdefault(key, {"households": Counter(), "people": Counter()})
    return counts


def year_facts(years: Mapping[int, Row], year: int) -> dict[str, Any]:
    """The year's own row (population, causes, conditions…) with the status true in the year: what a
    printed form of that year shows."""
    return {**status_of(years, year), **(years.get(year) or {})}
