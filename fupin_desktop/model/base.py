"""The declarative base, column helpers and value types shared by every table.

Every column carries a Chinese label in ``info["label"]``: validation messages, the change history
and exports all speak of fields by that label. Columns marked ``info["derived"]`` are recomputed by
the core (counts, per-capita income, search keys) and are not written to the change log.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import Boolean, Date, Integer, MetaData, String, Table, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import BigInteger, TypeDecorator

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


def text(label: str, length: int | None = None, **kw: Any) -> Any:
    return mapped_column(String(length) if length else Text, info={"label": label}, **kw)


def flag(label: str, **kw: Any) -> Any:
    """是/否 stored as a nullable boolean: blank (None) is not the same as 否."""
    return mapped_column(Boolean, info={"label": label}, **kw)


def number(label: str, **kw: Any) -> Any:
    return mapped_column(Integer, info={"label": label}, **kw)


def money(label: str, **kw: Any) -> Any:
    return mapped_column(Money, info={"label": label}, **kw)


def measure_of(label: str, **kw: Any) -> Any:
    return mapped_column(Area, info={"label": label}, **kw)


def day(label: str, **kw: Any) -> Any:
    return mapped_column(Date, info={"label": label}, **kw)


def derived(column_type: Any, label: str, **kw: Any) -> Any:
    return mapped_column(column_type, info={"label": label, "derived": True}, **kw)


class Entity:
    """Columns every synced row has: a device-made UUID and the time of its last change (display only)."""

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info={"label": "编号"})
    updated_at: Mapped[str | None] = mapped_column(
        String(32), info={"label": "更新时间", "derived": True}
    )


def column_label(table: str, column: str) -> str:
    t = Base.metadata.tables.get(table)
    if t is None or column not in t.c:
        return column
    label: str = t.c[column].info.get("label", column)
    return label


__all__ = ["Base", "Entity", "Mapped", "mapped_column", "date", "Decimal"]
