"""Required fields for the record's status (SPEC §1, §8.2 14 and 46): what must be filled before a
household can be marked ready to sync. Fields other modules already require (与户主关系, 健康状况,
劳动技能, 文化程度/在校生状况, 医保, 生产生活条件) are not repeated here."""

from __future__ import annotations

from collections.abc import Iterator

from ...bundle import HouseholdData
from ..engine import BLANK, ERROR, WARNING, Context, Finding, rule
from ._common import blank, facts, label, missing

E4_FROM = 2021  # 全国防返贫监测信息系统
# Yes/no member fields CHK21 16–27 require (blank is not 否).
MEMBER_FLAGS = ("resident_pension", "speaks_mandarin", "commercial_medical", "work_abroad", "medical_assistance",
                "other_health_aid")
MEMBER_CODES = ("dibao", "tekun")  # text in E4: 农村低保 / 城市低保 / 未享受 …


@rule
def household_required(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    fx = facts(hh, ctx)
    f, where = hh.fields, fx.at()
    if not fx.live:
        for column in missing(f, ("left_reason", "left_on")):
            yield Finding("REQ-02", ERROR, field=column, message=f"户已注销，但{label('household', column)}未填写",
                          kind=BLANK, **where)
        return
    needed: list[tuple[str, str]] = [(c, ERROR) for c in missing(f, ("village_code", "phone"))]
    st, year_needed = fx.status, []
    if ctx.year >= E4_FROM:
        year_needed += missing(st, ("household_type",))
    if st.get("household_type") == "脱贫户" or f.get("poverty_status"):
        year_needed += missing(st, ("attribute",))
        needed += [(c, WARNING) for c in missing(f, ("identified_year",))]
    for column in year_needed if fx.hy is not None else ():  # a missing year is REQ-07's
        yield Finding("REQ-01", ERROR, field=column, message=f"{ctx.year}年{label('household_year', column)}未填写",
                      kind=BLANK, **fx.at("status"))
    if fx.in_monitoring:
        needed += [(c, ERROR) for c in missing(f, ("monitoring_since",))]
        if not fx.removed:  # removed households are required by MON-19 (as an error)
            needed += [(c, WARNING) for c in missing(f, ("monitoring_contact", "monitoring_contact_phone"))]
    for column, severity in needed:
        yield Finding("REQ-01", severity, field=column, message=f"{label('household', column)}未填写",
                          kind=BLANK, **where)


@rule
def household_year_required(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    fx = facts(hh, ctx)
    if not fx.live:
        return
    if fx.hy is None:
        yield Finding("REQ-07", WARNING, field="year", message=f"缺少{ctx.year}年度的家庭信息（人口、生产生活条件等）",
                      kind=BLANK, **fx.at())
        if fx.target and ctx.year not in hh.incomes:
            yield Finding("REQ-09", WARNING, field="year", message=f"缺少{ctx.year}年度的收入核算", kind=BLANK,
                          **fx.at())
        return
    where = fx.at("household_year")
    if fx.hy.get("population") is None:
        yield Finding("REQ-06", ERROR, field="population", message=f"{ctx.year}年家庭人口数未填写", kind=BLANK,
                      **where)
    poor_era = ctx.year < E4_FROM and hh.fields.get("poverty_status") in ("未脱贫", "预脱贫", "返贫")
    if poor_era and blank(fx.hy.get("main_cause")):
        yield Finding("REQ-06", ERROR, field="main_cause", message=f"{ctx.year}年主要致贫原因未填写", kind=BLANK,
                      **where)
    if fx.target and ctx.year not in hh.incomes:
        yield Finding("REQ-09", WARNING, field="year", message=f"缺少{ctx.year}年度的收入核算", kind=BLANK,
                          **fx.at())


@rule
def member_required(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    fx = facts(hh, ctx)
    if not fx.live:
        return
    for m in hh.members:
        f = m.fields
        if not isinstance(f, dict) or m.active:
            continue
        name = str(f.get("name") or "成员")
        for column in missing(f, ("left_reason", "left_on")):
            yield Finding("REQ-04", ERROR, hh.id, column, f"{name} 已注销，但{label('member', column)}未填写",
                          record="member", record_id=f.get("id") or "", member=name, kind=BLANK)
    for p in fx.people:
        for column in missing(p.f, ("name", "gender", "ethnicity")):
            yield Finding("REQ-03", ERROR, field=column, message=f"{p.name} {label('member', column)}未填写",
                          kind=BLANK, **p.at(hh, "member"))
        for column in missing(p.f, ("political_status", "id_type")):
            yield Finding("REQ-03", WARNING, field=column, message=f"{p.name} {label('member', column)}未填写",
                          kind=BLANK, **p.at(hh, "member"))
        if p.y is None:
            if fx.hy is not None:
                yield Finding("REQ-08", WARNING, field="year", message=f"{p.name} 缺少{ctx.year}年度的成员信息",
                              kind=BLANK, **p.at(hh, "member"))
            continue
        if ctx.year >= E4_FROM:
            for column in missing(p.y, MEMBER_FLAGS + MEMBER_CODES):
                yield Finding("REQ-05", ERROR, field=column, message=f"{p.name} {label('member_year', column)}未填写",
                              kind=BLANK, **p.at(hh))
