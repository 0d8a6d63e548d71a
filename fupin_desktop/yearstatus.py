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
# 农村低收入人口, 分层分类: a status too (a 低保 household stays one until a later year says otherwise).
CATEGORY_FIELDS = ("assistance_category", "support_layer")
YEAR_STATUS = STATUS_FIELDS + RISK_FIELDS + CATEGORY_FIELDS
# The year's 评估 of a former 建档立卡 household: a fact of its own year only, never carried on.
REASSESS_FIELDS = ("reassess_result", "reassessed_on", "reassessed_by", "reassess_reason")
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


def _given(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def monitored(status: Mapping[str, Any]) -> bool:
    return _given(status.get("monitoring_category"))


# ---- 农村低收入人口 (SPEC §6.1) ------------------------------------------------------------------
MONITORED_OBJECT = "防止返贫致贫对象"  # a 监测对象 of the year: the category the monitoring itself gives
DEVELOPMENT, FALLBACK = "开发式帮扶", "兜底保障"
ABLE_LABOUR = frozenset({"普通劳动力", "技能劳动力"})  # 有劳动能力; 弱/半劳动力 counts as none (GZ rule 20)
NOT_ASSESSED = "未评估"
PENDING = "本年未评估的原建档立卡户"  # the list filter's name and the CLI's heading


def categories_of(status: Mapping[str, Any]) -> list[str]:
    """The low-income categories a household carries in the year: its 社会救助类别 and, as a 监测对象,
    防止返贫致贫对象 (both at once for a 低保 household under monitoring)."""
    own = status.get("assistance_category")
    return ([str(own).strip()] if _given(own) else []) + ([MONITORED_OBJECT] if monitored(status) else [])


def layer_from_labour(labours: Iterable[Any]) -> str | None:
    """The layer the members' 劳动技能 of the year decides: 开发式帮扶 when someone can work, 兜底保障
    when every member's is recorded and nobody can; None when the data does not decide it."""
    values = list(labours)
    if any(v in ABLE_LABOUR for v in values):
        return DEVELOPMENT
    return FALLBACK if values and all(_given(v) for v in values) else None


def layer_of(status: Mapping[str, Any], labours: Iterable[Any]) -> str | None:
    """The layer that counts: the one a person set, else the one the labour decides."""
    chosen = status.get("support_layer")
    return str(chosen).strip() if _given(chosen) else layer_from_labour(labours)


def former_poor(status: Mapping[str, Any]) -> bool:
    """A former 建档立卡 household in the year: its 属性 names one (一般脱贫户, 低保贫困户…), or its
    户类型 is 脱贫户 — the test the rules use for a 脱贫户."""
    return _given(status.get("attribute")) or status.get("household_type") == "脱贫户"


def reassessment_of(years: Mapping[int, Row], year: int) -> str | None:
    """The year's 评估结果 (None: not assessed that year). Only the year's own row says it."""
    own = years.get(year) or {}
    result = own.get("reassess_result")
    return str(result).strip() if _given(result) else None


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
        "by_income", "by_low_income", "by_layer", "by_member_category", "by_reassessment")
MEMBER_YEAR = ("labour_skill", "assistance_category")  # what the figures read of each member's year
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
                    income: str = NO_INCOME, members: Iterable[Row] = ()) -> None:
    """Add one household with ``people`` members present in the year, its ``income_label`` and the
    member_year rows (``MEMBER_YEAR``) of those members; the caller checked ``household_counts``."""
    status = status_of(years, counts.year)
    _count_low_income(counts, status, years, list(members), people)
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


def _count_low_income(counts: YearCounts, status: Row, years: Mapping[int, Row], members: list[Row],
                      people: int) -> None:
    """By category and layer (households carrying a category), members by their own category, and
    former 建档立卡 households by the year's 评估结果."""
    categories = categories_of(status)
    for category in categories:
        counts.add("by_low_income", category, people)
    if categories:
        counts.add("by_layer", layer_of(status, (m.get("labour_skill") for m in members)) or UNSET, people)
    for category, n in Counter(str(m["assistance_category"]).strip() for m in members
                               if _given(m.get("assistance_category"))).items():
        counts.add("by_member_category", category, n)
    if former_poor(status):
        counts.add("by_reassessment", reassessment_of(years, counts.year) or NOT_ASSESSED, people)


def count_year(households: Iterable[tuple[Row, Mapping[int, Row], int, str, Iterable[Row]]],
               year: int) -> YearCounts:
    """Counts of ``year`` over (household fields, household_year rows by year, members present in the
    year, ``income_label`` of the year, those members' member_year rows of the year) for every
    household; households not there in ``year`` are left out here."""
    counts = YearCounts(year)
    for fields, years, people, income, members in households:
        if household_counts(fields, years, year):
            count_household(counts, fields, years, people, income, members)
    for key in KEYS:
        counts.by.setdefault(key, {"households": Counter(), "people": Counter()})
    return counts


def year_facts(years: Mapping[int, Row], year: int) -> dict[str, Any]:
    """The year's own row (population, causes, conditions…) with the status true in the year: what a
    printed form of that year shows."""
    return {**status_of(years, year), **(years.get(year) or {})}
