"""Editing one household: check what is typed, and save every tab's edits in one unit of work.

The values go to the services as typed; the unit of work parses them and refuses bad input with a
Chinese message naming the field, and then nothing at all is written.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .. import income as income_calc
from ..income import Standing
from ..bundle import HouseholdData, IncomeData, MeasureData, MemberData, Row
from ..errors import InvalidInput
from ..model import Base
from ..validation.engine import ERROR, Finding
from ..values import coerce
from .edit_state import (
    EditState, IncomeEdit, IncomeLineEdit, MeasureEdit, MemberEdit, Texts, changed, detail_table, nonblank,
)
from .households import (
    add_helper, add_measure, add_member, add_visit, assign_helper, delete_measure, delete_visit, member_leaves,
    register_household, save_household_year, save_income, save_member_year, unit_of_work, update_household,
    update_measure, update_member, update_visit,
)
from ..opchanges import OpChanges
from .uow import UnitOfWork

if TYPE_CHECKING:
    from ..store.store import Store

Photos = dict[str, list[tuple[str, bytes, str]]]  # pending visit key → (filename, data, mime)


@dataclass(frozen=True)
class Saved:
    household_id: str
    changes: OpChanges


# ---- checking while typing ---------------------------------------------------------------------
class _Parser:
    """Lenient parsing: a value that cannot be read becomes blank and a finding of its own."""

    def __init__(self, household_id: str) -> None:
        self.household_id = household_id
        self.findings: list[Finding] = []

    def row(self, table: str, values: Texts, record_id: str, member: str = "") -> Row:
        cols = Base.metadata.tables[table].c
        out: Row = {}
        for name, text in values.items():
            try:
                out[name] = coerce(cols[name], text)
            except InvalidInput as err:
                out[name] = None
                self.findings.append(Finding("INPUT", ERROR, self.household_id, name, err.message,
                                             record=table, record_id=record_id, member=member))
        return out


def check_state(state: EditState, base: HouseholdData | None, year: int, village_code: str,
                key: str) -> tuple[HouseholdData, list[Finding]]:
    """The household as typed, for the rules, and a finding for every value that cannot be read."""
    base = copy.deepcopy(base)
    p = _Parser(base.id if base else key)
    hh = _household(p, state, base, year, village_code)
    old_members = {m.fields["id"]: m for m in (base.members if base else [])}
    hh.members = [_member(p, ms, old_members.get(ms.key), year) for ms in state.members]
    population = len(hh.active_members())
    hh.incomes = {y: _income(p, inc, hh, y, population) for y, inc in state.incomes.items()}
    old_measures = {m.fields["id"]: m for m in (base.measures if base else [])}
    hh.measures = [_measure(p, ms, old_measures.get(ms.key)) for ms in state.measures]
    kept = [{**v, **p.row("visit", state.visit_changes.get(v["id"], {}), v["id"])} for v in hh.visits
            if v.get("id") not in state.removed_visits]
    hh.visits = [*kept, *({"id": v.key, **p.row("visit", v.fields, v.key)} for v in state.visits)]
    if state.assign:
        start = p.row("helper_assignment", {"start_on": state.assign.start_on}, "")
        hh.assignments = [*hh.assignments, {"helper_id": state.assign.helper_id or "new", **start}]
    return hh, p.findings


def _household(p: _Parser, state: EditState, base: HouseholdData | None, year: int, village: str) -> HouseholdData:
    fields = base.fields if base else {"id": p.household_id, "village_code": village, "record_status": "在册"}
    fields.update(p.row("household", state.household, p.household_id))
    years = base.years if base else {}
    hy = years.get(year) or {"id": f"{p.household_id}-{year}", "household_id": p.household_id, "year": year}
    hy.update(p.row("household_year", state.year, hy["id"]))
    years[year] = hy
    hh = copy.copy(base) if base else HouseholdData(fields=fields)
    hh.fields, hh.years = fields, years
    return hh


def _member(p: _Parser, ms: MemberEdit, old: MemberData | None, year: int) -> MemberData:
    name = ms.fields.get("name", "")
    fields: Row = old.fields if old else {"id": ms.key, "record_status": "在册"}
    fields.update(p.row("member", ms.fields, ms.key, name))
    if ms.leave:
        fields.update(record_status="注销", left_reason=ms.leave.reason or None)
        fields.update(p.row("member", {"left_on": ms.leave.on}, ms.key, name))
    years = old.years if old else {}
    y = years.get(year) or {"id": ms.year_id, "member_id": ms.key, "year": year}
    y.update(p.row("member_year", ms.year, y["id"], name))
    years[year] = y
    return MemberData(fields=fields, years=years, work_records=old.work_records if old else [])


def _income(p: _Parser, inc: IncomeEdit, hh: HouseholdData, year: int, default_population: int) -> IncomeData:
    fields: Row = {"id": inc.id, "household_id": hh.id, "year": year, **p.row("income_year", inc.fields, inc.id)}
    lines = [{"id": ln.id, "income_id": inc.id, **p.row("income_line", _line_texts(ln), ln.id)} for ln in inc.lines]
    population = fields.get("population") or (hh.years.get(year) or {}).get("population") or default_population
    fields.update(income_calc.totals(lines, population))
    return IncomeData(fields, lines)


def _measure(p: _Parser, ms: MeasureEdit, old: MeasureData | None) -> MeasureData:
    fields = old.fields if old else {"id": ms.key}
    fields.update(p.row("measure", ms.fields, ms.key))
    detail: Row = {}
    if ms.kind:
        detail = {"id": ms.key, **p.row(detail_table(ms.kind), ms.detail, ms.key)}
    return MeasureData(fields, ms.kind, detail)


def _line_texts(ln: IncomeLineEdit) -> Texts:
    return {"category": ln.category, "item": ln.item, "amount": ln.amount, "note": ln.note,
            "counts_toward_income": ln.counts or "是"}


def income_standing(inc: IncomeEdit, population: int | None, line: Decimal | None, adds_claims: bool) -> Standing:
    """人均纯收入 and 扣除刚性支出后人均收入 as typed, against the line."""
    row: dict[str, Any] = dict(income_figures(inc, population))
    for name in ("claims_income", "compliant_oop_expense"):
        try:
            row[name] = coerce(Base.metadata.tables["income_year"].c[name], inc.fields.get(name, ""))
        except InvalidInput:
            row[name] = None
    return income_calc.standing(row, population, line, adds_claims)


def income_figures(inc: IncomeEdit, population: int | None) -> dict[str, Decimal | None]:
    """The live totals of one income year as typed (unreadable amounts count as nothing)."""
    amount_col = Base.metadata.tables["income_line"].c["amount"]
    lines = []
    for ln in inc.lines:
        try:
            amount = coerce(amount_col, ln.amount)
        except InvalidInput:
            amount = None
        lines.append({"category": ln.category, "amount": amount, "counts_toward_income": ln.counts != "否"})
    return income_calc.totals(lines, population)


# ---- saving ------------------------------------------------------------------------------------
def save_edits(store: "Store", household_id: str | None, year: int, base: EditState, state: EditState,
               photos: Photos) -> Saved:
    """Write the differences between ``base`` (as loaded) and ``state`` (as typed)."""
    _check_members(state.members)
    with unit_of_work(store) as uow:
        if household_id is None:
            household_id = register_household(uow, _new_bundle(state, year, store.village_code))
        else:
            _update(uow, household_id, year, base, state)
        _measures(uow, household_id, base, state)
        if state.assign:
            helper_id = state.assign.helper_id or add_helper(uow, nonblank(state.assign.helper))
            assign_helper(uow, household_id, helper_id, state.assign.start_on)  # blank is parsed as no date
        for visit in state.visits:
            add_visit(uow, household_id, nonblank(visit.fields), photos.get(visit.key, []))
        _saved_visits(uow, state)
    return Saved(household_id, uow.changes)


def _check_members(members: list[MemberEdit]) -> None:
    for n, ms in enumerate(members, start=1):
        if ms.new and ms.typed() and not ms.fields.get("name", "").strip():
            raise InvalidInput(f"第{n}位成员的姓名没有填写。", field="姓名", hint="请填写姓名，或删除这一行。")


def _new_bundle(state: EditState, year: int, village_code: str) -> HouseholdData:
    typed = [m for m in state.members if m.typed()]
    members = [MemberData(fields={"id": ms.key, "seq": seq, **nonblank(ms.fields)}, years=_year_rows(ms.year, year))
               for seq, ms in enumerate(typed, start=1)]
    incomes = {y: IncomeData(nonblank(inc.fields), _lines(inc)) for y, inc in state.incomes.items() if not inc.empty()}
    return HouseholdData(fields={"village_code": village_code, **nonblank(state.household)},
                         years=_year_rows(state.year, year), members=members, incomes=incomes)


def _year_rows(values: Texts, year: int) -> dict[int, Row]:
    return {year: dict(nonblank(values))} if nonblank(values) else {}


def _lines(inc: IncomeEdit) -> list[Row]:
    return [{"id": ln.id, **_line_texts(ln)} for ln in inc.lines]


def _update(uow: UnitOfWork, hh_id: str, year: int, base: EditState, state: EditState) -> None:
    if changes := changed(base.household, state.household):
        update_household(uow, hh_id, dict(changes))
    if changes := changed(base.year, state.year):
        save_household_year(uow, hh_id, year, dict(changes))
    before = {m.key: m for m in base.members}
    seq = len(before)
    for ms in state.members:
        if (old := before.get(ms.key)) is not None:
            _update_member(uow, old, ms, year)
        elif ms.typed():
            seq += 1
            add_member(uow, hh_id, {"id": ms.key, "seq": seq, **nonblank(ms.fields)}, _year_rows(ms.year, year) or None)
    for y, inc in state.incomes.items():
        _update_income(uow, hh_id, y, base.incomes.get(y), inc)


def _update_member(uow: UnitOfWork, old: MemberEdit, ms: MemberEdit, year: int) -> None:
    if changes := changed(old.fields, ms.fields):
        update_member(uow, ms.key, dict(changes))
    if changes := changed(old.year, ms.year):
        save_member_year(uow, ms.key, year, dict(changes))
    if ms.leave:
        member_leaves(uow, ms.key, ms.leave.reason, ms.leave.on)


def _update_income(uow: UnitOfWork, hh_id: str, year: int, old: IncomeEdit | None, inc: IncomeEdit) -> None:
    if inc == old or (old is None and inc.empty()):
        return
    fields = changed(old.fields, inc.fields) if old else nonblank(inc.fields)
    save_income(uow, hh_id, year, _lines(inc), **fields)


def _saved_visits(uow: UnitOfWork, state: EditState) -> None:
    removed = set(state.removed_visits)
    for visit_id, fields in state.visit_changes.items():
        if visit_id not in removed:
            update_visit(uow, visit_id, dict(fields))
    for visit_id in state.removed_visits:
        delete_visit(uow, visit_id)


def _measures(uow: UnitOfWork, hh_id: str, base: EditState, state: EditState) -> None:
    before = {m.key: m for m in base.measures}
    for gone in before.keys() - {m.key for m in state.measures}:
        if not before[gone].new:
            delete_measure(uow, gone)
    for ms in state.measures:
        old = before.get(ms.key)
        if old is None:
            detail = nonblank(ms.detail) if ms.kind else {}
            add_measure(uow, hh_id, MeasureData({"id": ms.key, **nonblank(ms.fields)}, ms.kind, dict(detail)))
        elif ms != old:
            details = dict(changed(old.detail, ms.detail)) or None
            update_measure(uow, ms.key, dict(changed(old.fields, ms.fields)), details)
