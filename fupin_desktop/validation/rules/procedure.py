"""The monitoring procedure's order and durations (SPEC §6, §8.2 rule 45), and department warnings
left without a disposition. Limits come from the rule parameters (``procedure.Limits``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from ...bundle import HouseholdData, Row
from ...procedure import (
    COUNTY, IDENTIFY, OVERDUE, PUBLICITY, REQUIRED, REVIEW, STEPS, TOWNSHIP, VISIT, add_working_days, as_day, limits,
    procedure_state, warning_overdue,
)
from ..engine import ERROR, WARNING, Context, Finding, rule

REMOVALS = frozenset({"风险消除", "退出"})
DECIDING = (REVIEW, PUBLICITY, TOWNSHIP, COUNTY)


def _by_procedure(hh: HouseholdData) -> Iterator[tuple[Row, list[Row]]]:
    steps: dict[str, list[Row]] = {}
    for row in hh.procedure_steps:
        steps.setdefault(row.get("procedure_id") or "", []).append(row)
    for proc in hh.procedures:
        yield proc, steps.get(proc.get("id") or "", [])


def _at(hh: HouseholdData, row: Row, table: str = "procedure_step") -> dict[str, str]:
    return {"household": hh.id, "record": table, "record_id": row.get("id") or ""}


def _fmt(day: date | None) -> str:
    return day.isoformat() if day else "（未填）"


@rule
def procedure_order(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """PROC-01: each step after the ones before it, none before discovery or in the future."""
    for proc, steps in _by_procedure(hh):
        kind, discovered = proc.get("kind") or IDENTIFY, as_day(proc.get("discovered_on"))
        recorded = {r.get("step"): r for r in steps}
        required = REQUIRED.get(kind, STEPS)
        ordered = sorted((r for r in steps if r.get("step") in STEPS), key=lambda r: STEPS.index(r["step"]))
        if ordered:
            yield from _missing_before(hh, kind, ordered[-1], required, recorded)
        for row in ordered:
            step, on = row["step"], as_day(row.get("done_on"))
            if on is None:
                continue
            if discovered is not None and on < discovered:
                yield Finding("PROC-01", ERROR, field="done_on", message=f"{kind}：“{step}”（{on}）早于发现日期"
                              f"（{discovered}）", **_at(hh, row))
            if on > ctx.today:
                yield Finding("PROC-01", ERROR, field="done_on", message=f"{kind}：“{step}”的日期 {on} 晚于今天",
                              **_at(hh, row))
            for earlier in STEPS[:STEPS.index(step)]:
                before = as_day((recorded.get(earlier) or {}).get("done_on"))
                end = as_day((recorded.get(earlier) or {}).get("end_on")) if earlier == PUBLICITY else None
                if before is not None and (on < before or (end is not None and on < end)):
                    yield Finding("PROC-01", ERROR, field="done_on",
                                  message=f"{kind}：环节顺序颠倒，“{step}”（{on}）早于“{earlier}”（{end or before}）",
                                  **_at(hh, row))


def _missing_before(hh: HouseholdData, kind: str, row: Row, required: tuple[str, ...],
                    recorded: dict[Any, Row]) -> Iterator[Finding]:
    """Required steps before the furthest one recorded that were never recorded."""
    step = row["step"]
    for earlier in required[:required.index(step)] if step in required else ():
        if earlier in recorded or (earlier == VISIT and kind in REMOVALS):  # PROC-04 says that one
            continue
        yield Finding("PROC-01", ERROR, field="step", message=f"{kind}：已记录“{step}”，但缺少前一环节“{earlier}”",
                      **_at(hh, row))


@rule
def publicity_length(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """PROC-02: 村内公示 at least N days (both ends counted), its end given once the procedure moves on."""
    for proc, steps in _by_procedure(hh):
        lim = limits(ctx.province_code, proc.get("year") or _this_year(ctx), ctx.params)
        later = any(r.get("step") in (TOWNSHIP, COUNTY) for r in steps)
        for row in (r for r in steps if r.get("step") == PUBLICITY):
            start, end = as_day(row.get("done_on")), as_day(row.get("end_on"))
            days = (end - start).days + 1 if start is not None and end is not None else None
            if days is not None and days < lim.publicity_days:
                yield Finding("PROC-02", ERROR, field="end_on",
                              message=f"{proc.get('kind')}：村内公示 {start} 至 {end} 只有 {days} 天，"
                              f"应不少于 {lim.publicity_days} 天", **_at(hh, row))
            elif end is None and later:
                yield Finding("PROC-02", ERROR, field="end_on",
                              message=f"{proc.get('kind')}：村内公示没有结束日期，却已进入审核", **_at(hh, row))


@rule
def decision_in_time(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """PROC-03: the county's decision within M days of discovery; PROC-06: the visit within K working days."""
    for proc, steps in _by_procedure(hh):
        lim = limits(ctx.province_code, proc.get("year") or _this_year(ctx), ctx.params)
        discovered = as_day(proc.get("discovered_on"))
        if discovered is None:
            continue
        for row in steps:
            on = as_day(row.get("done_on"))
            if on is None:
                continue
            if row.get("step") == COUNTY and (on - discovered).days > lim.decision_days:
                yield Finding("PROC-03", ERROR, field="done_on",
                              message=f"{proc.get('kind')}：县级审定在发现后第 {(on - discovered).days} 天，"
                              f"超过 {lim.decision_days} 天时限", **_at(hh, row))
            deadline = add_working_days(discovered, lim.visit_working_days)
            if row.get("step") == VISIT and on > deadline:
                yield Finding("PROC-06", WARNING, field="done_on",
                              message=f"{proc.get('kind')}：入户核实（{on}）晚于发现后 {lim.visit_working_days} 个"
                              f"工作日（{deadline}）", **_at(hh, row))


