"""Income as one column per item, as the national system's exports have it: a household-year row
with 工资性收入, its sub-items (务工收入, 公益性岗位工资…), 生产经营性收入, 财产性收入, 转移性收入
(低保金, 养老保险金…) and 生产经营性支出 each in a column. Such columns are read on a roster or on
an income sheet and become the income lines of the year (``income_item.<类别>[.<明细项>]`` fields).

A category's own column is the sum of its sub-items when the file lists them: it is checked
against them (a difference is an error of the row, never settled by guessing), not imported twice.
A category column with no sub-item beside it is one line named after the category. A 0 makes no
line (it changes no total); that is said once per sheet."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column

from ..model import IncomeLine
from ..model.income import CATEGORIES
from ..paths import resources_dir
from .layout import Field, header_key

if TYPE_CHECKING:
    from .rows import RowRecord

PREFIX = "income_item."


class IncomeField(Field):
    """A column holding one income item's (or one category's) amount."""

    @cached_property
    def column(self) -> Column[Any] | None:
        return IncomeLine.__table__.c["amount"]

    @property
    def category(self) -> str:
        return self.column_name.split(".", 1)[0]

    @property
    def item(self) -> str:
        """"" for the category's own (total) column."""
        parts = self.column_name.split(".", 1)
        return parts[1] if len(parts) > 1 else ""


def item_key(category: str, item: str = "") -> str:
    return f"{PREFIX}{category}.{item}" if item else f"{PREFIX}{category}"


@lru_cache(maxsize=1)
def _doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((resources_dir() / "tabular" / "income_columns.json").read_text("utf-8"))
    return doc


@lru_cache(maxsize=1)
def income_fields() -> tuple[IncomeField, ...]:
    """Each category and each item of income_items.json, with the other names of income_columns.json."""
    items = json.loads((resources_dir() / "codes" / "income_items.json").read_text("utf-8"))["categories"]
    others: dict[str, list[str]] = {}
    for name, (category, item) in _doc()["aliases"].items():
        others.setdefault(item_key(category, item), []).append(name)
    fields = []
    for category in CATEGORIES:
        key = item_key(category)
        fields.append(IncomeField(key, category, tuple(n for n in others.get(key, []) if n != category)))
        for item, _counts in items.get(category, []):
            key = item_key(category, item)
            fields.append(IncomeField(key, f"{item}（{category}）", (item, *others.get(key, []))))
    return tuple(fields)


def looks_like_income(header: str) -> bool:
    """A header that names an amount of income or expense (by how it ends)."""
    key = header_key(header).removesuffix("元")
    return any(key.endswith(end) for end in _doc()["income_like"])


def is_total(header: str) -> bool:
    return header_key(header) in {header_key(t) for t in _doc()["totals"]}


def has_income(fields: Iterable[Field]) -> bool:
    return any(isinstance(f, IncomeField) for f in fields)


def split(values: Mapping[str, Any]) -> dict[str, dict[str, Decimal]]:
    """``income_item.*`` values (prefix already removed or not) by category: {item or "": amount}."""
    found: dict[str, dict[str, Decimal]] = {}
    for key, amount in values.items():
        name = key.removeprefix(PREFIX)
        category, _, item = name.partition(".")
        if category in CATEGORIES and amount is not None:
            found.setdefault(category, {})[item] = Decimal(amount)
    return found


def total_mismatches(values: Mapping[str, Any]) -> list[tuple[str, Decimal, Decimal]]:
    """(category, its column's amount, the sum of its sub-items) where the two differ."""
    wrong = []
    for category, amounts in split(values).items():
        total = amounts.get("")
        parts = [v for k, v in amounts.items() if k]
        if total is not None and parts and sum(parts) != total:
            wrong.append((category, total, sum(parts, Decimal(0))))
    return wrong


def lines(values: Mapping[str, Any]) -> list[tuple[str, str, Decimal]]:
    """The year's lines (category, item, amount) in the order of the national form; no line for 0."""
    found = split(values)
    result = []
    for category in CATEGORIES:
        amounts = found.get(category, {})
        parts = {k: v for k, v in amounts.items() if k}
        chosen = parts if parts else ({category: amounts[""]} if "" in amounts else {})
        result += [(category, item, amount) for item, amount in chosen.items() if amount != 0]
    return result


def line_records(row: RowRecord, values: Mapping[str, Any], year: int | None = None) -> list[RowRecord]:
    """One record a line, as the line-per-row layout reads it: the row's other values (household
    keys, the year's fields) with 类别, 项目 and 金额; on the row the amounts came from."""
    from .rows import RowRecord  # noqa: PLC0415 (rows reads income columns with this module)

    shared = {k: v for k, v in row.values.items() if not k.startswith(PREFIX)}
    if year is not None:
        shared.setdefault("income_year.year", year)
    return [RowRecord(row.number, {**shared, "income_line.category": category, "income_line.item": item,
                                   "income_line.amount": amount}, sheet=row.sheet)
            for category, item, amount in lines(values)]


def zeros(values: Mapping[str, Any]) -> int:
    return sum(1 for amounts in split(values).values() for v in amounts.values() if v == 0)
