"""防返贫监测: risks, risk against measures and members, 整户无劳动力, risk removal
(SPEC §6, §8.2 33, 36–39, 42–43)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ...bundle import HouseholdData
from ..engine import ERROR, WARNING, Context, Finding, rule
from ._common import (
    DIBAO, DISABLED, FULL_LABOUR, ILL, TEKUN, WEAK_LABOUR, Facts, blank, facts, has_measure, labels, per_capita,
    split, to_decimal, yuan,
)

OTHER = "其他"
DISASTER = "因自然灾害"
# Which measures answer which risk (GZ 5_18_00x); E3 category names are accepted as well.
RISK_MEASURES: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "因病": (frozenset({"健康帮扶", "健康扶贫", "社会帮扶", "综合保障"}), ()),
    "因学": (frozenset({"义务教育保障", "其他教育帮扶", "教育扶贫", "社会帮扶"}), ("教育",)),
    "因残": (frozenset({"综合保障", "社会帮扶"}), ()),
    "因安全住房": (frozenset({"住房安全保障", "危房改造", "搬迁", "易地扶贫搬迁"}), ()),
    "因安全饮水": (frozenset({"饮水安全保障"}), ("饮水",)),
}
DEVELOPMENT = frozenset({"产业帮扶", "就业帮扶", "金融帮扶", "公益岗位帮扶", "产业扶贫", "就业扶贫", "金融扶贫",
                         "公益岗位"})
_YM = re.compile(r"^(\d{4})(\d{2})$")


def _months(ctx: Context, name: str, year: int) -> int:
    """A removal-timing rule parameter in months."""
    return int(ctx.number(name, year))


def _ym(value: object) -> tuple[int, int] | None:
    m = _YM.match(str(value or "").strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    return int(m.group(1)), int(m.group(2))


def _risks(fx: Facts) -> list[str]:
    return split(fx.status.get("risks"))


@rule
def monitoring_risks(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """Rule 36, the risk code list, and the category against the household type (SPEC §6)."""
    fx = facts(hh, ctx)
    if not fx.live:
        return
    st, where = fx.status, fx.at("status")
    category, kind = st.get("monitoring_category"), st.get("household_type")
    if category == "脱贫不稳定户" and kind == "一般农户" or category == "边缘易致贫户" and kind == "脱贫户":
        yield Finding("MON-05", ERROR, field="monitoring_category",
                      message=f"户类型为“{kind}”，监测对象类别却为“{category}”", **where)
    if fx.status_row is None:
        return
    risks, hy_where = _risks(fx), where
    if fx.in_monitoring and not risks:
        yield Finding("MON-01", ERROR, field="risks",
                      message=f"是监测对象（{category}），但{ctx.year}年未填写致贫/返贫风险",
                      **hy_where)
    allowed = labels(ctx, "致贫/返贫风险")
    bad = [r for r in risks if allowed is not None and r not in allowed]
    if bad:
        yield Finding("MON-03", ERROR, field="risks", message=f"致贫/返贫风险“{'、'.join(bad)}”不在代码表中",
                      **hy_where)
    most = int(ctx.number("max_risks"))
    if len(risks) > most:
        yield Finding("MON-03", ERROR, field="risks", message=f"致贫/返贫风险填了{len(risks)}项，最多{most}项",
                      **hy_where)
    if OTHER in risks and blank(st.get("risk_note")):
        yield Finding("MON-02", ERROR, field="risk_note", message="致贫/返贫风险为“其他”，但未填写风险备注", **hy_where)
    if DISASTER in risks and blank(st.get("disaster_subtype")):
        yield Finding("MON-04", WARNING, field="disaster_subtype",
                      message="致贫/返贫风险为“因自然灾害”，但未填写灾害子项",
                      **hy_where)


@rule
def risks_against_facts(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """Rule 37: each risk needs its measure, and must fit the members' labour, work and health."""
    fx = facts(hh, ctx)
    if not fx.live or not fx.monitored:
        return
    risks, where = _risks(fx), fx.at("status")
    for risk in risks:
        answer = RISK_MEASURES.get(risk)
        if answer and not has_measure(fx, *answer):
            yield Finding("MON-06", ERROR, field="risks", message=f"风险为“{risk}”，但{ctx.year}年没有相应的帮扶措施",
                          **where)
    people = fx.with_year
    if not people:
        return
    full = sum(p.labour in FULL_LABOUR for p in people)
    if "缺劳动力" in risks and full * 4 > len(people):
        yield Finding("MON-07", ERROR, field="risks",
                      message=f"风险为“缺劳动力”，但{len(people)}人中有{full}人是普通或技能劳动力", **where)
    if "因务工就业不稳" in risks:
        if not any(p.labour in FULL_LABOUR or p.labour == WEAK_LABOUR for p in people):
            yield Finding("MON-08", ERROR, field="risks", message="风险为“因务工就业不稳”，但家中没有劳动力", **where)
        elif not any(p.works or p.records for p in people):
            yield Finding("MON-08", ERROR, field="risks", message="风险为“因务工就业不稳”，但没有任何成员的务工记录",
                          **where)
    if "因残" in risks and not any(DISABLED in p.health for p in people):
        yield Finding("MON-09", ERROR, field="risks", message="风险为“因残”，但没有成员的健康状况为残疾", **where)
    if "因病" in risks:
        oop = to_decimal((fx.income or {}).get("compliant_oop_expense"))
        if not any(p.health & ILL for p in people):
            yield Finding("MON-10", ERROR, field="risks", message="风险为“因病”，但没有成员患有大病或长期慢性病",
                          **where)
        elif oop is not None and oop == 0:
            yield Finding("MON-10", ERROR, field="risks", message="风险为“因病”，但合规自付支出为0",
                          **fx.at("income_year"))