@rule
def removal_assessed(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """PROC-04: 风险消除 and 退出 are decided on an assessment: no 评议, 公示 or 审核 without 入户核实."""
    for proc, steps in _by_procedure(hh):
        if proc.get("kind") not in REMOVALS or any(r.get("step") == VISIT for r in steps):
            continue
        deciding = [r for r in steps if r.get("step") in DECIDING]
        if deciding or proc.get("result"):
            where = _at(hh, deciding[0]) if deciding else _at(hh, proc, "procedure")
            yield Finding("PROC-04", ERROR, field="step",
                          message=f"{proc.get('kind')}未经入户核实评估（收入、三保障和饮水情况）就进入评议或审核",
                          **where)


@rule
def procedure_overdue(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """PROC-05: an open procedure past the deadline of its next step (the same judge as the lists)."""
    for proc, steps in _by_procedure(hh):
        lim = limits(ctx.province_code, proc.get("year") or _this_year(ctx), ctx.params)
        state = procedure_state(proc, steps, lim, ctx.today)
        if state.state == OVERDUE:
            yield Finding("PROC-05", WARNING, field="status",
                          message=f"{proc.get('kind')}：“{state.next_step}”已超期（应在 {_fmt(state.due)} 前完成）",
                          **_at(hh, proc, "procedure"))


@rule
def warning_disposed(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """DW-01: a department warning not disposed within its deadline."""
    for w in hh.warnings:
        received = as_day(w.get("received_on"))
        lim = limits(ctx.province_code, received.year if received else _this_year(ctx), ctx.params)
        if warning_overdue(w, lim, ctx.today):
            yield Finding("DW-01", WARNING, field="disposition",
                          message=f"{w.get('department')}预警（{w.get('warned_on')}）超过期限仍未核实处置",
                          **_at(hh, w, "dept_warning"))


def _this_year(ctx: Context) -> int:
    """The year a procedure or warning without one is judged by: the check's today's (not the clock's,
    which a long-running process and ``procedure.limits``' cache would keep from last year)."""
    return ctx.today.year
