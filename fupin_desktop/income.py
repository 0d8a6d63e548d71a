"""收入核算 arithmetic (SPEC §2.2), in one place.

家庭年收入 = 工资性 + 生产经营性 + 财产性 + 转移性 (lines that count toward income);
家庭年纯收入 = 家庭年收入 − 生产经营性支出; 人均纯收入 = 纯收入 ÷ 家庭人口数, to 2 decimals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import RowMapping

from .model.income import BUSINESS, BUSINESS_EXPENSE, CATEGORIES, INCOME_CATEGORIES, PROPERTY, TRANSFER, WAGE

_CENT = Decimal("0.01")
COLUMN_OF = {
    WAGE: "wage_income",
    BUSINESS: "business_income",
    PROPERTY: "property_income",
    TRANSFER: "transfer_income",
    BUSINESS_EXPENSE: "business_expense",
}


def totals(lines: Iterable[Mapping[str, Any] | RowMapping], population: int | None) -> dict[str, Any]:
    """The derived columns of ``income_year`` for these lines."""
    sums = {c: Decimal(0) for c in CATEGORIES}
    count = 0
    for line in lines:
        count += 1
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
    return result


def judged_per_capita(net_income: Decimal | None, population: int | None, compliant_oop: Decimal | None,
                      kind: str) -> Decimal | None:
    """The per-head income a household is judged by against a line of ``kind``: against the
    监测范围, 纯收入 less 合规自付支出 (medical and schooling costs left after reimbursement,
    SPEC §2.2); against the poverty line (退出), 纯收入 alone. None without both figures."""
    if net_income is None or not population:
        return None
    judged = Decimal(str(net_income))
    if kind == "监测" and compliant_oop:
        judged -= Decimal(str(compliant_oop))
    return (judged / population).quantize(_CENT, rounding=ROUND_HALF_UP)


def below_line(judged: Decimal, line: Decimal) -> bool:
    """Below the line (an amount equal to the line is not below it): the editor, ``check`` and the forms."""
    return judged < line
