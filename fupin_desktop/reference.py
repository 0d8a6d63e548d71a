"""Code tables and thresholds: loaded from ``resources/`` into the store, looked up from it.

Code tables are versioned data (SPEC §0 recommendation): a table has one list per era, each entry
a national code and the label text national exports use. Thresholds (poverty line, exit line,
monitoring range) are rows per province and year, because provinces set their own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Required, TypedDict

from sqlalchemy import Connection, Engine, delete, insert, select

from .model import AdminArea, CodeEntry, Meta, Threshold, new_id
from .paths import resources_dir


class Era(TypedDict, total=False):
    """One era of a code table: its (code, label) pairs and the years it applies to."""

    entries: Required[list[tuple[str, str]]]  # JSON arrays of two strings
    valid_from: int
    valid_to: int
    source: str


class CodeDocument(TypedDict):
    """resources/codes/national.json: field → era name → era."""

    version: str
    note: str
    tables: dict[str, dict[str, Era]]


class IncomeItems(TypedDict):
    """resources/codes/income_items.json: category → (item, counted as income by default)."""

    version: str
    note: str
    categories: dict[str, list[tuple[str, bool]]]


class Thresholds(TypedDict):
    """resources/thresholds.json: (province code, year, kind, yuan per person and year, source tag) rows."""

    version: str
    note: str
    rows: list[tuple[str, int, str, int, str]]


@lru_cache(maxsize=1)
def load_code_document() -> CodeDocument:
    doc: CodeDocument = json.loads((resources_dir() / "codes" / "national.json").read_text("utf-8"))
    return doc


@lru_cache(maxsize=1)
def load_income_items() -> IncomeItems:
    items: IncomeItems = json.loads((resources_dir() / "codes" / "income_items.json").read_text("utf-8"))
    return items


def load_thresholds() -> Thresholds:
    thresholds: Thresholds = json.loads((resources_dir() / "thresholds.json").read_text("utf-8"))
    return thresholds


@dataclass(frozen=True)
class CodeTables:
    """Lookups over the code document; the same labels the store holds."""

    doc: CodeDocument

    @classmethod
    def default(cls) -> "CodeTables":
        return cls(load_code_document())

    def eras(self, field: str) -> dict[str, Era]:
        return self.doc["tables"][field]

    def labels(self, field: str, year: int | None = None) -> list[str]:
        """Labels valid in ``year`` (all eras merged, in order, when year is None)."""
        seen: dict[str, None] = {}
        for era in self.eras(field).values():
            if year is not None and not (era.get("valid_from", 0) <= year <= era.get("valid_to", 9999)):
                continue
            for _code, label in era["entries"]:
                seen.setdefault(label, None)
        return list(seen)

    def all_labels(self, field: str) -> frozenset[str]:
        return frozenset(self.labels(field))


def seed_reference_data(engine: Engine, *, village_code: str, village_name: str) -> None:
    """Fill code tables and thresholds in a new store (reference data: not in the change log)."""
    with engine.begin() as conn:
        refresh_code_tables(conn)
        rows = load_thresholds()["rows"]
        conn.execute(insert(Threshold), [
            {"id": new_id(), "province_code": p, "year": y, "kind": k, "amount": Decimal(a), "source": s}
            for p, y, k, a, s in rows
        ])
        if village_code:
            conn.execute(insert(AdminArea).values(
                id=new_id(), code=village_code, name=village_name, level="村", parent_code=village_code[:9] or None,
            ))


def refresh_code_tables(conn: Connection) -> None:
    doc = load_code_document()
    conn.execute(delete(CodeEntry))
    rows = []
    for field, eras in doc["tables"].items():
        for era_name, era in eras.items():
            for sort, (code, label) in enumerate(era["entries"]):
                rows.append({
                    "id": new_id(), "field": field, "era": era_name, "code": code, "label": label, "sort": sort,
                    "valid_from": era.get("valid_from"), "valid_to": era.get("valid_to"), "version": doc["version"],
                })
    conn.execute(insert(CodeEntry), rows)
    conn.execute(Meta.__table__.insert().prefix_with("OR REPLACE"), {"key": "codes_version", "value": doc["version"]})


def threshold_for(conn: Connection, province_code: str, year: int, kind: str) -> Decimal | None:
    """The province's own figure for the year, else the national default, else none."""
    rows = conn.execute(
        select(Threshold.province_code, Threshold.amount).where(Threshold.year == year, Threshold.kind == kind)
    ).all()
    by_province = {p: a for p, a in rows}
    return by_province.get(province_code, by_province.get("00"))


def thresholds_table(conn: Connection) -> dict[tuple[str, int, str], Decimal]:
    rows = conn.execute(select(Threshold.province_code, Threshold.year, Threshold.kind, Threshold.amount)).all()
    return {(p, y, k): a for p, y, k, a in rows}


# ---- rule parameters ------------------------------------------------------------------------------
ParamValue = Decimal | str


class RuleParam(TypedDict):
    """One row of resources/rule_params.json: a parameter's value for a province and a span of years."""

    name: str
    province: str  # "00" = national default
    year_from: int
    year_to: int | None  # None = still in force
    value: float | int | str
    source: str


@lru_cache(maxsize=1)
def load_rule_params() -> tuple[RuleParam, ...]:
    doc = json.loads((resources_dir() / "rule_params.json").read_text("utf-8"))
    return tuple(doc["params"])


def rule_param(name: str, year: int, province: str = "00",
               params: tuple[RuleParam, ...] | None = None) -> ParamValue | None:
    """A rule parameter (exit line, removal months, 收入参考范围…) in force in ``year``: the province's
    own row, else the national default, else None. Numbers come back as Decimal (exact in rules)."""
    rows = [p for p in (load_rule_params() if params is None else params)
            if p["name"] == name and p["year_from"] <= year and (p["year_to"] is None or year <= p["year_to"])]
    row = next((p for p in rows if p["province"] == province), None) or next(
        (p for p in rows if p["province"] == "00"), None)
    if row is None:
        return None
    value = row["value"]
    return value if isinstance(value, str) else Decimal(str(value))