@rule
def no_labour_household(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """Rule 38 and GZ 4_11_011: households without labour get 兜底 and are not marked removed."""
    fx = facts(hh, ctx)
    if not fx.live:
        return
    f, where = fx.status, fx.at("status")
    people = fx.with_year
    if people and f.get("no_labour_fallback") is True and any(p.labour in FULL_LABOUR for p in people):
        names = "、".join(p.name for p in people if p.labour in FULL_LABOUR)
        yield Finding("MON-20", WARNING, field="no_labour_fallback",
                      message=f"标注为整户无劳动能力兜底保障户，但{names}有劳动力",
                      **where)
    if not fx.no_labour or len(people) != len(fx.people):
        return
    supported = any(p.dibao in DIBAO or p.tekun in TEKUN for p in people)
    if fx.target and not supported:
        yield Finding("MON-11", ERROR, field="dibao", message="整户无劳动力，但没有成员享受低保或特困供养", **fx.at())
    if supported and fx.in_monitoring and f.get("no_labour_fallback") is not True:
        yield Finding("MON-12", ERROR, field="no_labour_fallback",
                      message="整户无劳动力且享受低保或特困供养，但未标注为整户无劳动能力兜底保障户", **where)
    if fx.in_monitoring and fx.removed:
        yield Finding("MON-13", ERROR, field="risk_removed", message="整户无劳动力的监测户不应标注风险消除，应继续监测",
                      **where)


@rule
def development_measures(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """Rule 39 (有劳动力须有开发式帮扶) and rule 43 (残疾人补贴须有残疾成员)."""
    fx = facts(hh, ctx)
    if not fx.live:
        return
    people = fx.with_year
    if fx.monitored and any(p.labour in FULL_LABOUR for p in people):
        state = (fx.hy or {}).get("development_measures")
        if state == "尚未实施" or not has_measure(fx, DEVELOPMENT):
            why = ("实施开发式帮扶措施情况为“尚未实施”" if state == "尚未实施"
                   else f"{ctx.year}年没有产业、就业、金融或公益岗位帮扶措施")
            yield Finding("MON-14", ERROR, field="development_measures",
                          message=f"有劳动力的监测户风险未消除，但{why}",
                          **fx.at("household_year" if fx.hy else "household"))
    if people and has_measure(fx, words=("残疾人补贴", "残疾人两项补贴", "残疾补贴")) and not any(
            DISABLED in p.health for p in people):
        yield Finding("MON-15", ERROR, field="health",
                      message=f"{ctx.year}年有残疾人补贴措施，但没有成员的健康状况为残疾", **fx.at())


@rule
def risk_removal(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """SPEC §6 removal checks (rule 42) and 帮扶消除 below the 监测范围 (rule 33)."""
    fx = facts(hh, ctx)
    if not fx.live or not fx.in_monitoring and not fx.removed:
        return
    f, where = {**hh.fields, **fx.status}, fx.at("status")
    since, removed_at, method = f.get("monitoring_since"), f.get("risk_removed_at"), f.get("risk_removal_method")
    for column, value in (("monitoring_since", since), ("risk_removed_at", removed_at)):
        if not blank(value) and _ym(value) is None:
            what = "识别监测时间" if column == "monitoring_since" else "消除监测时间"
            yield Finding("MON-18", ERROR, field=column, message=f"{what}“{value}”格式不对，应为年月（如202403）",
                          **(fx.at() if column == "monitoring_since" else where))
    if not fx.removed:
        if not blank(method) or not blank(removed_at):
            yield Finding("MON-18", ERROR, field="risk_removed",
                          message="填写了风险消除方式或消除时间，但风险是否已消除不为“是”",
                          **where)
        return
    if blank(method) or blank(removed_at):
        yield Finding("MON-18", ERROR, field="risk_removal_method" if blank(method) else "risk_removed_at",
                      message="风险已消除，但未填写风险消除方式或消除监测时间", **where)
    if blank(f.get("monitoring_contact")) or blank(f.get("monitoring_contact_phone")):
        yield Finding("MON-19", ERROR, field="monitoring_contact", message="风险已消除，但未填写监测联系人或联系电话",
                      **fx.at())
    yield from _removal_timing(f, ctx, where)
    pc, line = per_capita(fx.income), ctx.threshold("监测")
    if pc is not None and line is not None and pc < line:
        yield Finding("MON-16", ERROR, field="risk_removed",
                      message=f"已标注风险消除（{method or '未填方式'}），"
                              f"但{ctx.year}年人均纯收入{yuan(pc)}元低于监测范围{yuan(line)}元",
                      **where)


def _removal_timing(f: dict[str, Any], ctx: Context, where: dict[str, str]) -> Iterator[Finding]:
    start, end = _ym(f.get("monitoring_since")), _ym(f.get("risk_removed_at"))
    if start is None or end is None:
        return
    months = (end[0] - start[0]) * 12 + end[1] - start[1]
    today = (ctx.today.year, ctx.today.month)
    if end > today:
        yield Finding("MON-17", ERROR, field="risk_removed_at",
                      message=f"消除监测时间 {f['risk_removed_at']} 晚于当前月份", **where)
    if months < 0:
        yield Finding("MON-17", ERROR, field="risk_removed_at",
                      message=f"消除监测时间 {f['risk_removed_at']} 早于识别监测时间 {f['monitoring_since']}", **where)
    elif end >= (_ym(ctx.param("risk_removal_rule_from", end[0])) or end) \
            and months < (least := int(ctx.number("risk_removal_min_months", end[0]))):
        yield Finding("MON-17", ERROR, field="risk_removed_at",
                      message=f"识别监测（{f['monitoring_since']}）后仅{months}个月即标注风险消除（应不少于{least}个月）",
                      **where)
    elif f.get("risk_removal_method") == "帮扶消除" and months < _months(ctx, "assisted_removal_min_months", end[0]):
        yield Finding("MON-17", ERROR, field="risk_removed_at", message="识别监测的当月或次月即标注帮扶消除", **where)
