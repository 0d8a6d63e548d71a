"""Exporting income lines as the national system's exports lay them out: one household-year a row,
one column per category and per item (工资性收入, 务工收入, 公益性岗位工资…), which
``income_columns.py`` reads back. A category's column is the sum of its items' columns (as the
import checks it); a category with a single line named after it has that line in its own column.

A column holds an amount and nothing else, so a year goes in this layout only when its lines are
exactly what the import makes of such a row: each item a column of its category, at most once, not
0 (a 0 makes no line), without a line's 说明, 计入收入 as the item's usual. Any other year is written
one line a row (``years_as_lines``) rather than changed to fit."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, select

from ..model import IncomeLine, IncomeYear
from ..model.income import CATEGORIES
from ..paths import resources_dir
from .income_columns import IncomeField, income_fields, item_key
from .layout import alias_index, header_key

CHUNK = 500
WHY = "项目不是一项一列的列、同一项目有两条、明细有说明、金额为 0 或是否计入收入与该项目的通常做法不同"
# The household and the year's own fields, as the 收入明细 sheet names them (the import reads both).
_YEAR_COLUMNS = ("household.national_hh_no", "household.group_name", "household.head_name", "household.head_id_no",
                 "income_year.year", "income_year.period_start", "income_year.period_end",
                 "income_year.population", "income_year.claims_income", "income_year.compliant_oop_expense")
_YEAR_NOTE = ("income_year.note", "说明")  # with one row a year, 说明 is the year's


@lru_cache(maxsize=1)
def _usual() -> dict[tuple[str, str], bool]:
    """(category, item) → counts toward income by default, for every item that has a column."""
    doc = json.loads((resources_dir() / "codes" / "income_items.json").read_text("utf-8"))
    found = {(category, category): True for category in CATEGORIES}
    found.update({(category, item): counts for category, items in doc["categories"].items()
                  for item, counts in items})
    return found


def _header(f: IncomeField) -> str:
    """The shortest name the import reads as this column: the item's own name (as national exports
    write it) unless another column goes by that name too."""
    for name in (f.item or f.category, f.label):
        if alias_index().get(header_key(name)) is f:
            return name
    return f.label


@lru_cache(maxsize=1)
def columns() -> list[tuple[str, str]]:
    """(field key, header) of the sheet: the household and year, then every category and item."""
    doc = json.loads((resources_dir() / "tabular" / "income_lines.json").read_text("utf-8"))
    labels = {c["field"]: c["label"] for c in doc["columns"]}
    return ([(key, labels[key]) for key in _YEAR_COLUMNS] + [_YEAR_NOTE]
            + [(f.key, _header(f)) for f in income_fields()])


def fits(lines: Sequence[Any]) -> bool:
    """Whether a year's lines (rows with category, item, amount, note, counts_toward_income) come
    back from one row of columns as they are."""
    seen: set[tuple[str, str]] = set()
    categories: dict[str, set[str]] = {}
    for line in lines:
        key = (line.category, line.item)
        usual = _usual().get(key)
        if (usual is None or key in seen or line.amount is None or line.amount == 0 or line.note
                or bool(line.counts_toward_income) != usual):
            return False
        seen.add(key)
        categories.setdefault(line.category, set()).add(line.item)
    # A line named after its category stands in the category's own column: alone in it.
    return all(len(items) == 1 for c, items in categories.items() if c in items)


def _lines(conn: Connection, ids: list[str]) -> dict[tuple[str, int], list[Any]]:
    year, line = IncomeYear.__table__, IncomeLine.__table__
    stmt = (select(year.c.household_id, year.c.year, line.c.category, line.c.item, line.c.amount, line.c.note,
                   line.c.counts_toward_income)
            .join_from(year, line, line.c.income_id == year.c.id)
            .where(year.c.household_id.in_(ids)).order_by(year.c.year, line.c.sort))
    found: dict[tuple[str, int], list[Any]] = {}
    for row in conn.execute(stmt):
        found.setdefault((row.household_id, row.year), []).append(row)
    return found


def years_as_lines(conn: Connection, household_ids: Sequence[str]) -> set[tuple[str, int]]:
    """The household-years whose lines this layout cannot hold as they are."""
    found: set[tuple[str, int]] = set()
    for start in range(0, len(household_ids), CHUNK):
        found.update(k for k, lines in _lines(conn, list(household_ids[start:start + CHUNK])).items()
                     if not fits(lines))
    return found


def rows(conn: Connection, ids: list[str], _year: int) -> Iterator[dict[str, Any]]:
    """One record a household-year whose lines fit, in the exporter's row form (field key → value)."""
    from .exporter import _households  # noqa: PLC0415 (the exporter imports this module)

    households = _households(conn, ids)
    lines = {k: v for k, v in _lines(conn, ids).items() if fits(v)}
    years: dict[str, list[dict[str, Any]]] = {}
    for r in conn.execute(select(IncomeYear).where(IncomeYear.household_id.in_(ids))
                          .order_by(IncomeYear.year)).mappings():
        if (r["household_id"], r["year"]) in lines:
            years.setdefault(r["household_id"], []).append({f"income_year.{k}": v for k, v in r.items()})
    for hh_id in ids:
        for year in years.get(hh_id, []):
            found = {**households[hh_id], **year}
            for line in lines[(hh_id, year["income_year.year"])]:
                if line.item != line.category:
                    total = found.get(item_key(line.category), Decimal(0))
                    found[item_key(line.category)] = total + line.amount
                found[item_key(line.category, "" if line.item == line.category else line.item)] = line.amount
            yield found
