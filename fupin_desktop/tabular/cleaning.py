"""One cell of a spreadsheet as a column value, or the reason it cannot be one.

What files really hold: ID numbers saved as numbers (Excel keeps 15 significant digits, so the
last three digits of an 18-digit number are already gone: we say so and do not guess), numbers
in scientific notation, 15-digit old IDs, full-width digits and letters, stray spaces, dates as
Excel serial numbers or typed as "2019.3.5", whole numbers read back as 3.0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from ..errors import InvalidInput
from ..validation.idnumber import normalize, parse_id, upgrade_15
from ..values import clean_text, coerce, tidy_text
from .layout import Field

_SPACES = re.compile(r"\s+")
_TIME_OF_DAY = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel's phantom 1900-02-29 included)
NAME_FIELDS = frozenset({"member.name", "group.head_name"})
DIGITS_LOST = "以数字形式保存，Excel 只保留15位有效数字，末尾数字已丢失，请按原件重新录入（单元格设为文本）"


@dataclass(frozen=True)
class Cleaned:
    value: Any
    problem: str = ""
    severity: str = ""  # "error" blocks the household; "warning" is reported only


def clean_cell(field: Field, raw: Any) -> Cleaned:
    if raw is None or isinstance(raw, str) and not raw.strip():
        return Cleaned(None)
    try:
        text = _prepare(field, raw)
    except InvalidInput as err:
        return Cleaned(None, err.message, "error")
    if field.kind == "id":
        return _id_value(text)
    column = field.column
    if column is None or text is None:
        return Cleaned(text)
    try:
        return Cleaned(coerce(column, text))
    except InvalidInput as err:
        return Cleaned(None, err.message.split("：", 1)[-1], "error")


def _prepare(field: Field, raw: Any) -> Any:
    """Undo what the spreadsheet did to the value before the column's own parser sees it."""
    kind = field.kind
    if kind in ("id", "digits"):
        return _digits(raw)
    if kind == "date":
        return _date(raw)
    if isinstance(raw, float) and raw.is_integer() and kind in ("text", "int"):
        raw = int(raw)  # a group "1" or a year read back as 1.0
    if isinstance(raw, (int, float, datetime, date)) and kind == "text":
        raw = str(raw)
    if field.key in NAME_FIELDS:
        return _SPACES.sub("", tidy_text(raw))  # "张 三" is a typing slip, never a name
    return raw


def _digits(raw: Any) -> str:
    if isinstance(raw, bool):
        raise InvalidInput(f"不是号码“{raw}”")
    if isinstance(raw, float):
        if not raw.is_integer():
            raise InvalidInput(DIGITS_LOST)
        raw = int(raw)
    if isinstance(raw, int):
        if len(str(abs(raw))) > 15:
            raise InvalidInput(DIGITS_LOST)
        return str(raw)
    text = _SPACES.sub("", normalize(str(raw)))
    if re.fullmatch(r"\d(\.\d+)?E\+?\d+", text):
        raise InvalidInput("是科学计数法，末尾数字已丢失，请按原件重新录入（单元格设为文本）")
    return text


def _date(raw: Any) -> Any:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if not 1 <= raw < 2958466:
            raise InvalidInput(f"无法识别的日期“{raw}”")
        return _EXCEL_EPOCH + timedelta(days=int(raw))
    text = _TIME_OF_DAY.sub("", clean_text(raw))  # "2019/3/5 0:00" as a CSV keeps a date cell
    if re.fullmatch(r"\d{5}(\.\d+)?", text):  # a serial number that reached us as text (CSV)
        return _EXCEL_EPOCH + timedelta(days=int(float(text)))
    return text


def _id_value(text: str) -> Cleaned:
    info = parse_id(text)
    if info.problem:
        return Cleaned(info.number, info.problem, info.severity)
    return Cleaned(info.number)


def match_key(id_no: str | None) -> str | None:
    """An ID number as it is matched: a 15-digit old number as its 18-digit form."""
    if not id_no:
        return None
    if len(id_no) == 15 and id_no.isdigit():
        return upgrade_15(id_no)
    return id_no
