"""Values as printed: one place decides how a yes/no, an amount, an area or a date looks on paper.

A blank (None) prints as an empty cell, never as "None" or "0": on these forms 0 and blank mean
different things (SPEC §1.5, "为空" vs "为0").
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

_CENT = Decimal("0.01")
MAX_TEXT = 400  # longer free text is cut: a single cell taller than a page cannot be laid out


def text(value: Any) -> str:
    """Any stored value as print text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return decimal(value)
    if isinstance(value, date):
        return day(value)
    result = str(value).strip()
    return result if len(result) <= MAX_TEXT else result[: MAX_TEXT - 1] + "…"


def decimal(value: Decimal | float | int | None) -> str:
    """Two decimals for money and areas, rounded half up as the income arithmetic does (SPEC §2.2)."""
    if value is None:
        return ""
    return str(Decimal(str(value)).quantize(_CENT, rounding=ROUND_HALF_UP))


def money(value: Decimal | float | int | None) -> str:
    return decimal(value)


def day(value: date | None) -> str:
    return value.isoformat() if value else ""


def have(value: bool | None) -> str:
    """有/无 fields (有无卫生厕所)."""
    return "" if value is None else ("有" if value else "无")


def year_month(value: str | None) -> str:
    """YYYYMM as 2023年05月."""
    if not value or len(value) != 6 or not value.isdigit():
        return text(value)
    return f"{value[:4]}年{value[4:]}月"


def age(born: date | None, year: int) -> str:
    return "" if born is None else str(year - born.year)


def join(*parts: Any, sep: str = "，") -> str:
    return sep.join(t for t in (text(p) for p in parts) if t)


def quantity(value: Decimal | float | None) -> str:
    """A count or scale as people write it: 8, not 8.00; 2.5 stays 2.5."""
    if value is None:
        return ""
    number = Decimal(str(value))
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")
