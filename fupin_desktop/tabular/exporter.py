"""Exporting to .xlsx in the national column layout (resources/tabular/*.json): the roster (one
row per member, with the household's columns), measures (one per row) and income (one row per
household and year). Households come in the order and filter the caller gives (the main window's
current list); they are read in chunks and rows streamed out, so memory stays flat."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from ..errors import InvalidInput
from ..model import Assessment, Household, HouseholdYear, IncomeLine, IncomeYear, Measure, Member
from ..queries.years import current_year
from ..paths import resources_dir
from ..store.store import Store
from . import income_wide
from .layout import DIGIT_FIELDS, ID_FIELDS, export_fields
from .xlsx import write_book

CHUNK = 500
_HEAD_ID = frozenset({"household.head_id_no"})  # the head's ID number on measure and income rows: text
WHAT = {"roster": "花名册", "measures": "帮扶措施", "income": "收入核算", "income_lines": "收入明细",
        "assessments": "评估记录", "all": "花名册、收入明细、帮扶措施和评估记录"}
ALL = ("roster", "income_lines", "measures", "assessments")  # what the import takes back from one workbook
# How income lines are laid out: one line a row (收入明细), or one household-year a row with one
# column per item as the national system's exports have it (收入一项一列; income_columns.py reads it).
INCOME_LAYOUTS = {"lines": "一条一行", "columns": "一项一列"}
COLUMNS_SHEET = "收入（一项一列）"
Progress = Callable[[int, int], None]


def _layout(what: str) -> list[tuple[str, str]]:
    if what == "roster":
        return [(f.key.replace("group.", "household."), f.label) for f in export_fields()]
    doc = json.loads((resources_dir() / "tabular" / f"{what}.json").read_text("utf-8"))
    return [(c["field"], c["label"]) for c in doc["columns"]]


def export_xlsx(store: Store, household_ids: Sequence[str], target: Path, what: str = "roster",
                *, year: int | None = None, progress: Progress | None = None, income_layout: str = "lines",
                said: list[str] | None = None) -> int:
    """Write the export; returns the number of data rows. The roster's household-year columns
    (家庭人口数, 致贫原因) are those of ``year`` (default: the store's current year). ``all`` writes
    the roster, the income lines and the measures as three sheets of one workbook, which the import
    takes back whole. With ``income_layout="columns"`` the income lines are written one household-year
    a row, one column per item; a year whose lines a column cannot hold as they are (an item that is
    not a column, an item twice, a line's 说明, 0 元, 计入收入 not the item's usual) stays one line a
    row on a 收入明细 sheet beside it, and ``said`` gets a line saying how many."""
    if what not in WHAT:
        choices = "、".join(f"{k}（{v}）" for k, v in WHAT.items())
        raise InvalidInput(f"不能导出“{what}”：可选 {choices}。")
    if income_layout not in INCOME_LAYOUTS:
        choices = "、".join(f"{k}（{v}）" for k, v in INCOME_LAYOUTS.items())
        raise InvalidInput(f"收入明细没有“{income_layout}”这种写法：可选 {choices}。")
    kinds: tuple[str, ...] = ALL if what == "all" else (what,)
    kept_as_lines: set[tuple[str, int]] = set()
    if income_layout == "columns" and "income_lines" in kinds:
        with store.engine.connect() as conn:
            kept_as_lines = income_wide.years_as_lines(conn, household_ids)
        swapped = ["income_columns" if k == "income_lines" else k for k in kinds]
        if kept_as_lines:
            swapped.insert(swapped.index("income_columns") + 1, "income_lines")
            if said is not None:
                said.append(f"有 {len(kept_as_lines)} 个户年度的收入明细无法按一项一列写出"
                            f"（{income_wide.WHY}），仍按一条一行写在“收入明细”表中。")
        kinds = tuple(swapped)
    rows_of = {**ROWS, "income_columns": income_wide.rows}
    if income_layout == "columns":
        rows_of["income_lines"] = partial(_income_lines, only=kept_as_lines)
    count = 0

    def _rows(kind: str, columns: list[tuple[str, str]], report: Progress | None) -> Iterator[list[Any]]:
        nonlocal count
        yield [label for _, label in columns]
        with store.engine.connect() as conn:
            facts_year = year or current_year(conn)
            for start in range(0, len(household_ids), CHUNK):
                chunk = list(household_ids[start:start + CHUNK])
                for record in rows_of[kind](conn, chunk, facts_year):
                    count += 1
                    yield [record.get(key) for key, _ in columns]
                if report is not None:
                    report(min(start + CHUNK, len(household_ids)), len(household_ids))

    sheets: list[tuple[str, Iterator[list[Any]], list[int]]] = []
    for n, kind in enumerate(kinds):
        columns = income_wide.columns() if kind == "income_columns" else _layout(kind)
        text_columns = [i for i, (key, _) in enumerate(columns) if key in DIGIT_FIELDS | ID_FIELDS | _HEAD_ID]
        # Progress follows the first sheet only: the others are quicker and reported as one step.
        title = COLUMNS_SHEET if kind == "income_columns" else WHAT[kind]
        sheets.append((title, _rows(kind, columns, progress if n == 0 else None), text_columns))

    write_book(Path(target), sheets)
    return count


def _prefixed(prefix: str, row: Any) -> dict[str, Any]:
    return {f"{prefix}.{k}": v for k, v in dict(row).items()}


def _households(conn: Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Each household's columns, with its head's ID number (linked sheets find their household by it)."""
    found = {r["id"]: _prefixed("household", r) for r in
             conn.execute(select(Household).where(Household.id.in_(ids))).mappings()}
    heads = select(Member.household_id, Member.id_no).where(
        Member.household_id.in_(ids), Member.relation == "户主", Member.record_status == "在册")
    for household_id, id_no in conn.execute(heads):
        if household_id in found:
            found[household_id]["household.head_id_no"] = id_no
    return found


def _roster(conn: Connection, ids: list[str], year: int) -> Iterator[dict[str, Any]]:
    households = _households(conn, ids)
    years = {r["household_id"]: _prefixed("household_year", r) for r in conn.execute(
        select(HouseholdYear).where(HouseholdYear.household_id.in_(ids), HouseholdYear.year == year)).mappings()}
    members: dict[str, list[Any]] = {}
    stmt = select(Member).where(Member.household_id.in_(ids), Member.record_status == "在册")
    for m in conn.execute(stmt.order_by(Member.seq, Member.name)).mappings():
        members.setdefault(m["household_id"], []).append(m)
    for hh_id in ids:
        if hh_id not in households:
            continue
        people = sorted(members.get(hh_id, []), key=lambda m: m["relation"] != "户主")  # the head first
        head = next((m["id_no"] for m in people if m["relation"] == "户主"), None)
        for m in people:
            yield {**households[hh_id], "household_year.year": year, **years.get(hh_id, {}),
                   "household.head_id_no": head,
                   **_prefixed("member", m)}


def _measures(conn: Connection, ids: list[str], _year: int) -> Iterator[dict[str, Any]]:
    households = _households(conn, ids)
    names = {r.id: r for r in conn.execute(select(Member.id, Member.name, Member.id_no)
                                           .where(Member.household_id.in_(ids)))}
    stmt = select(Measure).where(Measure.household_id.in_(ids)).order_by(Measure.year, Measure.start_on)
    by_household: dict[str, list[Any]] = {}
    for m in conn.execute(stmt).mappings():
        by_household.setdefault(m["household_id"], []).append(m)
    for hh_id in ids:
        for m in by_household.get(hh_id, []):
            person = names.get(m["member_id"])
            yield {**households[hh_id], **_prefixed("measure", m), "member.name": person.name if person else None,
                   "member.id_no": person.id_no if person else None}


def _income(conn: Connection, ids: list[str], _year: int) -> Iterator[dict[str, Any]]:
    households = _households(conn, ids)
    by_household: dict[str, list[Any]] = {}
    stmt = select(IncomeYear).where(IncomeYear.household_id.in_(ids)).order_by(IncomeYear.year)
    for r in conn.execute(stmt).mappings():
        by_household.setdefault(r["household_id"], []).append(r)
    for hh_id in ids:
        for r in by_household.get(hh_id, []):
            yield {**households[hh_id], **_prefixed("income_year", r)}


def _income_lines(conn: Connection, ids: list[str], _year: int,
                  only: set[tuple[str, int]] | None = None) -> Iterator[dict[str, Any]]:
    """One row a line; ``only``: just these household-years (those the column layout cannot hold)."""
    if only is not None:
        named = {h for h, _ in only}
        ids = [h for h in ids if h in named]
        if not ids:
            return
    households = _households(conn, ids)
    year, line = IncomeYear.__table__, IncomeLine.__table__
    stmt = (select(*(c.label(f"income_year.{c.key}") for c in year.c),
                   *(c.label(f"income_line.{c.key}") for c in line.c))
            .join_from(year, line, line.c.income_id == year.c.id)
            .where(year.c.household_id.in_(ids)).order_by(year.c.year, line.c.sort))
    by_household: dict[str, list[dict[str, Any]]] = {}
    for row in conn.execute(stmt).mappings():
        if only is None or (row["income_year.household_id"], row["income_year.year"]) in only:
            by_household.setdefault(row["income_year.household_id"], []).append(dict(row))
    for hh_id in ids:
        for found in by_household.get(hh_id, []):
            yield {**households[hh_id], **found}


def _assessments(conn: Connection, ids: list[str], _year: int) -> Iterator[dict[str, Any]]:
    """识别/退出/风险消除/返贫 assessments: a household marked 风险消除 needs that year's (EXP-04)."""
    households = _households(conn, ids)
    by_household: dict[str, list[Any]] = {}
    stmt = select(Assessment).where(Assessment.household_id.in_(ids)).order_by(Assessment.year, Assessment.kind)
    for r in conn.execute(stmt).mappings():
        by_household.setdefault(r["household_id"], []).append(r)
    for hh_id in ids:
        for r in by_household.get(hh_id, []):
            yield {**households[hh_id], **_prefixed("assessment", r)}


ROWS = {"roster": _roster, "measures": _measures, "income": _income, "income_lines": _income_lines,
        "assessments": _assessments}
