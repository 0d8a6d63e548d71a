"""Per-person rules of the accounting year: education, health, insurance, labour, work and public
posts (SPEC §1.2, §1.5, §7, §8.2 7–28). Each rule skips people without that year's facts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from ...bundle import HouseholdData, Row
from ..engine import BLANK, ERROR, WARNING, Context, Finding, rule
from ..idnumber import normalize
from ._common import (
    DISABLED, HEALTHY, NO_LABOUR, TEKUN, Facts, Person, age_at, facts, has_measure, id_info, label, labels, split,
    text_of, to_decimal,
)

JUNIOR = frozenset({"七年级", "八年级", "九年级"})
SENIOR_PREFIXES = ("高中", "普通高中", "中职")
VOCATIONAL_PREFIXES = ("中职", "高职", "技师学院")
LOW_EDUCATION = frozenset({"文盲或半文盲", "小学"})
HIGH_EDUCATION = frozenset({"大专", "大专及以上", "本科及以上", "硕士生及以上"})
MASTER = frozenset({"硕士研究生及以上", "硕士生及以上"})
PRESCHOOL = frozenset({"学龄前儿童", "学前教育"})
OUTSIDE_COUNTY = frozenset({"县外省内务工", "省外务工"})
OUTSIDE_TOWNSHIP = OUTSIDE_COUNTY | {"乡（镇）外县内务工"}
LOCAL_CHANNELS = frozenset({"公益性岗位", "帮扶车间"})


def _people(hh: HouseholdData, ctx: Context) -> tuple[Facts, list[Person]]:
    """The household's facts and the active people who have facts for the accounting year."""
    fx = facts(hh, ctx)
    return fx, (fx.with_year if fx.live else [])


def _f(rule_id: str, severity: str, hh: HouseholdData, p: Person, column: str, message: str,
       record: str = "member_year", *, blank: bool = False) -> Finding:
    return Finding(rule_id, severity, field=column, message=f"{p.name} {message}", kind=BLANK if blank else "",
                   **p.at(hh, record))


def _value(p: Person, column: str) -> str:
    return text_of((p.y or {}).get(column))


