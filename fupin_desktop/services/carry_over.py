"""从上年复制: last year's income lines, living conditions (生产生活条件, 两不愁三保障) and unfinished
measures as the starting point of the editor's year, in the editor's state — nothing is saved
until the person has looked and pressed 保存. Nothing typed for this year is replaced unless the
person asked for it (``overwrite`` for conditions, choosing the income part when this year has lines)."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from ..bundle import HouseholdData
from .edit_state import (
    FORM_TABS, INCOME_FIELDS, EditState, IncomeEdit, IncomeLineEdit, MeasureEdit, editor_sections, new_id, texts,
)

DONE = "完成"  # a finished measure stays in its own year (措施状态)
PARTS = ("income", "conditions", "guarantees", "measures")


def _year_columns(tab: str) -> list[str]:
    return [name for _title, cols in editor_sections(tab) for table, name in cols if table == "household_year"]


SECTION_COLUMNS = {"conditions": _year_columns(FORM_TABS[1]), "guarantees": _year_columns(FORM_TABS[2])}


@dataclass(frozen=True)
class Available:
    """What last year holds (``there``) and what this year already has of it (``here``), per part."""
    source_year: int | None
    there: dict[str, int]
    here: dict[str, int]


def source_year(hh: HouseholdData | None, state: EditState, year: int) -> int | None:
    """The latest year before ``year`` with income lines, conditions or measures."""
    years = {y for y, inc in state.incomes.items() if inc.lines}
    years |= {y for y, row in (hh.years.items() if hh else []) if any(row.get(c) is not None for c in _all_cols())}
    years |= {int(m.fields["year"]) for m in state.measures if m.fields.get("year", "").isdigit()}
    earlier = [y for y in years if y < year]
    return max(earlier) if earlier else None


def _all_cols() -> list[str]:
    return [c for cols in SECTION_COLUMNS.values() for c in cols]


def _same(m: MeasureEdit) -> tuple[str, str, str]:
    return m.fields.get("category", ""), m.fields.get("name", ""), m.fields.get("member_id", "")


def _carried_measures(state: EditState, source: int, year: int) -> list[MeasureEdit]:
    present = {_same(m) for m in state.measures if m.fields.get("year") == str(year)}
    return [m for m in state.measures
            if m.fields.get("year") == str(source) and m.fields.get("status") != DONE and _same(m) not in present]


def available(hh: HouseholdData | None, state: EditState, year: int) -> Available:
    source = source_year(hh, state, year)
    if source is None:
        return Available(None, {}, {})
    last = texts(hh.years.get(source) if hh else None, _all_cols())
    this = state.incomes.get(year)
    there = {"income": len(state.incomes[source].lines) if source in state.incomes else 0,
             "measures": len(_carried_measures(state, source, year))}
    here = {"income": len(this.lines) if this else 0,
            "measures": sum(1 for m in state.measures if m.fields.get("year") == str(year))}
    for part, cols in SECTION_COLUMNS.items():
        there[part] = sum(1 for c in cols if last[c])
        here[part] = sum(1 for c in cols if state.year.get(c))
    return Available(source, there, here)


def carry_over(hh: HouseholdData | None, state: EditState, year: int, parts: set[str], *,
               overwrite: bool = False) -> EditState:
    """A new state with the chosen ``parts`` of the source year copied into ``year`` (new ids throughout)."""
    source = source_year(hh, state, year)
    out = copy.deepcopy(state)
    if source is None:
        return out
    if "income" in parts and source in state.incomes:
        target = out.incomes.get(year) or IncomeEdit(new_id(), {c: "" for c in INCOME_FIELDS})
        target.lines = [IncomeLineEdit(new_id(), ln.category, ln.item, ln.amount, ln.note, ln.counts)
                        for ln in state.incomes[source].lines]
        out.incomes[year] = target
    last = texts(hh.years.get(source) if hh else None, _all_cols())
    for part in ("conditions", "guarantees"):
        if part in parts:
            for c in SECTION_COLUMNS[part]:
                if last[c] and (overwrite or not out.year.get(c)):
                    out.year[c] = last[c]
    if "measures" in parts:
        for m in _carried_measures(state, source, year):
            out.measures.append(MeasureEdit(new_id(), True, m.kind, {**m.fields, "year": str(year)}, dict(m.detail)))
    return out
