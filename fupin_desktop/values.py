"""Turning what people type (or files hold) into column values, and values into JSON for the log.

One place decides what a date, a yes/no, an amount or a number may look like, so the editor, the
CLI, spreadsheet import and log replay all accept and refuse the same things, with the same
Chinese messages.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from collections.abc import Callable
from typing import Any

from sqlalchemy import Boolean, Column, Date, Integer, LargeBinary
from sqlalchemy.types import TypeDecorator

from .errors import InvalidInput

_YES = {"是", "有", "y", "yes", "true", "1", "√", "✓"}
_NO = {"否", "无", "n", "no", "false", "0", "×"}
_DATE = re.compile(r"^(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def clean_text(value: object) -> str:
    """Full-width to half-width, stray and non-breaking spaces removed at both ends: for values that
    are parsed or matched (dates, numbers, codes, search), never for text that is stored as typed."""
    return unicodedata.normalize("NFKC", str(value)).strip()


# Full-width digits and Latin letters (an ID number or a phone typed with a Chinese input method)
# and the ideographic space; nothing else. NFKC would also turn ，：（） into ,:() in a note and map
# CJK compatibility ideographs in a name to other code points — a change nobody chose.
_FULL_WIDTH = {c: c - 0xFEE0 for c in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))}
_FULL_WIDTH[0x3000] = 0x20
# The characters _FULL_WIDTH changes: most text has none, and looking for one is far cheaper than
# ``str.translate`` with a dict (a first download tidies a few million values).
_HAS_FULL_WIDTH = re.compile("[" + "".join(chr(c) for c in sorted(_FULL_WIDTH)) + "]")


def tidy_text(value: object) -> str:
    """Text as it is stored: full-width digits and letters to ASCII, spaces trimmed at both ends."""
    text = str(value)
    return (text.translate(_FULL_WIDTH) if _HAS_FULL_WIDTH.search(text) else text).strip()


def parse_date(value: object, label: str = "日期") -> date | None:
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.date()
    text = clean_text(value)
    if not text:
        return None
    m = _DATE.match(text) or _COMPACT_DATE.match(text)
    if not m:
        raise InvalidInput(f"{label}：无法识别的日期“{text}”", field=label, hint="请按 2019-03-05 的格式填写。")
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise InvalidInput(f"{label}：日期不存在“{text}”", field=label, hint="请检查年月日。") from None


def parse_flag(value: object, label: str = "") -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = clean_text(value).lower()
    if not text:
        return None
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise InvalidInput(f"{label}：应填“是”或“否”，而不是“{text}”", field=label)


def parse_decimal(value: object, label: str = "") -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    text = clean_text(value).replace(",", "").replace("元", "")
    if not text:
        return None
    try:
        result = Decimal(text)
    except InvalidOperation:
        raise InvalidInput(f"{label}：不是有效的数字“{text}”", field=label) from None
    if not result.is_finite():
        raise InvalidInput(f"{label}：不是有效的数字“{text}”", field=label)
    return result


def parse_int(value: object, label: str = "") -> int | None:
    if value is None or isinstance(value, int) and not isinstance(value, bool):
        return value
    number = parse_decimal(value, label)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise InvalidInput(f"{label}：应为整数，而不是“{value}”", field=label)
    return int(number)


def parse_text(value: object, label: str = "") -> str | None:
    if value is None:
        return None
    text = tidy_text(value)
    return text or None


_CENT = Decimal("0.01")


def parse_cents(value: object, label: str = "") -> Decimal | None:
    """Money and areas keep two decimals, so "24000" and "24000.00" are the same value."""
    number = parse_decimal(value, label)
    return None if number is None else number.quantize(_CENT)


def column_kind(column: Column[Any]) -> str:
    """How a column's values are typed in: decimal, flag, date, int, bytes or text."""
    t = column.type
    if isinstance(t, TypeDecorator):
        return "decimal"
    if isinstance(t, Boolean):
        return "flag"
    if isinstance(t, Date):
        return "date"
    if isinstance(t, Integer):
        return "int"
    if isinstance(t, LargeBinary):
        return "bytes"
    return "text"


def keep_bytes(value: object, label: str = "") -> object:
    return value  # photos: stored as given


_PARSERS: dict[str, Callable[[object, str], object]] = {
    "decimal": parse_cents,
    "flag": parse_flag,
    "date": parse_date,
    "int": parse_int,
    "text": parse_text,
    "bytes": keep_bytes,
}


def coerce(column: Column[Any], value: object) -> object:
    """Parse ``value`` for ``column`` or raise ``InvalidInput`` naming the field in Chinese."""
    label = column.info.get("label", column.name)
    result = _PARSERS[column_kind(column)](value, label)
    length: int | None = getattr(column.type, "length", None)
    if isinstance(result, str) and length and len(result) > length:
        raise InvalidInput(f"{label}：内容过长（最多 {length} 个字）", field=label)
    return result


def to_json(value: object) -> object:
    if isinstance(value, (date, Decimal)):
        return str(value)
    return value


def from_json(column: Column[Any], value: object) -> object:
    return None if value is None else _PARSERS[column_kind(column)](value, column.name)


_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def json_reader(column: Column[Any]) -> Callable[[object], object]:
    """``from_json`` for one column, its type decided once (a first download decodes hundreds of
    thousands of values): the canonical form that ``to_json`` writes is taken directly, anything else
    goes through the same parser, so the result is always the one ``from_json`` gives."""
    kind, name = column_kind(column), column.name
    parse = _PARSERS[kind]

    def slow(value: object) -> object:
        return None if value is None else parse(value, name)

    def text(value: object) -> object:
        return (tidy_text(value) or None) if type(value) is str else slow(value)

    def cents(value: object) -> object:
        if type(value) is str and _PLAIN_NUMBER.fullmatch(value):
            return Decimal(value).quantize(_CENT)
        return slow(value)

    def day(value: object) -> object:
        if type(value) is str and _ISO_DATE.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:  # 2019-02-30: the parser's message
                pass
        return slow(value)

    def same_if(kind_type: type) -> Callable[[object], object]:
        return lambda value: value if type(value) is kind_type else slow(value)

    readers: dict[str, Callable[[object], object]] = {
        "text": text, "decimal": cents, "date": day, "int": same_if(int), "flag": same_if(bool)}
    return readers.get(kind, slow)
