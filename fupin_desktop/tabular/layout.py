"""The roster's columns, their Chinese header names and aliases: each table's from the model's
declarations (``model/layouts.py``), the grouping-only ``group.*`` columns and the order of the
parts from resources/tabular/roster.json."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from sqlalchemy import Column, MetaData

from ..model import Base
from ..model.fields import BY_CORE, LIFECYCLE, OWNER
from ..model.layouts import kept_as_text, placement, roster_columns
from ..paths import resources_dir
from ..values import column_kind


def _roster_doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((resources_dir() / "tabular" / "roster.json").read_text("utf-8"))
    return doc


# Columns whose values are numbers people keep as text: never a float, never scientific notation.
_KEPT = kept_as_text() | {c["field"]: c["keep_text"] for c in _roster_doc()["group"] if c.get("keep_text")}
DIGIT_FIELDS = frozenset(k for k, v in _KEPT.items() if v == "digits")
ID_FIELDS = frozenset(k for k, v in _KEPT.items() if v == "id")


@dataclass(frozen=True)
class Field:
    key: str  # "household.phone", "member.id_no", or "group.*" (used for grouping only)
    label: str
    aliases: tuple[str, ...]

    @property
    def table(self) -> str:
        return self.key.split(".", 1)[0]

    @property
    def column_name(self) -> str:
        return self.key.split(".", 1)[1]

    @cached_property
    def column(self) -> Column[Any] | None:
        table = Base.metadata.tables.get(self.table)
        return None if table is None else table.c[self.column_name]

    @cached_property
    def kind(self) -> str:
        if self.key in ID_FIELDS:
            return "id"
        if self.key in DIGIT_FIELDS:
            return "digits"
        column = self.column
        return "text" if column is None else column_kind(column)


def header_key(text: object) -> str:
    """A header cell as a comparable key: half-width, no spaces, brackets and line breaks."""
    s = unicodedata.normalize("NFKC", str(text or ""))
    return re.sub(r"[\s()（）*＊:：]", "", s)


def roster_layout(metadata: MetaData = Base.metadata) -> tuple[Field, ...]:
    doc = _roster_doc()
    group = [Field(c["field"], c["label"], tuple(c.get("aliases", ()))) for c in doc["group"]]
    return tuple(f for part in doc["parts"] for f in (group if part == "group" else _declared(part, metadata)))


def _declared(table: str, metadata: MetaData) -> list[Field]:
    return [Field(c.key, c.label, c.aliases) for c in roster_columns(table, metadata)]


@lru_cache(maxsize=None)
def roster_fields() -> tuple[Field, ...]:
    return roster_layout()


def export_fields() -> tuple[Field, ...]:
    return tuple(f for f in roster_fields() if f.key != "group.head_id_no")


# Tables whose other columns (not exported in the roster) are imported when a file has them.
IMPORT_ONLY_TABLES = ("household", "household_year", "member", "member_year")
_NOT_TYPED = (BY_CORE, LIFECYCLE, OWNER)  # kept by the core, the lifecycle or the link: never from a file


@lru_cache(maxsize=None)
def import_fields() -> tuple[Field, ...]:
    """The roster's fields, then every other column with a home that national exports and 台账 carry:
    the year's household facts (conditions, 两不愁三保障, risks), monitoring, members' year facts,
    and income as one column per item (``income_columns.py``)."""
    taken = {f.key for f in roster_fields()}
    extra = json.loads((resources_dir() / "tabular" / "import_aliases.json").read_text("utf-8"))["aliases"]
    found = []
    for table in IMPORT_ONLY_TABLES:
        for column in Base.metadata.tables[table].c:
            key = f"{table}.{column.name}"
            if key not in taken and column.name != "year" and _typed_by_people(column):  # one 年度: the household's
                found.append(Field(key, str(column.info["label"]), tuple(extra.get(key, ()))))
    from .income_columns import income_fields  # noqa: PLC0415 (it builds on Field)

    return roster_fields() + tuple(found) + income_fields()


def _typed_by_people(column: Column[Any]) -> bool:
    return ("label" in column.info and not column.info.get("derived") and not column.foreign_keys
            and column.name not in ("id", "updated_at") and placement(column, "roster") not in _NOT_TYPED)


@lru_cache(maxsize=None)
def alias_index() -> dict[str, Field]:
    """Every name a column may go by (label first, then aliases; "是否…" also without 是否) → its field."""
    index: dict[str, Field] = {}
    for f in import_fields():
        for name in (f.label, *f.aliases):
            index.setdefault(header_key(name), f)
    for f in import_fields():
        if f.label.startswith("是否"):
            index.setdefault(header_key(f.label[2:]), f)
    return index


def field_by_name(name: str) -> Field | None:
    """A field by its key ("member.id_no") or any of its names ("身份证号")."""
    for f in import_fields():
        if name == f.key:
            return f
    return alias_index().get(header_key(name))
