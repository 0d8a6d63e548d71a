"""The procedure state of every household at the county, from the merged records: the same
``procedure.states_of`` and ``procedure.count`` the villages use, so the county's 待办/超期 equal the
sum of the villages' for the same day. Department warnings by department and disposition."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy import Engine, select

from ..procedure import Counts, ProcedureState, count, limits, states_of
from .model import Record
from .refdata import param_rows

UNDISPOSED = "待处置"


def _rows(conn: Any, entity: str) -> Any:
    query = select(Record.entity_id, Record.household_id, Record.village_code, Record.data).where(
        Record.entity == entity, Record.deleted.is_(False))
    return conn.execution_options(stream_results=True, yield_per=5000).execute(query)


def _by_village(conn: Any, entity: str, live: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """The entity's records of households on the books, as dicts with their id, by village."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entity_id, household_id, _, data in _rows(conn, entity):
        row = json.loads(data)
        hh = row.get("household_id") or household_id
        if hh in live:
            out[live[hh]].append({**row, "id": entity_id, "household_id": hh})
    return out


def procedure_overview(engine: Engine, today: date) -> dict[str, Any]:
    """Per village: 待办/超期 and warnings (``Counts``), every household's open procedures, warnings by
    department and disposition."""
    with engine.connect() as conn:
        rows = param_rows(conn)
        live = {entity_id: village for entity_id, _, village, data in _rows(conn, "household")
                if json.loads(data).get("record_status", "在册") == "在册"}
        procedures = _by_village(conn, "procedure", live)
        steps = _by_village(conn, "procedure_step", live)
        warnings = _by_village(conn, "dept_warning", live)
    villages: dict[str, dict[str, int]] = {}
    total = Counts()
    open_states: list[ProcedureState] = []
    by_department: dict[str, Counter[str]] = defaultdict(Counter)
    for village in sorted(set(procedures) | set(warnings)):
        def lim(year: int | None, province: str = village[:2]) -> Any:
            return limits(province, year, rows)

        states = states_of(procedures.get(village, []), steps.get(village, []), lim, today)
        counts = count(states, warnings.get(village, []), lim, today)
        villages[village] = asdict(counts)
        total.add(counts)
        open_states.extend(s for s in states if s.open)
        for w in warnings.get(village, []):
            by_department[str(w.get("department") or "未填写")][w.get("disposition") or UNDISPOSED] += 1
    return {"total": asdict(total), "villages": villages,
            "open": [{**asdict(s), "village_code": live[s.household_id]} for s in open_states],
            "warnings": {d: dict(c) for d, c in sorted(by_department.items())}}
