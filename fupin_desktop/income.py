"""收入核算 arithmetic (SPEC §2.2), in one place.

家庭年收入 = 工资性 + 生产经营性 + 财产性 + 转移性 (lines that count toward income);
家庭年纯收入 = 家庭年收入 − 生产经营性支出; 人均纯收入 = 纯收入 ÷ 家庭人口数, to 2 decimals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import RowMapping

from .model.income import (
    BUSINESS, BUSINESS_EXPENSE, CATEGORIES, INCOME_CATEGORIES, PROPERTY, RIGID_EXPENSE, TRANSFER, WAGE,
)
from .reference import load_income_items

_CENT = Decimal("0.01")
COLUMN_OF = {
    WAGE: "wage_income",
    BUSINESS: "business_income",
    PROPERTY: "property_income",
    TRANSFER: "transfer_income",
    BUSINESS_EXPENSE: "business_expense",
    RIGID_EXPENSE: "rigid_expense",
}


def counts_by_default(category: str | None, item: str | None) -> bool | None:
    """Whether a line of this item counts toward income unless someone says otherwise: one-off
    payments (危房改造补助, 易地搬迁建房补助, 临时救助) do not (SPEC §2.2, income_items.json).
    None for an item the list does not know."""
    for name, counts in load_income_items()["categories"].get(category or "", []):
        if name == item:
            return counts
    return None


def with_default_counts(line: Mapping[str, Any]) -> dict[str, Any]:
    """The line with ``counts_toward_income`` set from the item list when nobody gave it."""
    row = dict(line)
    if row.get("counts_toward_income") is None:
        default = counts_by_default(row.get("category"), row.get("item"))
        row["counts_toward_income"] = True if default is None else default
    return row


def rigid_total(rigid_lines: Decimal | None, line_count: int, compliant_oop: Decimal | None) -> Decimal | None:
    """The year's 刚性支出: the sum of its lines; without lines, the single 合规自付支出 figure."""
    if line_count and rigid_lines is not None:
        return rigid_lines
    return compliant_oop


def after_rigid(net: Decimal | None, rigid: Decimal | None, claims: Decimal | None, population: int | None,
                adds_claims: bool) -> Decimal | None:
    """扣除刚性支出后人均收入 = (纯收入 − 刚性支出 [+ 理赔收入]) ÷ 人口, to 2 decimals (SPEC §2.2; whether
    理赔收入 is added back is the rule parameter ``income_after_rigid_adds_claims``)."""
    if net is None or not population:
        return None
    value = net - (rigid or Decimal(0)) + ((claims or Decimal(0)) if adds_claims else Decimal(0))
    return (value / population).quantize(_CENT, rounding=ROUND_HALF_UP)


def totals(lines: Iterable[Mapping[str, Any] | RowMapping], population: int | None) -> dict[str, Any]:
    """The derived columns of ``income_year`` for these lines."""
    sums = {c: Decimal(0) for c in CATEGORIES}
    count = rigid_count = 0
    for line in lines:
        count += 1
        rigid_count += line.get("category") == RIGID_EXPENSE
        if line.get("counts_toward_income", True) is False or line.get("amount") is None:
            continue
        if line["category"] in sums:
            sums[line["category"]] += Decimal(str(line["amount"]))
    total = sum((sums[c] for c in INCOME_CATEGORIES), Decimal(0))
    net = total - sums[BUSINESS_EXPENSE]
    per_capita = (net / population).quantize(_CENT, rounding=ROUND_HALF_UP) if population else None
    result: dict[str, Any] = {COLUMN_OF[c]: sums[c].quantize(_CENT) for c in CATEGORIES}
    result.update(
        total_income=total.quantize(_CENT),
        net_income=net.quantize(_CENT),
        per_capita_net=per_capita,
        line_count=count,
    )
    if not rigid_count:  # no 刚性支出 lines: unknown, not zero (合规自付支出 may say it)
        result["rigid_expense"] = None
    return result


def judged_per_capita(row: Mapping[str, Any], population: int | None, kind: str, adds_claims: bool
                      ) -> Decimal | None:
    """The per-head income a household is judged by against a line of ``kind``: against the
    监测范围, after its 刚性支出 (``standing``; the 合规自付支出 when there are no lines); against the
    退出标准, 纯收入 alone. The forms and the village figures judge by it; ``check`` says the same
    as INC-05 (plain income) and EXP-01 (pushed under by the 刚性支出)."""
    st = standing(row, population, None, adds_claims)
    return st.after_rigid if kind == "监测" else st.per_capita


def below_line(judged: Decimal, line: Decimal) -> bool:
    """Below the line (an amount equal to the line is not below it): the editor, ``check`` and the forms."""
    return judged < line


def _dec(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        d = Decimal(str(value))
    except ArithmeticError:
        return None
    return d if d.is_finite() else None


@dataclass(frozen=True)
class Standing:
    """收支核算 of a year against the 监测范围: what the editor, the check, the 收入核算表 and the county show."""

    per_capita: Decimal | None  # 人均纯收入
    rigid: Decimal | None  # 刚性支出 of the year
    after_rigid: Decimal | None  # 扣除刚性支出后人均收入
    line: Decimal | None  # 监测范围 of the year and province

    @property
    def pushed_under(self) -> bool:
        """Above the line by income, under it once the 刚性支出 is paid."""
        return (self.line is not None and self.per_capita is not None and self.after_rigid is not None
                and self.per_capita >= self.line > self.after_rigid)

    def verdict(self, label: str = "监测范围") -> str:
        """The conclusion printed on the 收入核算表 (``label`` names the line)."""
        if self.line is None or self.per_capita is None:
            return ""
        text = f"人均纯收入{'高于' if self.per_capita > self.line else '未高于'}{label}"
        if self.after_rigid is not None and self.rigid:
            word = "高于" if self.after_rigid > self.line else "未高于"
            text += f"；扣除刚性支出后人均收入{self.after_rigid:.2f}元，{word}{label}"
        return text


def standing(row: Mapping[str, Any], population: int | None, line: Decimal | None, adds_claims: bool) -> Standing:
    """The year's standing from an ``income_year`` row (stored or as typed)."""
    pop = row.get("population") or population
    pop = pop if isinstance(pop, int) and pop > 0 else None
    net = _dec(row.get("net_income"))
    per_capita = _dec(row.get("per_capita_net"))
    if per_capita is None and net is not None and pop:
        per_capita = (net / pop).quantize(_CENT, rounding=ROUND_HALF_UP)
    lines = _dec(row.get("rigid_expense"))
    rigid = rigid_total(lines, 1 if lines is not None else 0, _dec(row.get("compliant_oop_expense")))
    after = after_rigid(net, rigid, _dec(row.get("claims_income")), pop, adds_claims) if rigid else per_capita
    return Standing(per_capita, rigid, after, line)
