"""农村低收入人口, 分层分类 and the yearly 评估 of former 建档立卡 households (SPEC §6.1).

The 帮扶层级 a person sets stands (they may know what the form does not), but when the members'
劳动技能 decide the other layer it is worth a second look; a 评估 needs its date and who recorded it.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...bundle import HouseholdData
from ...yearstatus import categories_of, former_poor, layer_from_labour, reassessment_of
from ..engine import WARNING, Context, Finding, rule
from ._common import FULL_LABOUR, facts


@rule
def layer_against_labour(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    fx = facts(hh, ctx)
    chosen = fx.status.get("support_layer")
    if not fx.live or not chosen or not fx.people:
        return
    derived = layer_from_labour(p.labour for p in fx.people)
    if derived is None or derived == chosen:
        return
    able = "、".join(p.name for p in fx.people if p.labour in FULL_LABOUR)
    why = f"{able}有劳动能力" if able else "家中没有成员有劳动能力"
    yield Finding("LIN-01", WARNING, field="support_layer",
                  message=f"{ctx.year}年帮扶层级为“{chosen}”，但{why}（按劳动技能应为“{derived}”），请核实",
                  **fx.at("status"))


@rule
def layer_without_category(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    fx = facts(hh, ctx)
    if fx.live and fx.status.get("support_layer") and not categories_of(fx.status):
        yield Finding("LIN-02", WARNING, field="support_layer",
                      message=f"{ctx.year}年填了帮扶层级，但该户既无社会救助类别，也不是监测对象",
                      **fx.at("status"))


@rule
def reassessment_complete(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    fx = facts(hh, ctx)
    result = reassessment_of(hh.years, ctx.year)
    if not fx.live or result is None or fx.hy is None:
        return
    for column, text in (("reassessed_on", "评估日期"), ("reassessed_by", "评估记录人")):
        if not fx.hy.get(column):
            yield Finding("LIN-03", WARNING, field=column, message=f"{ctx.year}年评估结果为“{result}”，但{text}未填写",
                          **fx.at("household_year"))
    if not former_poor(fx.status):
        yield Finding("LIN-04", WARNING, field="reassess_result",
                      message=f"{ctx.year}年有评估结果，但该户的属性和户类型都不是原建档立卡户",
                      **fx.at("household_year"))
