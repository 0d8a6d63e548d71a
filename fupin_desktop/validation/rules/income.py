"""收入核算 of the accounting year: arithmetic, thresholds, measures and people against income lines
(SPEC §2, §8.2 33–35)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ...bundle import HouseholdData
from ...income import COLUMN_OF, below_line
from ...model.income import BUSINESS, BUSINESS_EXPENSE, CATEGORIES, INCOME_CATEGORIES, TRANSFER, WAGE
from ..engine import ERROR, WARNING, Context, Finding, rule
from ._common import (
    DIBAO, TEKUN, Facts, facts, has_measure, income_figures, line_sum, per_capita, to_decimal, yuan,
)

CENT = Decimal("0.01")
EMPLOYMENT = frozenset({"就业帮扶", "就业扶贫", "公益岗位帮扶", "公益岗位"})
INDUSTRY = frozenset({"产业帮扶", "产业扶贫"})
WELFARE_WORDS = ("低保", "特困", "五保", "残疾人补贴", "残疾人两项补贴", "残疾补贴")


def _income(hh: HouseholdData, ctx: Context) -> tuple[Facts, dict[str, Any] | None]:
    fx = facts(hh, ctx)
    return fx, (fx.income if fx.live else None)


def _money(figures: dict[str, Any], column: str) -> Decimal | None:
    return to_decimal(figures.get(column))


def _at(fx: Facts) -> dict[str, str]:
    return fx.at("income_year")


@rule
def income_arithmetic(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """Rule 35: stored totals agree with the lines and with each other."""
    fx, inc = _income(hh, ctx)
    if inc is None:
        return
    for ln in inc["_bad"]:
        where = {"household": hh.id, "record": "income_line", "record_id": ln.get("id") or ""}
        if ln.get("category") not in inc["_sums"]:
            yield Finding("INC-16", ERROR, field="category",
                          message=f"收入明细“{ln.get('item') or '未命名'}”的类别“{ln.get('category') or '空'}”无效",
                          **where)
        else:
            yield Finding("INC-16", ERROR, field="amount",
                          message=f"收入明细“{ln.get('item') or '未命名'}”金额为负数（{ln.get('amount')}）", **where)
    sums = inc["_sums"]
    stored = {c: _money(inc, COLUMN_OF[c]) for c in CATEGORIES}
    if inc["_lines"]:
        for c in CATEGORIES:
            if stored[c] is not None and stored[c] != sums[c].quantize(CENT):
                yield Finding("INC-01", ERROR, field=COLUMN_OF[c],
                              message=f"{ctx.year}年{c}为{yuan(stored[c])}元，与明细合计{yuan(sums[c])}元不符",
                              **_at(fx))
    total, net, pc = _money(inc, "total_income"), _money(inc, "net_income"), _money(inc, "per_capita_net")
    parts = [stored[c] for c in INCOME_CATEGORIES]
    known = [p for p in parts if p is not None]
    if total is not None and len(known) == len(parts) and sum(known) != total:
        yield Finding("INC-01", ERROR, field="total_income",
                      message=f"{ctx.year}年家庭年收入{yuan(total)}元，不等于四项收入之和{yuan(sum(known))}元",
                      **_at(fx))
    expense = stored[BUSINESS_EXPENSE]
    if net is not None and total is not None and expense is not None and total - expense != net:
        yield Finding("INC-01", ERROR, field="net_income",
                      message=f"{ctx.year}年家庭年纯收入{yuan(net)}元，"
                              f"不等于年收入减生产经营性支出（{yuan(total - expense)}元）",
                      **_at(fx))
    pop = inc.get("_population")
    if pc is not None and net is not None and isinstance(pop, int) and pop > 0:
        expected = (net / pop).quantize(CENT, rounding=ROUND_HALF_UP)
        if abs(expected - pc) > CENT:
            yield Finding("INC-01", ERROR, field="per_capita_net",
                          message=f"{ctx.year}年人均纯收入{yuan(pc)}元，与纯收入÷{pop}人（{yuan(expected)}元）不符",
                          **_at(fx))


@rule
def income_plausible(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """Rule 35: negative net income, expenses above business income, big year-on-year swings."""
    fx, inc = _income(hh, ctx)
    if inc is None:
        return
    net, business, expense = _money(inc, "net_income"), _money(inc, "business_income"), _money(inc, "business_expense")
    if net is not None and net < 0:
        yield Finding("INC-02", WARNING, field="net_income", message=f"{ctx.year}年家庭年纯收入为负数（{yuan(net)}元）",
                      **_at(fx))
    if expense is not None and business is not None and expense > business:
        yield Finding("INC-03", WARNING, field="business_expense",
                      message=f"{ctx.year}年生产经营性支出{yuan(expense)}元大于生产经营性收入{yuan(business)}元",
                      **_at(fx))
    now = per_capita(inc)
    before = per_capita(income_figures(hh, ctx.year - 1, None))
    if now is not None and before is not None and before > 0:
        change = (now - before) / before
        if abs(change) >= ctx.number("income_change_warn_ratio"):
            word = "增长" if change > 0 else "下降"
            yield Finding("INC-04", WARNING, field="per_capita_net",
                          message=f"人均纯收入由{ctx.year - 1}年的{yuan(before)}元{word}到{yuan(now)}元，"
                                  f"变化{abs(change) * 100:.0f}%，请核实", **_at(fx))


def _latest(ctx: Context, kind: str, year: int) -> tuple[int, Decimal] | None:
    """The newest configured threshold of ``kind`` in or before ``year`` (the old poverty line
    still applies after the last year it was set for)."""
    for y in range(year, year - 15, -1):
        amount = ctx.threshold(kind, y)
        if amount is not None:
            return y, amount
    return None


@rule
def income_thresholds(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """Rule 33: below the 监测范围 but not monitored; below the poverty line."""
    fx, inc = _income(hh, ctx)
    pc = per_capita(inc)
    if pc is None:
        return
    line = ctx.threshold("监测")
    if line is None and _latest(ctx, "监测", ctx.year) is not None:
        # The monitoring era has begun but nobody set this year's line: say so rather than pass everyone.
        yield Finding("INC-17", WARNING, field="per_capita_net",
                      message=f"{ctx.year}年没有监测范围（监测线），人均纯收入{yuan(pc)}元无法与监测线比较；"
                              f"请县里设定{ctx.year}年的监测线后再检查", **_at(fx))
    # Plain income here; pushed under the line by its 刚性支出 is EXP-01 (rules/expense.py).
    if line is not None and below_line(pc, line) and not fx.in_monitoring:
        yield Finding("INC-05", ERROR, field="per_capita_net",
                      message=f"{ctx.year}年人均纯收入{yuan(pc)}元，低于监测范围{yuan(line)}元，但未纳入监测对象",
                      **_at(fx))
    poverty = _poverty_line(ctx)
    if poverty is not None and pc < poverty[1]:
        yield Finding("INC-06", ERROR, field="per_capita_net",
                      message=f"{ctx.year}年人均纯收入{yuan(pc)}元，低于{poverty[0]}{yuan(poverty[1])}元",
                      **_at(fx))


def _poverty_line(ctx: Context) -> tuple[str, Decimal] | None:
    """The year's own 退出 line; else the province's exit-line parameter (after 2020, when no new
    poverty line is set); else the newest line set before."""
    own = ctx.threshold("退出")
    if own is not None:
        return f"{ctx.year}年贫困标准", own
    param = ctx.number("exit_line")
    if param is not None:
        return "退出标准", param
    latest = _latest(ctx, "退出", ctx.year)
    return (f"{latest[0]}年贫困标准", latest[1]) if latest is not None else None


@rule
def measures_need_income(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """Rule 34: measures of the year without the income they should bring."""
    fx, inc = _income(hh, ctx)
    if inc is None:
        return
    wage, transfer, business = (_money(inc, COLUMN_OF[c]) for c in (WAGE, TRANSFER, BUSINESS))
    if wage == 0 and has_measure(fx, EMPLOYMENT):
        yield Finding("INC-07", ERROR, field="wage_income",
                      message=f"{ctx.year}年有就业或公益岗位帮扶措施，但工资性收入为0", **_at(fx))
    welfare = has_measure(fx, words=WELFARE_WORDS) or any(
        p.dibao in DIBAO or p.tekun in TEKUN for p in fx.with_year)
    if transfer == 0 and welfare:
        yield Finding("INC-08", ERROR, field="transfer_income",
                      message=f"{ctx.year}年享受低保、特困供养或残疾人补贴，但转移性收入为0", **_at(fx))
    if business == 0 and has_measure(fx, INDUSTRY):
        yield Finding("INC-09", ERROR, field="business_income",
                      message=f"{ctx.year}年有产业帮扶措施，但生产经营性收入为0", **_at(fx))
    least = ctx.number("wage_income_min")
    if wage is not None and 0 < wage < least:
        yield Finding("INC-10", ERROR, field="wage_income",
                      message=f"{ctx.year}年工资性收入仅{yuan(wage)}元（低于{least}元），请核实", **_at(fx))


@rule
def transfers_need_people(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """Rule 35: 低保金, 养老金, 计划生育金, 生态补偿金 and 特困供养金 need someone or something to pay for."""
    fx, inc = _income(hh, ctx)
    if inc is None:
        return
    ys = [p for p in fx.year_people if p.y is not None]
    if line_sum(inc, "低保金") > 0 and ys and not any(p.dibao in DIBAO for p in ys):
        yield Finding("INC-11", ERROR, field="transfer_income", message=f"{ctx.year}年有低保金收入，但没有成员享受低保",
                      **_at(fx))
    if line_sum(inc, "特困供养金") > 0 and ys and not any(p.tekun in TEKUN for p in ys):
        yield Finding("INC-15", WARNING, field="transfer_income",
                      message=f"{ctx.year}年有特困供养金收入，但没有成员享受特困供养",
                      **_at(fx))
    ages = [p.age for p in fx.year_people if p.age is not None]
    if line_sum(inc, "养老保险金") > 0 and ages and max(ages) < 60:
        yield Finding("INC-12", WARNING, field="transfer_income",
                      message=f"{ctx.year}年有养老保险金收入，但家中没有60岁及以上成员",
                      **_at(fx))
    f = hh.fields
    if line_sum(inc, "计划生育金") > 0 and f.get("only_child") is not True and f.get("two_daughters") is not True:
        yield Finding("INC-13", WARNING, field="transfer_income",
                      message=f"{ctx.year}年有计划生育金收入，但未登记为独生子女户或双女户", **_at(fx))
    hy = fx.hy
    if line_sum(inc, "生态补偿金") > 0 and hy is not None:
        areas = [to_decimal(hy.get(c)) for c in ("forest_mu", "returned_forest_mu", "pasture_mu")]
        if all(a is not None and a == 0 for a in areas):
            yield Finding("INC-14", WARNING, field="transfer_income",
                          message=f"{ctx.year}年有生态补偿金收入，但林地、退耕还林和牧草地面积都为0", **_at(fx))
