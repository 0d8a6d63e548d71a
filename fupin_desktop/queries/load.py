"""Loading households with everything in them, in chunks, for validation, forms and the editor.

One query per table per chunk (not per household), so reading 20,000 households is a few dozen
queries; ``iter_households`` streams so memory stays flat however large the store is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Select, select

from ..bundle import HouseholdData, IncomeData, MeasureData, MemberData
from ..model import (
    MEASURE_DETAILS, Assessment, Helper, HelperAssignment, Household, HouseholdYear, IncomeLine, IncomeYear,
    Measure, Member, MemberYear, Plan, RiskFlag, Visit, WorkRecord,
)

CHUNK = 1000


def _rows(conn: Connection, stmt: Select) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(stmt).mappings()]


def _grouped(rows: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        out[row[key]].append(row)
    return out


def load_households(conn: Connection, ids: Sequence[str]) -> list[HouseholdData]:
    """The households with these ids, in the given order (missing ids are skipped)."""
    result: list[HouseholdData] = []
    for start in range(0, len(ids), CHUNK):
        result.extend(_load_chunk(conn, list(ids[start:start + CHUNK])))
    return result


def _load_chunk(conn: Connection, ids: list[str]) -> list[HouseholdData]:
    households = {r["id"]: r for r in _rows(conn, select(Household).where(Household.id.in_(ids)))}
    hh_years = _grouped(_rows(conn, select(HouseholdYear).where(HouseholdYear.household_id.in_(ids))), "household_id")
    members = _rows(conn, select(Member).where(Member.household_id.in_(ids)).order_by(Member.seq, Member.id))
    member_ids = [m["id"] for m in members]
    m_years = _grouped(_rows(conn, select(MemberYear).where(MemberYear.member_id.in_(member_ids))), "member_id")
    works = _grouped(_rows(conn, select(WorkRecord).where(WorkRecord.member_id.in_(member_ids))), "member_id")
    incomes = _rows(conn, select(IncomeYear).where(IncomeYear.household_id.in_(ids)))
    lines = _grouped(_rows(conn, select(IncomeLine).where(IncomeLine.income_id.in_([i["id"] for i in incomes]))
                           .order_by(IncomeLine.sort)), "income_id")
    measures = _rows(conn, select(Measure).where(Measure.household_id.in_(ids)).order_by(Measure.year, Measure.id))
    measure_ids = [m["id"] for m in measures]
    details: dict[str, tuple[str, dict[str, Any]]] = {}
    if measure_ids:
        for kind, model in MEASURE_DETAILS.items():
            for row in _rows(conn, select(model).where(model.id.in_(measure_ids))):
                details[row["id"]] = (kind, row)
    assignments = _grouped(_rows(conn, select(HelperAssignment).where(HelperAssignment.household_id.in_(ids))),
                           "household_id")
    helper_ids = {a["helper_id"] for rows in assignments.values() for a in rows}
    helpers = {h["id"]: h for h in _rows(conn, select(Helper).where(Helper.id.in_(helper_ids)))} if helper_ids else {}
    simple = {
        name: _grouped(_rows(conn, select(model).where(model.household_id.in_(ids))), "household_id")
        for name, model in (("visits", Visit), ("plans", Plan), ("assessments", Assessment), ("risk_flags", RiskFlag))
    }

    by_household: dict[str, HouseholdData] = {}
    for hh_id, row in households.items():
        by_household[hh_id] = HouseholdData(
            fields=row,
            years={y["year"]: y for y in hh_years.get(hh_id, [])},
            assignments=assignments.get(hh_id, []),
            helpers={a["helper_id"]: helpers[a["helper_id"]] for a in assignments.get(hh_id, [])
                     if a["helper_id"] in helpers},
            **{name: groups.get(hh_id, []) for name, groups in simple.items()},
        )
    for m in members:
        by_household[m["household_id"]].members.append(MemberData(
            fields=m, years={y["year"]: y for y in m_years.get(m["id"], [])}, work_records=works.get(m["id"], []),
        ))
    for inc in incomes:
        by_household[inc["household_id"]].incomes[inc["year"]] = IncomeData(inc, lines.get(inc["id"], []))
    for m in measures:
        kind, detail = details.get(m["id"], (None, {}))
        by_household[m["household_id"]].measures.append(MeasureData(m, kind, detail))
    return [by_household[i] for i in ids if i in by_household]


def iter_households(conn: Connection, where: Any = None, chunk: int = CHUNK) -> Iterator[HouseholdData]:
    """Every household (or those matching ``where``), streamed chunk by chunk."""
    stmt = select(Household.id).order_by(Household.id)
    if where is not None:
        stmt = stmt.where(where)
    ids = list(conn.execute(stmt).scalars())
    for start in range(0, len(ids), chunk):
        yield from _load_chunk(conn, ids[start:start + chunk])
