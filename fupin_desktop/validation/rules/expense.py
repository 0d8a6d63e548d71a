"""收支核算 in monitoring (SPEC §2.2, §6): the 刚性支出 set against income, the 收入参考范围 of each
monitoring category, a removal's assessment, and items that do not count as income."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from ...bundle import HouseholdData
from ...income import Standing, counts_by_default, standing
from ..engine import ERROR, WARNING, Context, Finding, rule
from ._common import ILL, Facts, blank, facts, income_figures, per_capita, yuan

UNSTABLE, MARGINAL, SUDDEN = "脱贫不稳定户", "边缘易致贫户", "突发严重困难户"
RANGE_PARAM = {UNSTABLE: "income_range_ratio_unstable", MARGINAL: "income_range_ratio_marginal"}


@dataclass(frozen=True)
class IncomeReference:
    """What a year's 收支核算 is judged against: the 监测范围, whether 理赔收入 is added back after the
    刚性支出, and the 收入参考范围 (upper end) of the household's monitoring category."""

    line: Decimal | None
    adds_claims: bool
    upper: Decimal | None


def reference_for(ctx: Context, year: int, category: str | None) -> IncomeReference:
    line = ctx.threshold("监测", year)
    adds = ctx.number("income_after_rigid_adds_claims", year)
    ratio = ctx.number(RANGE_PARAM[category], year) if category in RANGE_PARAM else None
    upper = (line * ratio).quantize(Decimal("0.01")) if line is not None and ratio is not None else None
    return IncomeReference(line, adds is None or adds != 0, upper)


def year_standing(fx: Facts, ctx: Context) -> Standing | None:
    inc = fx.income
    if inc is None:
        return None
    ref = reference_for(ctx, ctx.year, None)
    return standing(inc, inc.get("_population"), ref.line, ref.adds_claims)


@rule
def expenditure_pushes_under(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """A household above the line by income but under it once its 刚性支出 is paid is at risk."""
    fx = facts(hh, ctx)
    st = year_standing(fx, ctx) if fx.live and not fx.monitored else None
    if st is None or not st.pushed_under:
        return
    ill = [p.name for p in fx.people if p.health & ILL]
    why = f"（{'、'.join(ill)}患大病或慢性病）" if ill else ""
    yield Finding("EXP-01", ERROR, field="rigid_expense",
                  message=f"{ctx.year}年人均纯收入{yuan(st.per_capita)}元，但扣除刚性支出{yuan(st.rigid)}元后"
                          f"人均仅{yuan(st.after_rigid)}元，低于监测范围{yuan(st.line)}元{why}，应核实并纳入监测",
                  **fx.at("income_year"))


@rule
def category_eligibility(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """脱贫不稳定户 and 边缘易致贫户 within their 收入参考范围; a 突发严重困难户 with what explains it."""
    fx = facts(hh, ctx)
    category = fx.status.get("monitoring_category")
    if not fx.live or not fx.monitored or blank(category):
        return
    st = year_standing(fx, ctx)
    if st is None or st.per_capita is None:
        return
    upper = reference_for(ctx, ctx.year, category).upper
    if upper is not None:
        if st.per_capita > upper and (st.after_rigid is None or st.after_rigid > upper):
            yield Finding("EXP-02", WARNING, field="monitoring_category",
                          message=f"监测对象类别为“{category}”，但{ctx.year}年人均纯收入{yuan(st.per_capita)}元"
                                  f"高于其收入参考范围（不超过{yuan(upper)}元），请核实类别或风险",
                          **fx.at("status"))
    if category == SUDDEN and not st.rigid and not _income_fell(hh, ctx, st.per_capita):
        yield Finding("EXP-03", WARNING, field="monitoring_category",
                      message=f"监测对象类别为“{SUDDEN}”，但{ctx.year}年没有刚性支出，收入也未明显下降，"
                              f"请补录刚性支出或核实类别", **fx.at("status"))


def _income_fell(hh: HouseholdData, ctx: Context, now: Decimal) -> bool:
    """Per-capita income fell by at least the ``sudden_loss_ratio`` share from the year before."""
    before = per_capita(income_figures(hh, ctx.year - 1, None))
    share = ctx.number("sudden_loss_ratio")
    if before is None or before <= 0 or share is None:
        return False
    return (before - now) / before >= share


@rule
def removal_needs_assessment(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """A risk removed in the year has its 风险消除 assessment (入户核实, 民主评议, 公示…) of that year."""
    fx = facts(hh, ctx)
    removed_at = str(fx.status.get("risk_removed_at") or "")
    if not fx.live or not fx.removed or not removed_at.startswith(str(ctx.year)):
        return
    if any(isinstance(a, dict) and a.get("kind") == "风险消除" and a.get("year") == ctx.year for a in hh.assessments):
        return
    yield Finding("EXP-04", ERROR, field="risk_removed",
                  message=f"{ctx.year}年标注风险消除，但没有当年的风险消除评估记录（入户核实、民主评议、公示）",
                  **fx.at("status"))


@rule
def one_off_payments_not_income(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """危房改造补助, 易地搬迁建房补助, 临时救助: one-off payments do not count as income (SPEC §2.2)."""
    fx = facts(hh, ctx)
    if not fx.live or fx.income is None:
        return
    for ln in fx.income["_lines"] or ():
        if not isinstance(ln, dict) or ln.get("counts_toward_income", True) is False:
            continue
        if counts_by_default(ln.get("category"), ln.get("item")) is False:
            yield Finding("INC-17", WARNING, field="counts_toward_income",
                          message=f"{ctx.year}年“{ln.get('item')}”是一次性补助，不应计入收入",
                          household=hh.id, record="income_line", record_id=ln.get("id") or "")
