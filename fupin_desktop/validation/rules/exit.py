"""贫困户退出 (SPEC §3.2): a household marked 已脱贫 must have met the standard in its exit year —
人均纯收入 above that year's 退出 line and every 两不愁三保障 item 是."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from ...bundle import HouseholdData
from ..engine import ERROR, WARNING, Context, Finding, rule
from ._common import facts, income_figures, label, per_capita, to_decimal, yuan

EXITED = frozenset({"已脱贫(享受政策)", "已脱贫(不享受政策)"})
CHECKLIST = ("food_secure", "clothing_secure", "education_secure", "medical_secure", "housing_secure", "water_secure")


def _exited(f: dict[str, Any], status: dict[str, Any]) -> bool:
    return f.get("poverty_status") in EXITED or (
        status.get("household_type") == "脱贫户" and f.get("exit_year") is not None)


def _exit_shown(f: dict[str, Any]) -> str:
    status = f.get("poverty_status")
    return f"脱贫状态为“{status}”" if status else "户类型为脱贫户"


def _exit_assessment(hh: HouseholdData, year: int) -> dict[str, Any] | None:
    return next((a for a in hh.assessments
                 if isinstance(a, dict) and a.get("kind") == "退出" and a.get("year") == year), None)


@rule
def exit_year_given(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    fx = facts(hh, ctx)
    f = hh.fields
    if not fx.live or not _exited(f, fx.status):
        return
    year, where = f.get("exit_year"), fx.at()
    if not isinstance(year, int):
        yield Finding("EXIT-04", ERROR, field="exit_year",
                      message=f"{_exit_shown(f)}，但未填写脱贫年度", **where)
        return
    identified = f.get("identified_year")
    if isinstance(identified, int) and year < identified:
        yield Finding("EXIT-04", ERROR, field="exit_year", message=f"脱贫年度 {year} 早于识别年度 {identified}",
                      **where)
    if year > ctx.today.year:
        yield Finding("EXIT-04", ERROR, field="exit_year", message=f"脱贫年度 {year} 晚于今年", **where)


@rule
def exit_standard(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """The exit year's income and checklist, from that year's facts or its 退出 assessment."""
    fx = facts(hh, ctx)
    f = hh.fields
    year = f.get("exit_year")
    if not fx.live or not _exited(f, fx.status) or not isinstance(year, int):
        return
    if year not in hh.incomes and year not in hh.years and not hh.assessments:
        return
    assessment = _exit_assessment(hh, year)
    income = income_figures(hh, year, (hh.years.get(year) or {}).get("population"))
    pc, source, record = per_capita(income), (income or {}).get("_row"), "income_year"
    if pc is None and assessment is not None:
        pc, source, record = to_decimal(assessment.get("income_per_capita")), assessment, "assessment"
    line: Decimal | None = ctx.threshold("退出", year)
    if line is None and assessment is not None:
        line = to_decimal(assessment.get("threshold"))
    if line is None:  # an exit after 2020: the exit line is a rule parameter of the province
        line = ctx.number("exit_line", year)
    if pc is not None and line is not None and pc <= line:
        yield Finding("EXIT-01", ERROR, field="per_capita_net",
                      message=f"{year}年脱贫，但当年人均纯收入{yuan(pc)}元未超过退出标准{yuan(line)}元",
                      household=hh.id, record=record, record_id=(source or {}).get("id") or "")
    yield from _checklist(hh, year, assessment)


def _checklist(hh: HouseholdData, year: int, assessment: dict[str, Any] | None) -> Iterator[Finding]:
    row, record = hh.years.get(year), "household_year"
    if not isinstance(row, dict) or all(row.get(c) is None for c in CHECKLIST):
        row, record = assessment, "assessment"
    if row is None:
        return
    where = {"household": hh.id, "record": record, "record_id": row.get("id") or ""}
    failed = [c for c in CHECKLIST if row.get(c) is False]
    missing = [c for c in CHECKLIST if row.get(c) is None]
    if failed:
        names = "、".join(label("household_year", c) for c in failed)
        yield Finding("EXIT-02", ERROR, field=failed[0],
                      message=f"{year}年脱贫，但“{names}”为“否”（两不愁三保障未实现）", **where)
    if missing:
        names = "、".join(label("household_year", c) for c in missing)
        yield Finding("EXIT-03", WARNING, field=missing[0], message=f"{year}年脱贫，但“{names}”未评定", **where)
