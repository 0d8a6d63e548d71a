"""Household structure: head and spouse, relation against gender, population count, members who
left but are still counted, and the household's classification labels (SPEC §1.5, §8.2 3–6)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from ...bundle import HouseholdData, Row
from ..engine import BLANK, ERROR, WARNING, Context, Finding, rule
from ._common import ACTIVE, birth_of, blank, facts, id_info, label, labels, split

HEAD, SPOUSE = "户主", "配偶"
MALE_ONLY = frozenset({"之子", "之女婿", "之孙子", "之外孙子", "之父", "之岳父", "之公公", "之祖父", "之外祖父",
                       "之侄儿", "之叔伯", "之曾孙子"})
FEMALE_ONLY = frozenset({"之女", "之儿媳", "之孙女", "之外孙女", "之母", "之岳母", "之婆婆", "之祖母", "之外祖母",
                         "之侄女", "之兄弟媳妇", "之曾孙女"})


def _gender(fields: Row) -> str | None:
    """The recorded gender, or the one the ID number gives when none is recorded."""
    g = fields.get("gender")
    if g == "男" or g == "女":
        return str(g)
    return id_info(fields.get("id_no")).gender if fields.get("id_no") else None


@rule
def head_and_spouse(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """Rule 3 and the first half of rule 4."""
    fx = facts(hh, ctx)
    if not fx.live:
        return
    if not fx.people:
        yield Finding("STR-06", ERROR, hh.id, "record_status", "本户没有在册成员；如已整户死亡或迁出，请注销本户",
                      record="household", record_id=hh.id)
        return
    heads = [p for p in fx.people if p.f.get("relation") == HEAD]
    spouses = [p for p in fx.people if p.f.get("relation") == SPOUSE]
    if not heads:
        left_head = next((m for m in hh.members if not m.active and m.fields.get("relation") == HEAD), None)
        extra = f"（原户主 {left_head.fields.get('name') or ''} 已注销，请重新指定户主）" if left_head else ""
        yield Finding("STR-01", ERROR, hh.id, "relation", f"本户在册成员中没有户主{extra}", record="household",
                      record_id=hh.id)
    elif len(heads) > 1:
        names = "、".join(p.name for p in heads)
        for p in heads[1:]:
            yield Finding("STR-01", ERROR, field="relation",
                          message=f"本户有 {len(heads)} 名户主（{names}），只能有一名",
                          **p.at(hh, "member"))
    if len(spouses) > 1:
        names = "、".join(p.name for p in spouses)
        for p in spouses[1:]:
            yield Finding("STR-02", ERROR, field="relation",
                          message=f"本户有 {len(spouses)} 名配偶（{names}），只能有一名",
                          **p.at(hh, "member"))
    if len(heads) == 1 and spouses:
        head_g, spouse_g = _gender(heads[0].f), _gender(spouses[0].f)
        if head_g and spouse_g and head_g == spouse_g:
            yield Finding("REL-01", ERROR, field="gender",
                          message=f"户主 {heads[0].name} 与配偶 {spouses[0].name} 性别相同（均为{head_g}）",
                          **spouses[0].at(hh, "member"))


@rule
def relation_fits(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """Rule 4: 与户主关系 filled, in the list, and not contradicting 性别."""
    fx = facts(hh, ctx)
    if not fx.live:
        return
    allowed = labels(ctx, "与户主关系")
    for p in fx.people:
        rel = p.f.get("relation")
        if blank(rel):
            yield Finding("REL-03", ERROR, field="relation", message=f"{p.name} 与户主关系未填写", kind=BLANK,
                          **p.at(hh, "member"))
            continue
        if allowed is not None and rel not in allowed:
            yield Finding("REL-03", ERROR, field="relation", message=f"{p.name} 与户主关系“{rel}”不在代码表中",
                          **p.at(hh, "member"))
            continue
        g = _gender(p.f)
        if (rel in MALE_ONLY and g == "女") or (rel in FEMALE_ONLY and g == "男"):
            yield Finding("REL-02", ERROR, field="relation", message=f"{p.name} 与户主关系“{rel}”与性别“{g}”不符",
                          **p.at(hh, "member"))


# Generations from the head (+ younger), for blood relations only: an in-law may be of any age.
GENERATION = {"之子": 1, "之女": 1, "之孙子": 2, "之孙女": 2, "之外孙子": 2, "之外孙女": 2, "之曾孙子": 3,
              "之曾孙女": 3, "之父": -1, "之母": -1, "之祖父": -2, "之祖母": -2, "之外祖父": -2, "之外祖母": -2}
YEARS_PER_GENERATION = 12  # below this, a parent and child apart by one generation is not believable


@rule
def relation_and_age(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """与户主关系 against the birth dates: a child born before the head, a parent after (errors); a
    generation apart by fewer than YEARS_PER_GENERATION years, or none, (a hint to look again)."""
    fx = facts(hh, ctx)
    heads = [p for p in fx.people if p.f.get("relation") == HEAD]
    head_born = birth_of(heads[0].f) if len(heads) == 1 else None
    if not fx.live or head_born is None:
        return
    for p in fx.people:
        rel, born = p.f.get("relation"), birth_of(p.f)
        gen = GENERATION.get(str(rel))
        if gen is None or born is None:
            continue
        gap = (born - head_born).days / 365.25 * (1 if gen > 0 else -1)
        if gap < 0:
            order = "早于" if gen > 0 else "晚于"
            yield Finding("REL-04", ERROR, field="relation",
                          message=f"{p.name} 与户主关系为“{rel}”，出生日期却{order}户主 {heads[0].name}，"
                                  "请核对与户主关系或出生日期", **p.at(hh, "member"))
        elif gap < YEARS_PER_GENERATION * abs(gen):
            yield Finding("REL-04", WARNING, field="relation",
                          message=f"{p.name} 与户主关系为“{rel}”，与户主 {heads[0].name} 年龄只差{int(gap)}岁，"
                                  "请核对与户主关系或出生日期", **p.at(hh, "member"))


def _counted_at_year_end(hh: HouseholdData, year: int) -> tuple[int, list[str]]:
    """Members on the books at the end of ``year``, and the names of those who had left by then."""
    end = date(year, 12, 31)
    counted, gone = 0, []
    for m in hh.members:
        if not isinstance(m.fields, dict):
            continue
        left_on = m.fields.get("left_on")
        if m.active or (isinstance(left_on, date) and left_on > end):
            counted += 1
        else:
            gone.append(str(m.fields.get("name") or "成员"))
    return counted, gone


@rule
def population_count(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """Rules 5 and 6: 家庭人口数 equals the members on the books; left members are not counted."""
    fx = facts(hh, ctx)
    if not fx.live or fx.hy is None:
        return
    declared = fx.hy.get("population")
    if not isinstance(declared, int) or isinstance(declared, bool):
        return
    counted, gone = _counted_at_year_end(hh, ctx.year)
    if declared == counted:
        return
    where = fx.at("household_year")
    if gone and counted < declared <= counted + len(gone):
        yield Finding("STR-04", ERROR, field="population",
                      message=f"{ctx.year}年家庭人口数为{declared}，但在册成员只有{counted}人；"
                              f"已注销的成员（{'、'.join(gone)}）仍被计入", **where)
    else:
        yield Finding("STR-03", ERROR, field="population",
                      message=f"{ctx.year}年家庭人口数为{declared}，与在册成员数{counted}不一致", **where)


@rule
def left_but_active(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """Rule 6: a member with a leaving reason or date (死亡, 迁出…) who is still 在册."""
    fx = facts(hh, ctx)
    if not fx.live:
        return
    for p in fx.people:
        reason, on = p.f.get("left_reason"), p.f.get("left_on")
        if not blank(reason) or on is not None:
            what = f"“{reason}”" if not blank(reason) else f"变更日期 {on}"
            yield Finding("STR-05", ERROR, field="record_status",
                          message=f"{p.name} 已登记{what}，但人员状态仍为“{ACTIVE}”，应办理注销（如死亡人口未销户）",
                          **p.at(hh, "member"))


_HOUSEHOLD_CODES = (
    ("poverty_status", "脱贫状态"),
    ("identify_standard", "识别标准"),
)
# The year's status is judged by the labels of the year's era (2019 by the 2019 list).
_STATUS_CODES = (
    ("household_type", "户类型"),
    ("attribute", "贫困户属性"),
    ("monitoring_category", "监测对象类别"),
    ("risk_removal_method", "风险消除方式"),
)


@rule
def household_codes(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """Coded household fields hold labels of their code tables; 其他致贫原因 at most two."""
    fx = facts(hh, ctx)
    if not fx.live:
        return
    for codes, row, record in ((_HOUSEHOLD_CODES, hh.fields, "household"), (_STATUS_CODES, fx.status, "status")):
        for column, table in codes:
            value = row.get(column)
            if blank(value):
                continue
            allowed = labels(ctx, table, ctx.year)
            if allowed is not None and value not in allowed:
                where = fx.at(record)
                yield Finding("STR-10", ERROR, field=column, message=f"{ctx.year}年{label(where['record'], column)}"
                              f"“{value}”不在{ctx.year}年的代码表中", **where)
    if fx.hy is None:
        return
    causes = labels(ctx, "致贫原因")
    main, others = fx.hy.get("main_cause"), split(fx.hy.get("other_causes"))
    if not blank(main) and causes is not None and main not in causes:
        yield Finding("STR-11", ERROR, field="main_cause", message=f"主要致贫原因“{main}”不在代码表中",
                      **fx.at("household_year"))
    bad = [c for c in others if causes is not None and c not in causes]
    if bad:
        yield Finding("STR-11", ERROR, field="other_causes", message=f"其他致贫原因“{'、'.join(bad)}”不在代码表中",
                      **fx.at("household_year"))
    if len(others) > 2:
        yield Finding("STR-12", ERROR, field="other_causes", message=f"其他致贫原因选了{len(others)}项，最多只能选2项",
                      **fx.at("household_year"))
    if not blank(main) and main in others:
        yield Finding("STR-12", WARNING, field="other_causes", message=f"其他致贫原因与主要致贫原因重复（{main}）",
                      **fx.at("household_year"))