# ---- education (rules 7–10) ---------------------------------------------------------------------
@rule
def education_or_school(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """Rule 7 and the code lists of 文化程度 / 在校生状况 / 失学原因."""
    _, people = _people(hh, ctx)
    schools = labels(ctx, "在校生状况", ctx.year)
    e4 = schools is not None and "非在校生" not in schools  # E4: exactly one of the two is filled
    educations, reasons = labels(ctx, "文化程度", ctx.year), labels(ctx, "失学或辍学原因")
    for p in people:
        edu, school = p.education, p.school
        if e4 and bool(edu) == bool(school):
            what = "同时填写了" if edu else "都未填写"
            yield _f("EDU-01", ERROR, hh, p, "education", f"文化程度与在校生状况{what}（两项只能且必须填一项）",
                     blank=not edu)
        elif not e4:
            for column, value in (("education", edu), ("school_status", school)):
                if not value:
                    yield _f("EDU-01", ERROR, hh, p, column, f"{label('member_year', column)}未填写", blank=True)
        if edu and educations is not None and edu not in educations:
            yield _f("EDU-02", ERROR, hh, p, "education", f"文化程度“{edu}”不在代码表中")
        if school and schools is not None and school not in schools:
            yield _f("EDU-02", ERROR, hh, p, "school_status", f"在校生状况“{school}”不在代码表中")
        reason = p.reason
        if reason and reasons is not None and reason not in reasons:
            yield _f("EDU-02", WARNING, hh, p, "out_of_school_reason", f"失学或辍学原因“{reason}”不在代码表中")


@rule
def compulsory_schooling(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """Rule 8: a child of compulsory-education age who is neither at school nor has a reason."""
    _, people = _people(hh, ctx)
    cutoff = date(ctx.year, 8, 31)  # school starts in September for children aged 6 by then
    for p in people:
        age = age_at(p.born, cutoff)
        if age is None or not 6 <= age <= 15 or p.reason:
            continue
        school = p.school
        if school in ("", "非在校生") or (school in PRESCHOOL and age >= 7):
            shown = f"在校生状况为“{school}”" if school else "未填写在校生状况"
            yield _f("EDU-03", ERROR, hh, p, "school_status",
                     f"{age}岁，属义务教育阶段适龄儿童，{shown}且未填写失学或辍学原因（义务教育未保障）")


@rule
def grade_for_age(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """Rule 9: grade and education against age."""
    _, people = _people(hh, ctx)
    for p in people:
        if p.age is None:
            continue
        school, edu = p.school, p.education
        if school in JUNIOR and not 12 <= p.age <= 17:
            yield _f("EDU-04", WARNING, hh, p, "school_status", f"{p.age}岁，在校生状况为初中“{school}”，年龄不符")
        elif school.startswith(SENIOR_PREFIXES) and not 15 <= p.age <= 20:
            yield _f("EDU-04", WARNING, hh, p, "school_status", f"{p.age}岁，在校生状况为“{school}”，年龄不符")
        for column, value in (("school_status", school), ("education", edu)):
            if value in MASTER and p.age < 20:
                yield _f("EDU-05", ERROR, hh, p, column,
                         f"{p.age}岁，{label('member_year', column)}为“{value}”，不可能")
        if 16 <= p.age <= 22 and edu in LOW_EDUCATION and not p.student:
            yield _f("EDU-06", WARNING, hh, p, "education", f"{p.age}岁，文化程度为“{edu}”，请核实")


@rule
def yulu_plan(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """Rule 10: 雨露计划 is for 中职/高职 students only, and such students should have it."""
    fx, people = _people(hh, ctx)
    for p in people:
        school = p.school
        vocational = school.startswith(VOCATIONAL_PREFIXES)
        has = p.year_row.get("yulu_plan") is True or has_measure(fx, words=("雨露计划",), member_id=p.f.get("id"))
        if has and not vocational:
            shown = f"在校生状况为“{school}”" if school else "不是在校生"
            yield _f("EDU-07", ERROR, hh, p, "yulu_plan", f"享受雨露计划，但{shown}（雨露计划只面向中职、高职学生）")
        elif vocational and not has and fx.target:
            yield _f("EDU-08", WARNING, hh, p, "yulu_plan", f"是{school}学生，但未享受雨露计划，请核实")


# ---- health (rules 11, 15, 16) ----------------------------------------------------------------
def _disability_card(p: Person) -> tuple[bool, str | None, str | None]:
    """Whether the person holds a 残疾人证, and the category and grade its number gives."""
    raw = p.f.get("id_no")
    number = raw if raw.__class__ is str and len(raw) == 18 else normalize(raw) if raw else ""
    if len(number) in (20, 22):
        info = id_info(number)
        return True, info.disability_category, info.disability_grade
    holds = p.f.get("id_type") == "残疾人证" or (p.y or {}).get("disability_cert_year") is not None
    return holds, None, None


@rule
def health_state(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    _, people = _people(hh, ctx)
    allowed = labels(ctx, "健康状况")
    for p in people:
        if not p.health:
            yield _f("HLT-01", ERROR, hh, p, "health", "健康状况未填写", blank=True)
            continue
        bad = sorted(h for h in p.health if allowed is not None and h not in allowed)
        if bad:
            yield _f("HLT-02", ERROR, hh, p, "health", f"健康状况“{'、'.join(bad)}”不在代码表中")
        elif HEALTHY in p.health and len(p.health) > 1:
            yield _f("HLT-02", ERROR, hh, p, "health", "健康状况“健康”不能与其他状况同时选择")
        if p.reason in ("因病", "因残") and p.health == {HEALTHY}:
            yield _f("HLT-03", ERROR, hh, p, "health",
                     f"失学或辍学原因为“{p.reason}”，但健康状况为“健康”")


@rule
def disability(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """Rule 16 and the 残疾人证 cross-checks of SPEC §7."""
    _, people = _people(hh, ctx)
    categories, grades = labels(ctx, "残疾类别"), labels(ctx, "残疾等级")
    for p in people:
        holds, card_cat, card_grade = _disability_card(p)
        cat, grade = _value(p, "disability_category"), _value(p, "disability_grade")
        if DISABLED in p.health and not holds:
            yield _f("HLT-04", WARNING, hh, p, "health",
                     "健康状况为残疾，但没有残疾人证信息（证件类型、残疾证号或办证年度）")
        if holds and p.health and DISABLED not in p.health:
            yield _f("HLT-05", ERROR, hh, p, "health", "持有残疾人证，但健康状况未包含“残疾”")
        for column, value, allowed in (("disability_category", cat, categories), ("disability_grade", grade, grades)):
            if value and allowed is not None and value not in allowed:
                yield _f("HLT-06", ERROR, hh, p, column, f"{label('member_year', column)}“{value}”不在代码表中")
        if (card_cat and cat and card_cat != cat) or (card_grade and grade and card_grade != grade):
            yield _f("HLT-06", WARNING, hh, p, "disability_category",
                     f"残疾类别/等级（{cat or '空'}/{grade or '空'}）与残疾人证号所示（{card_cat}/{card_grade}）不一致")
        kind, level = cat or card_cat, grade or card_grade  # the card's when the fields are blank
        if kind == "肢体" and level in ("一级", "二级") and p.labour == "普通劳动力":
            yield _f("LAB-07", ERROR, hh, p, "labour_skill", f"为{level}肢体残疾，劳动技能却为“普通劳动力”")


# ---- insurance and assistance (rules 12, 13, 28) ---------------------------------------------
@rule
def insurance(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    fx, people = _people(hh, ctx)
    dibao, tekun = labels(ctx, "享受低保政策情况"), labels(ctx, "享受特困供养政策情况")
    for p in people:
        y = p.year_row
        if y.get("active_soldier") is not True:
            resident, employee = y.get("resident_medical") is True, y.get("employee_medical") is True
            if resident and employee:
                yield _f("INS-01", ERROR, hh, p, "employee_medical", "同时参加了城乡居民医保和职工医保（只能参加一种）")
            elif not resident and not employee:
                unanswered = y.get("resident_medical") is None and y.get("employee_medical") is None
                yield _f("INS-01", ERROR, hh, p, "resident_medical",
                         "城乡居民医保和职工医保都未填写（医疗未保障）" if unanswered
                         else "未参加城乡居民基本医疗保险或职工基本医疗保险（医疗未保障）", blank=unanswered)
            if fx.target and y.get("critical_illness") is not True:
                shown = "为“否”" if y.get("critical_illness") is False else "未填写"
                yield _f("INS-02", ERROR, hh, p, "critical_illness", f"是否参加大病保险{shown}（医疗未保障）",
                         blank=y.get("critical_illness") is None)
        for column, allowed in (("dibao", dibao), ("tekun", tekun)):
            value = _value(p, column)
            if value and allowed is not None and value not in allowed:
                yield _f("INS-03", ERROR, hh, p, column, f"{label('member_year', column)}“{value}”不在代码表中")
        if (p.tekun in TEKUN and p.age is not None and 18 <= p.age <= 60
                and p.health == {HEALTHY} and not p.student):
            yield _f("INS-04", WARNING, hh, p, "tekun", f"{p.age}岁、身体健康且不是在校生，却享受特困供养，请核实")


# ---- labour (rules 17–20, 27) -----------------------------------------------------------------
@rule
def labour(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    _, people = _people(hh, ctx)
    allowed = labels(ctx, "劳动技能", ctx.year)
    for p in people:
        skill = p.labour
        if not skill:
            yield _f("LAB-01", ERROR, hh, p, "labour_skill", "劳动技能未填写", blank=True)
            continue
        if allowed is not None and skill not in allowed:
            yield _f("LAB-02", ERROR, hh, p, "labour_skill", f"劳动技能“{skill}”不在{ctx.year}年的代码表中")
        if p.student and skill != "无劳动力":
            yield _f("LAB-03", ERROR, hh, p, "labour_skill", f"是在校生（{p.school}），劳动技能应为“无劳动力”")
        elif p.age is not None and p.age < 16 and skill != "无劳动力":
            yield _f("LAB-04", ERROR, hh, p, "labour_skill", f"{p.age}岁（未满16岁），劳动技能应为“无劳动力”")
        if (skill in NO_LABOUR and p.age is not None and 16 <= p.age <= 60 and p.health == {HEALTHY}
                and not p.student):
            yield _f("LAB-05", WARNING, hh, p, "labour_skill",
                     f"{p.age}岁、身体健康且不是在校生，劳动技能却为“{skill}”，请核实")
        if skill in NO_LABOUR and (p.works or p.plans_work):
            what = "有务工记录" if p.works else "有计划务工记录"
            yield _f("LAB-06", ERROR, hh, p, "labour_skill", f"劳动技能为“{skill}”，却{what}")
        capable = skill == "技能劳动力" or p.education in HIGH_EDUCATION
        if (capable and not p.works and not _value(p, "public_post") and not p.student
                and p.age is not None and 16 <= p.age <= 60):
            yield _f("LAB-08", WARNING, hh, p, "work_months",
                     f"为{'技能劳动力' if skill == '技能劳动力' else p.education}，但没有务工或就业信息，请核实")


# ---- work (rules 21–24) -----------------------------------------------------------------------
@rule
def work_in_year(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """Rules 21–24 on the year's 务工 fields."""
    fx, people = _people(hh, ctx)
    for p in people:
        place, months = _value(p, "work_place"), p.year_row.get("work_months")
        has_months = isinstance(months, int) and months > 0
        if place and not has_months:
            yield _f("WRK-01", ERROR, hh, p, "work_months", f"填写了务工所在地“{place}”，但没有务工时间")
        elif has_months and not place:
            yield _f("WRK-01", ERROR, hh, p, "work_place", f"务工时间为{months}个月，但没有务工所在地")
        if isinstance(months, int) and not 0 <= months <= 12:
            yield _f("WRK-02", ERROR, hh, p, "work_months", f"务工时间为{months}个月，应在0–12之间")
        if p.works and p.age is not None and p.age < 16:
            yield _f("WRK-07", ERROR, hh, p, "work_months", f"{p.age}岁（未满16岁）却有务工记录")
        status, abroad = _value(p, "work_status"), p.year_row.get("work_abroad") is True
        channel = _value(p, "employment_channel")
        if (status in OUTSIDE_COUNTY or abroad) and channel in LOCAL_CHANNELS:
            yield _f("WRK-09", ERROR, hh, p, "employment_channel", f"在县外务工，就业渠道却为“{channel}”")
        if p.tekun in TEKUN and p.works and (status in OUTSIDE_TOWNSHIP or abroad or any(
                not r.get("planned") for r in p.records)):
            yield _f("WRK-10", WARNING, hh, p, "tekun", "享受特困供养却外出务工，请核实")


def _record_finding(rule_id: str, severity: str, hh: HouseholdData, p: Person, record: Row, column: str,
                    message: str) -> Finding:
    return Finding(rule_id, severity, hh.id, column, f"{p.name} {message}", record="work_record",
                   record_id=record.get("id") or "", member=p.name)


@rule
def work_records(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    """Rules 22–24 on the 务工月监测 records that touch the accounting year."""
    fx = facts(hh, ctx)
    if not fx.live:
        return
    county = str(hh.fields.get("village_code") or "")[:6]
    for p in fx.people:
        if not p.records:
            continue
        done = sorted((r for r in p.records if not r.get("planned") and isinstance(r.get("start_on"), date)),
                      key=lambda r: r["start_on"])
        for r in p.records:
            yield from _one_record(hh, p, r, county, ctx.today)
        for before, after in zip(done, done[1:]):
            end = before.get("end_on")
            if isinstance(end, date) and after["start_on"] < end:
                yield _record_finding("WRK-05", ERROR, hh, p, after, "start_on",
                                      f"务工开始时间 {after['start_on']} 早于上一段务工的结束时间 {end}")
            elif end is None:
                yield _record_finding("WRK-05", ERROR, hh, p, before, "end_on",
                                      f"一段务工（{before['start_on']} 起）没有结束时间，之后又有一段务工")


def _one_record(hh: HouseholdData, p: Person, r: Row, county: str, today: date) -> Iterator[Finding]:
    wage = to_decimal(r.get("monthly_income"))
    if wage is not None and not r.get("planned"):
        if wage < 100 or wage > 30000:
            yield _record_finding("WRK-03", ERROR, hh, p, r, "monthly_income",
                                  f"务工月收入 {wage} 元，超出合理范围（100–30000）")
        elif wage < 400:
            yield _record_finding("WRK-04", WARNING, hh, p, r, "monthly_income",
                                  f"务工月收入 {wage} 元，低于400元，请核实")
    start, end = r.get("start_on"), r.get("end_on")
    if isinstance(start, date) and isinstance(end, date) and end < start:
        yield _record_finding("WRK-06", ERROR, hh, p, r, "end_on", f"务工结束时间 {end} 早于开始时间 {start}")
    elif isinstance(end, date) and end > today and not r.get("planned"):
        yield _record_finding("WRK-11", WARNING, hh, p, r, "end_on",
                              f"务工结束时间 {end} 晚于今天；仍在务工的请不填结束时间")
    if isinstance(start, date) and not r.get("planned"):
        age = age_at(p.born, start)
        if age is not None and age < 16:
            yield _record_finding("WRK-07", ERROR, hh, p, r, "start_on", f"开始务工时 {age} 岁（未满16岁）")
        if end is None and start < date(2021, 1, 1):
            yield _record_finding("WRK-08", WARNING, hh, p, r, "end_on",
                                  f"自 {start} 外出务工至今未返回，请核实是否仍在务工")
    place = str(r.get("county") or "")
    if (place.isdigit() and len(place) >= 6 and county and place[:6] != county
            and str(r.get("channel") or "") in LOCAL_CHANNELS):
        yield _record_finding("WRK-09", ERROR, hh, p, r, "channel", f"在县外务工，就业渠道却为“{r.get('channel')}”")


# ---- public posts (rule 26) -------------------------------------------------------------------
@rule
def public_posts(hh: HouseholdData, ctx: Context) -> Iterator[Finding]:
    _, people = _people(hh, ctx)
    allowed = labels(ctx, "公益性岗位")
    for p in people:
        y = p.year_row
        posts = split(y.get("public_post"))
        start, end, months = y.get("public_post_start"), y.get("public_post_end"), y.get("public_post_months")
        timed = start is not None or (isinstance(months, int) and months > 0)
        if posts and not timed:
            yield _f("POST-04", ERROR, hh, p, "public_post_start",
                     f"有公益性岗位“{'、'.join(posts)}”，但没有聘用时间或月数")
        elif timed and not posts:
            yield _f("POST-04", ERROR, hh, p, "public_post", "填写了公益性岗位聘用时间或月数，但没有岗位")
        if not posts:
            continue
        age = age_at(p.born, start) if isinstance(start, date) else p.age
        if age is not None and age < 16:
            yield _f("POST-01", ERROR, hh, p, "public_post", f"{age}岁（未满16岁）却聘用为公益性岗位")
        if p.age is not None and p.age >= 70:
            yield _f("POST-02", ERROR, hh, p, "public_post", f"{p.age}岁（70岁及以上）却聘用为公益性岗位")
        if len(posts) >= 3:
            yield _f("POST-03", ERROR, hh, p, "public_post", f"同时担任{len(posts)}个公益性岗位（{'、'.join(posts)}）")
        if isinstance(months, int) and not 0 <= months <= 12:
            yield _f("POST-05", ERROR, hh, p, "public_post_months", f"公益性岗位月数为{months}，应在0–12之间")
        if isinstance(start, date) and isinstance(end, date) and end < start:
            yield _f("POST-06", ERROR, hh, p, "public_post_end", f"公益性岗位聘用结束时间 {end} 早于开始时间 {start}")
        unknown = [x for x in posts if allowed is not None and x not in allowed]
        if unknown:
            yield _f("POST-07", WARNING, hh, p, "public_post", f"公益性岗位“{'、'.join(unknown)}”不在代码表中")

