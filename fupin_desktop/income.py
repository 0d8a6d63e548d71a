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
