"""收入核算 (SPEC §2): one accounting per household and year, made of line items."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Entity, one_per, Money, day, derived, flag, money, number, text

# The four income categories and the one expenditure category of the national form, then the
# 刚性支出 (SPEC §2.2: 合规自付医疗, 教育 after subsidies, 其他), which is not part of 纯收入 but is
# set against it in monitoring (扣除刚性支出后人均收入, income.py).
WAGE = "工资性收入"
BUSINESS = "生产经营性收入"
PROPERTY = "财产性收入"
TRANSFER = "转移性收入"
BUSINESS_EXPENSE = "生产经营性支出"
RIGID_EXPENSE = "刚性支出"
INCOME_CATEGORIES = (WAGE, BUSINESS, PROPERTY, TRANSFER)
CATEGORIES = INCOME_CATEGORIES + (BUSINESS_EXPENSE, RIGID_EXPENSE)


class IncomeYear(Entity, Base):
    __tablename__ = "income_year"
    __table_args__ = (one_per("household_id", "year"),)

    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"), index=True, info={"label": "户"})
    year: Mapped[int] = number("年度")
    period_start: Mapped[date | None] = day("核算起始日期")
    period_end: Mapped[date | None] = day("核算截止日期")
    population: Mapped[int | None] = number("核算人口数")
    claims_income: Mapped[Decimal | None] = money("理赔收入")
    compliant_oop_expense: Mapped[Decimal | None] = money("合规自付支出")
    note: Mapped[str | None] = text("说明", long=True)
    # Recomputed from the lines on every save; stored so lists and rules need no arithmetic.
    wage_income: Mapped[Decimal | None] = derived(Money, WAGE)
    business_income: Mapped[Decimal | None] = derived(Money, BUSINESS)
    property_income: Mapped[Decimal | None] = derived(Money, PROPERTY)
    transfer_income: Mapped[Decimal | None] = derived(Money, TRANSFER)
    business_expense: Mapped[Decimal | None] = derived(Money, BUSINESS_EXPENSE)
    rigid_expense: Mapped[Decimal | None] = derived(Money, RIGID_EXPENSE)
    total_income: Mapped[Decimal | None] = derived(Money, "家庭年收入")
    net_income: Mapped[Decimal | None] = derived(Money, "家庭年纯收入")
    per_capita_net: Mapped[Decimal | None] = derived(Money, "家庭年人均纯收入", index=True)
    line_count: Mapped[int | None] = derived(Integer, "明细条数")


class IncomeLine(Entity, Base):
    __tablename__ = "income_line"

    income_id: Mapped[str] = mapped_column(ForeignKey("income_year.id"), index=True, info={"label": "收入核算"})
    category: Mapped[str] = text("类别", 16)
    item: Mapped[str] = text("项目", 32)
    amount: Mapped[Decimal | None] = money("金额(元)")
    note: Mapped[str | None] = text("说明", long=True)
    counts_toward_income: Mapped[bool] = flag("计入收入", default=True)
    sort: Mapped[int | None] = number("排序")
