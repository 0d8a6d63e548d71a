"""The monitoring procedure's steps, limits and state (SPEC §6, §6.1), as plain data.

``procedure_state`` is the one judge of 待办/超期: the village list and dashboard, the validation
rules and the county's figures all call it with the same rows (dicts as the store or the county's
JSON records hold them), so their counts cannot drift apart. It reads no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from .reference import ParamRow, rule_param

IDENTIFY, REMOVE, EXIT = "识别纳入", "风险消除", "退出"
KINDS = (IDENTIFY, REMOVE, EXIT)
CHANNELS = ("农户自主申报", "干部排查", "部门筛查预警", "监督渠道反馈", "平台监测分析")
APPLY, CONSENT, VISIT, REVIEW, PUBLICITY, TOWNSHIP, COUNTY = (
    "申请", "承诺授权", "入户核实", "民主评议", "村内公示", "乡镇审核", "县级审定")
STEPS = (APPLY, CONSENT, VISIT, REVIEW, PUBLICITY, TOWNSHIP, COUNTY)
# 风险消除 and 退出 start from the village's own assessment: nobody applies or signs an authorisation.
REQUIRED = {IDENTIFY: STEPS, REMOVE: STEPS[2:], EXIT: STEPS[2:]}
RESULTS = {IDENTIFY: ("纳入", "不纳入"), REMOVE: ("消除", "不消除"), EXIT: ("退出", "不退出")}
OPEN, DONE, STOPPED = "办理中", "已办结", "已终止"
TODO, OVERDUE, CLOSED = "待办", "超期", "已办结"
DISPOSITIONS = ("核实后纳入", "核实不纳入", "已是监测对象")
DEPARTMENTS = ("民政", "医保", "教育", "住建", "残联", "人社", "卫健", "公安", "应急", "其他")


@dataclass(frozen=True)
class Limits:
    """The province's limits for a year, from the rule parameters (reference data, never constants)."""

    publicity_days: int
    decision_days: int
    visit_working_days: int
    warning_days: int

    @classmethod
    def of(cls, province: str, year: int | None, rows: tuple[ParamRow, ...] | None = None) -> "Limits":
        """``rows``: the parameters to choose from (the store's, with the county's values); shipped by default."""
        def get(name: str) -> int:
            # A procedure without a year is judged by today's rules.
            return int(rule_param(name, year=year or date.today().year, province=province, rows=rows))

        return cls(get("publicity_min_days"), get("decision_max_days"), get("visit_max_working_days"),
                   get("warning_disposition_max_days"))


def limits(province: str, year: int | None, rows: tuple[ParamRow, ...] | None = None) -> Limits:
    # the clock's year resolved before the cache: a process running into a new year takes its limits
    return _limits(province, year or date.today().year, rows)


@lru_cache(maxsize=256)
def _limits(province: str, year: int, rows: tuple[ParamRow, ...] | None) -> Limits:
    return Limits.of(province, year, rows)


def as_day(value: Any) -> date | None:
    """A date from the store (date) or from a synced JSON record (ISO text)."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def add_working_days(start: date, days: int) -> date:
    """Monday to Friday; public holidays are not known here and count as working days."""
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


@dataclass(frozen=True)
class ProcedureState:
    procedure_id: str
    household_id: str
    kind: str
    state: str  # TODO / OVERDUE / CLOSED
    next_step: str | None
    due: date | None

    @property
    def open(self) -> bool:
        return self.state != CLOSED


def steps_done(steps: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Each step's row (the earliest when one was recorded twice)."""
    found: dict[str, Mapping[str, Any]] = {}
    for row in sorted(steps, key=lambda r: as_day(r.get("done_on")) or date.max):
        found.setdefault(str(row.get("step")), row)
    return found


def due_date(kind: str, step: str, discovered: date, limits: Limits) -> date:
    """入户核实 (and what comes before it) within K working days of discovery; the rest, up to the
    county's decision, within M days of discovery."""
    if STEPS.index(step) <= STEPS.index(VISIT):
        return add_working_days(discovered, limits.visit_working_days)
    return discovered + timedelta(days=limits.decision_days)


def procedure_state(procedure: Mapping[str, Any], steps: Sequence[Mapping[str, Any]], limits: Limits,
                    today: date) -> ProcedureState:
    kind = str(procedure.get("kind") or IDENTIFY)
    done = steps_done(steps)
    ident = (str(procedure.get("id")), str(procedure.get("household_id")), kind)
    if procedure.get("status") in (DONE, STOPPED) or COUNTY in done:
        return ProcedureState(*ident, CLOSED, None, None)
    missing = [s for s in REQUIRED.get(kind, STEPS) if s not in done]
    next_step = missing[0] if missing else COUNTY
    discovered = as_day(procedure.get("discovered_on"))
    due = due_date(kind, next_step, discovered, limits) if discovered else None
    state = OVERDUE if due is not None and today > due else TODO
    return ProcedureState(*ident, state, next_step, due)


def states_of(procedures: Iterable[Mapping[str, Any]], steps: Iterable[Mapping[str, Any]],
              limits_for: Any, today: date) -> list[ProcedureState]:
    """Every procedure's state; ``limits_for(year)`` gives the limits of the procedure's year."""
    by_procedure: dict[str, list[Mapping[str, Any]]] = {}
    for row in steps:
        by_procedure.setdefault(str(row.get("procedure_id")), []).append(row)
    return [procedure_state(p, by_procedure.get(str(p.get("id")), []), limits_for(p.get("year")), today)
            for p in procedures]


def warning_overdue(warning: Mapping[str, Any], limits: Limits, today: date) -> bool:
    """An undisposed warning past its deadline (counted from the day it was received)."""
    if warning.get("disposition"):
        return False
    received = as_day(warning.get("received_on")) or as_day(warning.get("warned_on"))
    return received is not None and today > received + timedelta(days=limits.warning_days)


@dataclass
class Counts:
    """待办 (every open procedure, overdue included), 超期, open and overdue warnings."""

    todo: int = 0
    overdue: int = 0
    warnings_open: int = 0
    warnings_overdue: int = 0

    def add(self, other: "Counts") -> None:
        self.todo += other.todo
        self.overdue += other.overdue
        self.warnings_open += other.warnings_open
        self.warnings_overdue += other.warnings_overdue


def count(states: Iterable[ProcedureState], warnings: Iterable[Mapping[str, Any]], limits_for: Any,
          today: date) -> Counts:
    """The figures the village dashboard and the county both show."""
    result = Counts()
    for s in states:
        result.todo += s.open
        result.overdue += s.state == OVERDUE
    for w in warnings:
        if not w.get("disposition"):
            result.warnings_open += 1
            received = as_day(w.get("received_on"))
            result.warnings_overdue += warning_overdue(w, limits_for(received.year if received else None), today)
    return result
