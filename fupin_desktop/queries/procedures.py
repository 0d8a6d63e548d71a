"""Reading the procedure records: each procedure's state (through ``procedure.procedure_state``, as the
county does), the households with 待办/超期 work, one household's procedures for the editor, warnings."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, select

from ..model import Attachment, DeptWarning, Household, Meta, Procedure, ProcedureStep
from ..procedure import OVERDUE, STEPS, TODO, Counts, Limits, ProcedureState, count, limits, states_of
from ..reference import store_params


def province_of(conn: Connection) -> str:
    village = conn.execute(select(Meta.value).where(Meta.key == "village_code")).scalar_one_or_none()
    return (village or "00")[:2]


def _rows(conn: Connection, stmt: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(stmt).mappings()]


def _live(model: Any) -> Any:
    return model.household_id.in_(select(Household.id).where(Household.record_status == "在册"))


def limits_of(conn: Connection) -> Callable[[int | None], Limits]:
    """The store's limits by year: its province, the shipped parameters and the county's values."""
    province, rows = province_of(conn), store_params(conn)
    return lambda year: limits(province, year, rows)


def procedure_states(conn: Connection, today: date, *, open_only: bool = True) -> list[ProcedureState]:
    """The state of every procedure of the households on the books (open ones only, by default)."""
    procs = select(Procedure).where(_live(Procedure))
    if open_only:
        procs = procs.where(Procedure.status == "办理中")
    procedures = _rows(conn, procs)
    ids = [p["id"] for p in procedures]
    steps = _rows(conn, select(ProcedureStep).where(ProcedureStep.procedure_id.in_(ids))) if ids else []
    return states_of(procedures, steps, limits_of(conn), today)


WARNINGS_OPEN = "预警待处置"
FILTERS = (TODO, OVERDUE, WARNINGS_OPEN)  # the household list's 待办/超期 filter


def households_with(conn: Connection, state: str, today: date) -> set[str]:
    """Households with an open procedure (``待办``), an overdue one (``超期``) or an open warning."""
    if state == WARNINGS_OPEN:
        return {w["household_id"] for w in open_warnings(conn)}
    return {s.household_id for s in procedure_states(conn, today) if s.open and (state != OVERDUE or
                                                                                   s.state == OVERDUE)}


def open_warnings(conn: Connection) -> list[dict[str, Any]]:
    return _rows(conn, select(DeptWarning).where(DeptWarning.disposition.is_(None), _live(DeptWarning)))


def village_counts(conn: Connection, today: date) -> Counts:
    """The 待办/超期 figures of the dashboard; the county computes its own with the same ``count``."""
    return count(procedure_states(conn, today), open_warnings(conn), limits_of(conn), today)


def household_procedures(conn: Connection, household_id: str, today: date) -> list[dict[str, Any]]:
    """One household's procedures, newest first, each with its steps, photos and state (the editor's tab)."""
    procs = _rows(conn, select(Procedure).where(Procedure.household_id == household_id)
                  .order_by(Procedure.discovered_on.desc()))
    steps = _rows(conn, select(ProcedureStep).where(ProcedureStep.household_id == household_id))
    photos = _rows(conn, select(Attachment.id, Attachment.owner_id, Attachment.filename).where(
        and_(Attachment.owner_table == "procedure_step", Attachment.owner_id.in_([s["id"] for s in steps]))))
    states = {s.procedure_id: s for s in states_of(procs, steps, limits_of(conn), today)}
    for proc in procs:
        proc["steps"] = sorted((s for s in steps if s["procedure_id"] == proc["id"]), key=_step_order)
        for step in proc["steps"]:
            step["photos"] = [p for p in photos if p["owner_id"] == step["id"]]
        proc["state"] = states[proc["id"]]
    return procs


def _step_order(row: Mapping[str, Any]) -> int:
    return STEPS.index(row["step"]) if row["step"] in STEPS else len(STEPS)


def household_warnings(conn: Connection, household_id: str) -> list[dict[str, Any]]:
    return _rows(conn, select(DeptWarning).where(DeptWarning.household_id == household_id)
                 .order_by(DeptWarning.warned_on.desc()))


def monitored_households(conn: Connection, household_ids: set[str], year: int) -> set[str]:
    """Households already 监测对象: a 监测对象类别 on the household (where the status fields live today;
    the one place to re-point when they move to the year), or an identification decided 纳入 and not
    followed by a decided 风险消除."""
    ids = sorted(household_ids)
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        found |= set(conn.execute(select(Household.id).where(
            Household.id.in_(chunk), Household.monitoring_category.is_not(None),
            Household.monitoring_category != "")).scalars())
        decided = conn.execute(select(Procedure.household_id, Procedure.kind, Procedure.discovered_on).where(
            Procedure.household_id.in_(chunk), Procedure.status == "已办结",
            Procedure.result.in_(("纳入", "消除")), Procedure.year <= year).order_by(Procedure.discovered_on))
        latest: dict[str, str] = {}
        for household_id, kind, _ in decided:
            latest[household_id] = kind
        found |= {h for h, kind in latest.items() if kind == "识别纳入"}
    return found
