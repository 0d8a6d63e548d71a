"""The editor's state as plain text, and the household it describes (no Qt here).

The editor keeps what people typed as text, exactly as typed: the core parses it on save (one
place decides what a date or an amount may look like), the draft stores it as JSON, and a
lenient parse turns it into a HouseholdData so the validation rules can run while typing.

State shape::

    household: {column: text}          year: {column: text}  (household_year of the editor's year)
    members:   [{key, new, m: {..}, y: {..}, y_id, leave: None | {reason, on}}]
    incomes:   {"2024": {id, fields: {..}, lines: [{id, category, item, amount, note, counts}]}}
    measures:  [{key, new, kind, m: {..}, d: {..}}]
    assign:    None | {helper_id, helper: {..}, start_on}
    visits:    [{key, fields: {..}, photos: [{filename, path, mime}]}]   (not yet saved)
"""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

from fupin_desktop import income as income_calc
from fupin_desktop.bundle import HouseholdData, IncomeData, MeasureData, MemberData, Row
from fupin_desktop.errors import InvalidInput
from fupin_desktop.model import MEASURE_DETAILS, Base, new_id
from fupin_desktop.validation.engine import ERROR, Finding
from fupin_desktop.values import coerce

# Kept by the core or by dedicated actions (leaving), never typed into a form.
NOT_TYPED = {"id", "updated_at", "household_id", "member_id", "income_id", "year", "record_status",
             "left_reason", "left_on", "seq", "sort", "name_initials", "village_code"}
INCOME_FIELDS = ("population", "period_start", "period_end", "claims_income", "compliant_oop_expense", "note")
LINE_FIELDS = ("category", "item", "amount", "note")


def columns(table: str) -> Any:
    return Base.metadata.tables[table].c


def editable(table: str, *, keep: tuple[str, ...] = ()) -> list[str]:
    return [c.name for c in columns(table)
            if c.name in keep or (c.name not in NOT_TYPED and not c.info.get("derived"))]


