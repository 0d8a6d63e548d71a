"""Reference data the county sets: thresholds (poverty, exit and monitoring lines by year and province,
each with where it comes from) and rule parameters. Each change is a new numbered row, taken under the
import lock so versions commit in order; the newest version of a key is its value. Devices get every
version past their cursor in their next down package (county/down.py), and keep the newest they have.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from ..errors import InvalidInput
from ..reference import THRESHOLD_KINDS, ParamRow, ParamValue, RefValue, load_thresholds, shipped_params
from .apply import import_transaction, now
from .model import ReferenceValue

THRESHOLD = "threshold"
PARAM = "param"
MAX_AMOUNT = Decimal(1_000_000)  # 元/人/年: anything above is a typing error (an extra zero or two)


@dataclass(frozen=True)
class Shown:
    """A value as the county sees it: the county's newest, or else what the program ships."""

    kind: str
    name: str
    province: str
    year_from: int
    year_to: int | None
    value: ParamValue
    source: str
    origin: str  # county / shipped
    version: int
    set_by: str = ""
    set_at: str = ""


def _year(year: int) -> int:
    if not 2000 <= year <= 2100:
        raise InvalidInput(f"年度“{year}”不对：应为 2000 到 2100 之间的年份。", field="年度")
    return year


def _province(code: str) -> str:
    code = (code or "").strip()
    if not (len(code) == 2 and code.isdigit()):
        raise InvalidInput(f"省份代码“{code}”不对：应为两位数字（如 52 表示贵州，00 表示全国默认）。", field="省份")
    return code


def _amount(text: str) -> Decimal:
    try:
        amount = Decimal(str(text).strip().replace(",", "").replace("，", ""))
    except InvalidOperation:
        raise InvalidInput(f"金额“{text}”不是数字。", field="金额") from None
    if not amount.is_finite() or amount <= 0 or amount >= MAX_AMOUNT:
        raise InvalidInput(f"金额“{text}”不对：应为大于 0、小于 1000000 的元/人/年。", field="金额")
    return amount.quantize(Decimal("0.01")).normalize()


def _source(source: str) -> str:
    source = (source or "").strip()
    if not source:
        raise InvalidInput("请写明依据（文件名称和文号，或县里的决定），以后核对时要用。", field="依据")
    return source


def _next_version(conn: Connection) -> int:
    return int(conn.execute(select(func.coalesce(func.max(ReferenceValue.version), 0))).scalar() or 0) + 1


def _write(engine: Engine, ref: dict[str, Any], by: str) -> RefValue:
    with import_transaction(engine) as conn:  # versions commit in the order they are numbered
        version = _next_version(conn)
        conn.execute(insert(ReferenceValue).values(version=version, value=json.dumps(ref["value"], ensure_ascii=False),
                                                   set_by=by, set_at=now(),
                                                   **{k: v for k, v in ref.items() if k != "value"}))
    return RefValue(ref["kind"], ref["name"], ref["province"], ref["year_from"], ref["year_to"], ref["value"],
                    ref["source"], version)


def set_thresholds(engine: Engine, *, year: int, lines: dict[str, str], province: str = "00", source: str,
                   by: str = "县扶贫办") -> list[RefValue]:
    """Set one year's lines (kind → amount as typed: 识别 / 退出 / 监测); every input is checked before any is kept."""
    if not lines:
        raise InvalidInput("没有给出要设定的标准：请至少写一个，如 --monitoring-line 7900。")
    checked = {kind: _amount(text) for kind, text in lines.items()}
    unknown = [k for k in checked if k not in THRESHOLD_KINDS]
    if unknown:
        raise InvalidInput(f"不认识的标准类型：{'、'.join(unknown)}。")
    year, province, source = _year(year), _province(province), _source(source)
    return [_write(engine, {"kind": THRESHOLD, "name": kind, "province": province, "year_from": year,
                            "year_to": year, "value": format(amount, "f"), "source": source}, by)
            for kind, amount in checked.items()]


def _param_value(name: str, text: str) -> ParamValue:
    shipped = [p for p in shipped_params() if p.name == name]
    if not shipped:
        known = "、".join(sorted({p.name for p in shipped_params()}))
        raise InvalidInput(f"没有名为“{name}”的规则参数。", hint=f"可设定的参数：{known}")
    if isinstance(shipped[0].value, str):
        return str(text).strip()
    try:
        number = Decimal(str(text).strip())
    except InvalidOperation:
        raise InvalidInput(f"规则参数 {name} 应为数字，而不是“{text}”。", field=name) from None
    if not number.is_finite() or number < 0:
        raise InvalidInput(f"规则参数 {name} 应为不小于 0 的数字，而不是“{text}”。", field=name)
    return int(number) if number == number.to_integral_value() else float(number)


def set_param(engine: Engine, *, name: str, value: str, province: str = "00", year_from: int, year_to: int | None,
              source: str, by: str = "县扶贫办") -> RefValue:
    checked = _param_value(name.strip(), value)
    year_from, province, source = _year(year_from), _province(province), _source(source)
    if year_to is not None and _year(year_to) < year_from:
        raise InvalidInput(f"截止年度 {year_to} 早于起始年度 {year_from}。", field="截止年度")
    return _write(engine, {"kind": PARAM, "name": name.strip(), "province": province, "year_from": year_from,
                           "year_to": year_to, "value": checked, "source": source}, by)


def _ref(row: Any) -> RefValue:
    return RefValue(row.kind, row.name, row.province, row.year_from, row.year_to, json.loads(row.value), row.source,
                    row.version)


def values_after(conn: Connection, version: int) -> list[RefValue]:
    """Every value set after ``version``, oldest first (what a device's next down package carries)."""
    rows = conn.execute(select(ReferenceValue).where(ReferenceValue.version > version)
                        .order_by(ReferenceValue.version)).all()
    return [_ref(r) for r in rows]


def _county_current(conn: Connection) -> dict[tuple[str, str, str, int], Any]:
    newest: dict[tuple[str, str, str, int], Any] = {}
    for r in conn.execute(select(ReferenceValue).order_by(ReferenceValue.version)):
        newest[(r.kind, r.name, r.province, r.year_from)] = r
    return newest


def current_values(conn: Connection, kind: str) -> list[Shown]:
    """What devices use: the county's newest value of each key, and the shipped values it has not replaced."""
    county = {key: r for key, r in _county_current(conn).items() if key[0] == kind}
    shown = [Shown(kind, r.name, r.province, r.year_from, r.year_to, json.loads(r.value), r.source, "county",
                   r.version, r.set_by, r.set_at) for r in county.values()]
    if kind == THRESHOLD:
        shown += [Shown(kind, k, p, y, y, str(a), s, "shipped", 0) for p, y, k, a, s in load_thresholds()["rows"]
                  if (kind, k, p, y) not in county]
    else:
        shown += [Shown(kind, p.name, p.province, p.year_from, p.year_to, p.value, p.source, "shipped", 0)
                  for p in shipped_params() if (kind, p.name, p.province, p.year_from) not in county]
    return sorted(shown, key=lambda s: (s.year_from, s.province, s.name))


def param_rows(conn: Connection) -> tuple[ParamRow, ...]:
    """The rule parameters as the devices have them (the county's newest values and the shipped rest),
    for the county's own judging (the procedure deadlines it counts as the villages do)."""
    return tuple(ParamRow(s.name, s.province, s.year_from, s.year_to, s.value, s.source, s.origin, s.version)
                 for s in current_values(conn, PARAM))


__all__ = ["current_values", "param_rows", "set_param", "set_thresholds", "values_after"]
