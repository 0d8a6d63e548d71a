"""The roster's columns, their Chinese header names and aliases: data in resources/tabular/."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from sqlalchemy import Column

from ..model import Household, HouseholdYear, Member
from ..paths import resources_dir
from ..values import column_kind

TABLES = {"household": Household.__table__, "household_year": HouseholdYear.__table__, "member": Member.__table__}
# Columns whose values are numbers people keep as text: never a float, never scientific notation.
DIGIT_FIELDS = frozenset({"household.national_hh_no", "household.phone", "household.bank_account",
                          "household.village_code", "member.phone", "member.member_no",
                          "household.monitoring_contact_phone", "household.collector_phone"})
ID_FIELDS = frozenset({"member.id_no", "group.head_id_no"})


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
        table = TABLES.get(self.table)
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


@lru_cache(maxsize=None)
def roster_fields() -> tuple[Field, ...]:
    doc = json.loads((resources_dir() / "tabular" / "roster.json").read_text("utf-8"))
    return tuple(Field(c["field"], c["label"], tuple(c.get("aliases", ()))) for c in doc["columns"])


def export_fields() -> tuple[Field, ...]:
    return tuple(f for f in roster_fields() if f.key != "group.head_id_no")


@lru_cache(maxsize=None)
def alias_index() -> dict[str, Field]:
    """Every name a column may go by (label first, then aliases) → its field."""
    index: dict[str, Field] = {}
    for f in roster_fields():
        for name in (f.label, *f.aliases):
            index.setdefault(header_key(name), f)
    return index


def field_by_name(name: str) -> Field | None:
    """A field by its key ("member.id_no") or any of its names ("身份证号")."""
    for f in roster_fields():
        if name == f.key:
            return f
    return alias_index().get(header_key(name))
