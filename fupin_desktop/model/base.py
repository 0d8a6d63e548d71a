"""The declarative base, column helpers and value types shared by every table.

Every column carries a Chinese label in ``info["label"]``: validation messages, the change history
and exports all speak of fields by that label. Columns marked ``info["derived"]`` are recomputed by
the core (counts, per-capita income, search keys) and are not written to the change log. The helpers
also store the column's whole declaration (``model/fields.py``) in ``info["field"]``.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import Boolean, Date, ForeignKey, Integer, MetaData, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import BigInteger, TypeDecorator
from typing_extensions import TypedDict, Unpack

from .fields import (
    BY_CORE,
    OWNER,
    Codes,
    Field,
    KeepText,
    Omitted,
    Place,
    Printed,
    Roster,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    if TYPE_CHECKING:  # each model maps one Table, not any FromClause: .insert(), .c.x and .name are there
        __table__: ClassVar[Table]


def new_id() -> str:
    return uuid.uuid4().hex


_KEYED = uuid.UUID("9b0c6f52-51d4-4c1e-8a53-6f6e65706572")  # never change: ids made on every device


def one_per(*columns: str) -> UniqueConstraint:
    """A record that exists once per value of ``columns`` (a household's row for a year): its id is made
    from them, so two laptops that each create it offline create the same record, and sync merges it
    field by field instead of sending every device a second row its unique key refuses."""
    return UniqueConstraint(*columns, info={"identity": True})


def identity_columns(table: Table) -> tuple[str, ...] | None:
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint) and constraint.info.get("identity"):
            return tuple(c.name for c in constraint.columns)
    return None


def record_id(table: Table, row: Any) -> str:
    """The id of a new row: made from its key where the table is ``one_per`` one, random otherwise."""
    key = identity_columns(table)
    if key is None or any(row.get(c) is None for c in key):
        return new_id()
    return uuid.uuid5(_KEYED, ":".join((table.name, *(str(row[c]) for c in key)))).hex


class Money(TypeDecorator[Decimal]):
    """Yuan with two decimals, stored exactly as integer fen (SQLite has no decimal type)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None:
            return None
        return int((Decimal(str(value)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        # scaleb is exact and several times cheaper than dividing and quantizing (hot in bulk reads)
        return None if value is None else Decimal(value).scaleb(-2)


class Area(TypeDecorator[Decimal]):
    """Areas in mu / square metres / kilometres: two decimals, stored as integer hundredths."""

    impl = BigInteger
    cache_ok = True
    process_bind_param = Money.process_bind_param
    process_result_value = Money.process_result_value


class Declared(TypedDict, total=False):
    """A column's options: the Column's own, then what :class:`Field` declares about it."""

    index: bool
    unique: bool
    default: object
    primary_key: bool
    codes: Codes
    keep_text: KeepText
    long: bool
    editor: Place | Omitted
    roster: Roster | Omitted
    printed: Printed | Omitted


COLUMN_OPTIONS = ("index", "unique", "default", "primary_key")


def declared(column_type: Any, label: str, *, derived: bool = False, **kw: Unpack[Declared]) -> Any:
    """A column and its :class:`Field`; ``info["label"]`` and ``info["derived"]`` stay for their many readers."""
    options: dict[str, Any] = dict(kw)
    column = {k: options.pop(k) for k in COLUMN_OPTIONS if k in options}
    info: dict[str, Any] = {"label": label, "field": Field(label, derived, **options)}
    return mapped_column(column_type, info=info | ({"derived": True} if derived else {}), **column)


def text(label: str, length: int | None = None, **kw: Unpack[Declared]) -> Any:
    return declared(String(length) if length else Text, label, **kw)


def flag(label: str, **kw: Unpack[Declared]) -> Any:
    """是/否 stored as a nullable boolean: blank (None) is not the same as 否."""
    return declared(Boolean, label, **kw)


def number(label: str, **kw: Unpack[Declared]) -> Any:
    return declared(Integer, label, **kw)


def money(label: str, **kw: Unpack[Declared]) -> Any:
    return declared(Money, label, **kw)


def measure_of(label: str, **kw: Unpack[Declared]) -> Any:
    return declared(Area, label, **kw)


def day(label: str, **kw: Unpack[Declared]) -> Any:
    return declared(Date, label, **kw)


def derived(column_type: Any, label: str, **kw: Unpack[Declared]) -> Any:
    return declared(column_type, label, derived=True, **kw)


def owner(target: str, label: str) -> Any:
    """The foreign key to the row this one belongs to."""
    return declared(ForeignKey(target), label, index=True, editor=OWNER, roster=OWNER, printed=OWNER)


class Entity:
    """Columns every synced row has: a device-made UUID and the time of its last change (display only)."""

    id: Mapped[str] = declared(String(32), "编号", primary_key=True, default=new_id,
                               editor=BY_CORE, roster=BY_CORE, printed=BY_CORE)
    updated_at: Mapped[str | None] = derived(String(32), "更新时间", editor=BY_CORE, roster=BY_CORE, printed=BY_CORE)


def column_label(table: str, column: str) -> str:
    t = Base.metadata.tables.get(table)
    if t is None or column not in t.c:
        return column
    label: str = t.c[column].info.get("label", column)
    return label


__all__ = ["Base", "Entity", "Mapped", "mapped_column", "date", "Decimal"]