def to_text(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def texts(row: Row | None, cols: list[str]) -> dict[str, str]:
    row = row or {}
    return {c: to_text(row.get(c)) for c in cols}


def nonblank(d: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in d.items() if v not in ("", None)}


def changed(before: dict[str, str], after: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in after.items() if before.get(k, "") != v}


# ---- from a loaded household to state ------------------------------------------------------
def member_state(m: MemberData, year: int) -> dict[str, Any]:
    y = m.years.get(year)
    return {"key": m.fields["id"], "new": False, "m": texts(m.fields, editable("member")),
            "y": texts(y, editable("member_year")), "y_id": (y or {}).get("id") or new_id(), "leave": None}


def new_member(relation: str = "") -> dict[str, Any]:
    m = {c: "" for c in editable("member")}
    m["relation"] = relation
    return {"key": new_id(), "new": True, "m": m, "y": {c: "" for c in editable("member_year")},
            "y_id": new_id(), "leave": None}


def income_state(inc: IncomeData | None) -> dict[str, Any]:
    if inc is None:
        return {"id": new_id(), "fields": {c: "" for c in INCOME_FIELDS}, "lines": []}
    lines = [{"id": ln["id"], **texts(ln, list(LINE_FIELDS)),
              "counts": to_text(ln.get("counts_toward_income", True))} for ln in inc.lines]
    return {"id": inc.fields["id"], "fields": texts(inc.fields, list(INCOME_FIELDS)), "lines": lines}


def measure_state(m: MeasureData) -> dict[str, Any]:
    detail_cols = editable(MEASURE_DETAILS[m.kind].__tablename__) if m.kind else []
    return {"key": m.fields["id"], "new": False, "kind": m.kind,
            "m": texts(m.fields, editable("measure", keep=("year", "member_id"))), "d": texts(m.detail, detail_cols)}


def initial_state(hh: HouseholdData | None, year: int) -> dict[str, Any]:
    if hh is None:
        return {"household": texts(None, editable("household")), "year": texts(None, editable("household_year")),
                "members": [], "incomes": {}, "measures": [], "assign": None, "visits": []}
    return {
        "household": texts(hh.fields, editable("household")),
        "year": texts(hh.years.get(year), editable("household_year")),
        "members": [member_state(m, year) for m in hh.members],
        "incomes": {str(y): income_state(inc) for y, inc in sorted(hh.incomes.items())},
        "measures": [measure_state(m) for m in hh.measures],
        "assign": None,
        "visits": [],
    }


# ---- from state to a household the rules can check -------------------------------------------
class _Parser:
    """Lenient parsing: a value that cannot be read becomes blank and a finding of its own."""

    def __init__(self, household_id: str) -> None:
        self.household_id = household_id
        self.findings: list[Finding] = []

    def row(self, table: str, values: dict[str, str], record_id: str, member: str = "") -> Row:
        out: Row = {}
        cols = columns(table)
        for name, text in values.items():
            try:
                out[name] = coerce(cols[name], text)
            except InvalidInput as err:
                out[name] = None
                self.findings.append(Finding("INPUT", ERROR, self.household_id, name, err.message,
                                             record=table, record_id=record_id, member=member))
        return out


def build_household(state: dict[str, Any], base: HouseholdData | None, year: int,
                    village_code: str, key: str) -> tuple[HouseholdData, list[Finding]]:
    base = copy.deepcopy(base) if base is not None else None
    hh_id = base.id if base is not None else key
    p = _Parser(hh_id)
    fields = base.fields if base else {"id": hh_id, "village_code": village_code, "record_status": "在册"}
    fields.update(p.row("household", state["household"], hh_id))
    years = base.years if base else {}
    hy = years.get(year) or {"id": f"{hh_id}-{year}", "household_id": hh_id, "year": year}
    hy.update(p.row("household_year", state["year"], hy["id"]))
    years[year] = hy
    hh = HouseholdData(fields=fields, years=years)
    if base is not None:
        for name in ("assignments", "visits", "plans", "assessments", "risk_flags", "helpers"):
            setattr(hh, name, getattr(base, name))
    old_members = {m.fields["id"]: m for m in (base.members if base else [])}
    for ms in state["members"]:
        hh.members.append(_member(p, ms, old_members.get(ms["key"]), year))
    population_default = len(hh.active_members())
    for y_text, inc in state["incomes"].items():
        hh.incomes[int(y_text)] = _income(p, inc, hh, int(y_text), population_default)
    old_measures = {m.fields["id"]: m for m in (base.measures if base else [])}
    for ms in state["measures"]:
        hh.measures.append(_measure(p, ms, old_measures.get(ms["key"])))
    for visit in state["visits"]:
        hh.visits.append({"id": visit["key"], **p.row("visit", visit["fields"], visit["key"])})
    if assign := state.get("assign"):
        start = p.row("helper_assignment", {"start_on": assign["start_on"]}, "")
        hh.assignments = [*hh.assignments, {"helper_id": assign.get("helper_id") or "new", **start}]
    return hh, p.findings


def _member(p: _Parser, ms: dict[str, Any], old: MemberData | None, year: int) -> MemberData:
    name = ms["m"].get("name", "")
    fields = old.fields if old else {"id": ms["key"], "record_status": "在册"}
    fields.update(p.row("member", ms["m"], ms["key"], name))
    if ms.get("leave"):
        fields.update(record_status="注销", left_reason=ms["leave"]["reason"] or None)
        fields.update(p.row("member", {"left_on": ms["leave"]["on"]}, ms["key"], name))
    years = old.years if old else {}
    y = years.get(year) or {"id": ms["y_id"], "member_id": ms["key"], "year": year}
    y.update(p.row("member_year", ms["y"], y["id"], name))
    years[year] = y
    return MemberData(fields=fields, years=years, work_records=old.work_records if old else [])


def _income(p: _Parser, inc: dict[str, Any], hh: HouseholdData, year: int, default_population: int) -> IncomeData:
    fields: Row = {"id": inc["id"], "household_id": hh.id, "year": year}
    fields.update(p.row("income_year", inc["fields"], inc["id"]))
    lines = []
    for ln in inc["lines"]:
        row = p.row("income_line", {**{c: ln[c] for c in LINE_FIELDS}, "counts_toward_income": ln["counts"]}, ln["id"])
        lines.append({"id": ln["id"], "income_id": inc["id"], **row})
    population = fields.get("population") or (hh.years.get(year) or {}).get("population") or default_population
    fields.update(income_calc.totals(lines, population))
    return IncomeData(fields, lines)


def _measure(p: _Parser, ms: dict[str, Any], old: MeasureData | None) -> MeasureData:
    fields = old.fields if old else {"id": ms["key"]}
    fields.update(p.row("measure", ms["m"], ms["key"]))
    detail: Row = {}
    if ms.get("kind"):
        detail = {"id": ms["key"], **p.row(MEASURE_DETAILS[ms["kind"]].__tablename__, ms["d"], ms["key"])}
    return MeasureData(fields, ms.get("kind"), detail)


def income_figures(inc: dict[str, Any], population: int | None) -> dict[str, Decimal | None]:
    """The live totals of one income year as typed (unreadable amounts count as nothing)."""
    lines = []
    for ln in inc["lines"]:
        try:
            amount = coerce(columns("income_line")["amount"], ln["amount"])
        except InvalidInput:
            amount = None
        lines.append({"category": ln["category"], "amount": amount, "counts_toward_income": ln["counts"] != "否"})
    return income_calc.totals(lines, population)
