"""The lists that used to be kept by hand, derived from the columns' declarations (``fields.py``):
the editor's form tabs, the roster's columns, the registration form's lists, the columns whose
digits stay text, and the check that every column has its place decided.

Every function takes the metadata to read (the model's by default), so tests can try a changed copy.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, TypeVar

from sqlalchemy import Column, MetaData

from .base import Base
from .fields import (
    BY_CORE,
    SECTIONS,
    Codes,
    Field,
    KeepText,
    Omitted,
    Part,
    Place,
    Printed,
    Roster,
)

Where = Literal["editor", "roster", "printed"]
# Where a column must have its place decided: the household file's own tables. Members, measures,
# visits… have editors of their own that list their columns.
SCOPE: dict[Where, tuple[str, ...]] = {
    "editor": ("household", "household_year"),
    "roster": ("household", "household_year", "member"),
    "printed": ("household", "household_year", "member", "member_year"),
}
ColumnKey = tuple[str, str]  # (table, column)
P = TypeVar("P", Place, Roster, Printed)


@dataclass(frozen=True)
class RosterColumn:
    key: str  # "household.phone"
    label: str  # the header written on export
    aliases: tuple[str, ...]


def declaration(column: Column[object]) -> Field | None:
    found = column.info.get("field")
    return found if isinstance(found, Field) else None


def placement(column: Column[object], where: Where) -> Place | Roster | Printed | Omitted | None:
    """The column's own choice, else its table's (``__table_args__`` info), else "kept by the core"
    for derived columns; None when nothing was decided."""
    spec = declaration(column)
    chosen = getattr(spec, where) if spec else None
    chosen = chosen or column.table.info.get(where)
    return chosen or (BY_CORE if spec and spec.derived else None)


def undecided(metadata: MetaData = Base.metadata) -> list[str]:
    """Columns in scope with no place decided, as "editor: household.phone"."""
    return [f"{where}: {table}.{column.name}" for where, tables in SCOPE.items() for table in tables
            for column in metadata.tables[table].c if placement(column, where) is None]


def _placed(metadata: MetaData, where: Where, kind: type[P]) -> Iterator[tuple[Column[object], P]]:
    for table in SCOPE[where]:
        for column in metadata.tables[table].c:
            found = placement(column, where)
            if isinstance(found, kind):
                yield column, found


def editor_sections(tab: str, metadata: MetaData = Base.metadata) -> list[tuple[str, list[ColumnKey]]]:
    """(section title, its columns in order) for one of the editor's form tabs."""
    placed = sorted(_placed(metadata, "editor", Place), key=lambda pair: pair[1].order)
    return [(section.title, [(c.table.name, c.name) for c, p in placed if p.section == section])
            for section in SECTIONS if section.tab == tab]


def printed(part: Part, metadata: MetaData = Base.metadata) -> list[ColumnKey]:
    """The columns a printed form lists in ``part``, in order."""
    placed = sorted(_placed(metadata, "printed", Printed), key=lambda pair: pair[1].order)
    return [(c.table.name, c.name) for c, p in placed if p.part == part]


@dataclass(frozen=True)
class PrintedColumn:
    """One column of a printed grid (the 登记表's member tables)."""

    table: str
    column: str
    head: str  # the header, "|" where it may break
    width: float


def printed_grid(part: Part, metadata: MetaData = Base.metadata) -> list[PrintedColumn]:
    """The columns of a grid part, in order, with their headers and widths."""
    placed = sorted(_placed(metadata, "printed", Printed), key=lambda pair: pair[1].order)
    return [PrintedColumn(c.table.name, c.name, p.head or str(c.info["label"]), p.width)
            for c, p in placed if p.part == part]


def roster_columns(table: str, metadata: MetaData = Base.metadata) -> list[RosterColumn]:
    """One table's roster columns, in the model's declaration order."""
    return [RosterColumn(f"{table}.{c.name}", r.name or str(c.info["label"]), r.aliases)
            for c, r in _placed(metadata, "roster", Roster) if c.table.name == table]


def _declared(metadata: MetaData) -> Iterator[tuple[Column[object], Field]]:
    for table in metadata.tables.values():
        for column in table.c:
            spec = declaration(column)
            if spec is not None:
                yield column, spec


def kept_as_text(metadata: MetaData = Base.metadata) -> dict[str, KeepText]:
    """"table.column" → "digits" / "id" for numbers people keep as text (phones, accounts, IDs)."""
    return {f"{c.table.name}.{c.name}": s.keep_text for c, s in _declared(metadata) if s.keep_text}


def code_table(table: str, column: str, metadata: MetaData = Base.metadata) -> Codes | None:
    found = metadata.tables.get(table)
    spec = declaration(found.c[column]) if found is not None and column in found.c else None
    return spec.codes if spec else None


def long_names(metadata: MetaData = Base.metadata) -> frozenset[str]:
    """Names of the free-text columns that take a whole line in a form."""
    return frozenset(c.name for c, s in _declared(metadata) if s.long)
