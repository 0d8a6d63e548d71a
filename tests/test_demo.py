"""The demo village generator: deterministic, realistic where it matters, flawed only on purpose."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from fupin_desktop.demo import generate, fill_store
from fupin_desktop.demo._data import line_for
from fupin_desktop.demo.regions import table as region_table
from fupin_desktop.income import totals
from fupin_desktop.model import Helper, HelperAssignment, Household, IncomeLine, Measure, Member, MemberYear
from fupin_desktop.reference import CodeTables, load_income_items
from fupin_desktop.validation.idnumber import parse_id

VILLAGE = "520102003004"
YEAR = 2024
MALE_ONLY = {"之子", "之女婿", "之孙子", "之外孙子", "之父", "之岳父", "之公公", "之祖父", "之外祖父", "之侄儿",
             "之叔伯",
             "之曾孙子"}
FEMALE_ONLY = {"之女", "之儿媳", "之孙女", "之外孙女", "之母", "之岳母", "之婆婆", "之祖母", "之外祖母", "之侄女",
               "之兄弟媳妇", "之曾孙女"}
PUBLISHED = {"因病": 41.44, "缺资金": 16.74, "缺劳力": 8.32, "因灾": 8.05, "因学": 4.3}
CODED = {  # column -> code table, for every coded column the generator fills
    "relation": "与户主关系", "ethnicity": "民族", "political_status": "政治面貌", "id_type": "证件类型",
    "gender": "性别", "education": "文化程度", "school_status": "在校生状况", "labour_skill": "劳动技能",
    "work_status": "务工状况", "dibao": "享受低保政策情况", "tekun": "享受特困供养政策情况",
    "public_post": "公益性岗位",
    "disability_category": "残疾类别", "disability_grade": "残疾等级", "identify_standard": "识别标准",
    "attribute": "贫困户属性", "poverty_status": "脱贫状态", "household_type": "户类型",
    "monitoring_category": "监测对象类别", "risk_removal_method": "风险消除方式", "main_cause": "致贫原因",
    "road_type": "入户路类型", "fuel_type": "主要燃料类型", "dilapidation_grade": "危房级别",
    "relocation_mode": "搬迁方式", "resettlement_mode": "安置方式", "resettlement_place": "安置地",
    "disaster_subtype": "因自然灾害子项", "development_measures": "实施开发式帮扶措施情况", "category": "措施大类",
    "fund_source": "资金来源", "status": "措施状态", "visit_type": "走访类型", "left_reason": "人员变更",
    "unit_affiliation": "单位隶属关系",
}
MULTI = {"health": "健康状况", "risks": "致贫/返贫风险", "other_causes": "致贫原因"}


def dump(bundle) -> tuple:
    """Everything a bundle would write, as comparable plain data."""
    return (
        bundle.fields, bundle.years,
        [(m.fields, m.years, m.work_records) for m in bundle.members],
        {y: (i.fields, i.lines) for y, i in bundle.incomes.items()},
        [(m.fields, m.kind, m.detail) for m in bundle.measures],
        bundle.assignments, bundle.visits, bundle.plans, bundle.assessments, bundle.risk_flags, bundle.helpers,
    )


@pytest.fixture(scope="module")
def clean():
    return list(generate(600, seed=3, village_code=VILLAGE, year=YEAR, flaws=0))


@pytest.fixture(scope="module")
def village_stats():
    """One streamed pass over 5,000 households (not kept in memory)."""
    causes, stats = Counter(), Counter()
    for bundle in generate(5000, seed=11, village_code=VILLAGE, year=YEAR):
        stats["households"] += 1
        stats["measures"] += len(bundle.measures)
        stats["members"] += len(bundle.active_members())
        stats["monitored"] += bool(bundle.years[YEAR]["monitoring_category"])
        cause = bundle.years[YEAR]["main_cause"]
        if cause:
            causes[cause] += 1
    return causes, stats


# ---- determinism ------------------------------------------------------------------------------------
def test_same_seed_gives_identical_rows_including_ids():
    first = [dump(b) for b in generate(40, seed=7, village_code=VILLAGE)]
    again = [dump(b) for b in generate(40, seed=7, village_code=VILLAGE)]
    assert first == again


def test_another_seed_gives_another_village():
    a = list(generate(40, seed=7, village_code=VILLAGE))
    b = list(generate(40, seed=8, village_code=VILLAGE))
    assert [dump(x) for x in a] != [dump(x) for x in b]
    assert not {x.id for x in a} & {x.id for x in b}
    assert [x.fields["national_hh_no"] for x in a] == [x.fields["national_hh_no"] for x in b]


def test_generation_is_lazy():
    stream = generate(10**9, seed=1, village_code=VILLAGE)
    assert next(stream).fields["village_code"] == VILLAGE


# ---- people ---------------------------------------------------------------------------------------------
def test_id_numbers_are_valid_unique_real_and_match_the_member(clean):
    seen, local, total = set(), 0, 0
    for bundle in clean:
        for m in bundle.members:
            f = m.fields
            info = parse_id(f["id_no"])
            assert info.problem == "", (f["name"], f["id_no"], info.problem)
            assert info.birth_date == f["birth_date"] and info.gender == f["gender"]
            assert (len(f["id_no"]) == 20) == (f["id_type"] == "残疾人证")
            assert f["id_no"][:18] not in seen
            seen.add(f["id_no"][:18])
            assert f["id_no"][:6] in region_table()
            local += f["id_no"][:6] == VILLAGE[:6]
            total += 1
    assert local / total > 0.5  # most were born in the village's county


def test_relations_agree_with_sex_and_age(clean):
    for bundle in clean:
        people = bundle.members
        heads = [m for m in people if m.fields["relation"] == "户主"]
        spouses = [m for m in people if m.fields["relation"] == "配偶"]
        assert len(heads) == 1 and heads[0].active and len(spouses) <= 1
        head = heads[0].fields
        if spouses:
            assert spouses[0].fields["gender"] != head["gender"]
        for m in people:
            f = m.fields
            assert f["relation"] not in MALE_ONLY or f["gender"] == "男", f
            assert f["relation"] not in FEMALE_ONLY or f["gender"] == "女", f
            if f["relation"] in ("之子", "之女"):
                for parent in [head] + [s.fields for s in spouses]:
                    gap = parent["birth_date"].year - f["birth_date"].year
                    assert -40 <= gap <= -18, (parent, f)
            if f["relation"] in ("之父", "之母"):
                assert 18 <= head["birth_date"].year - f["birth_date"].year <= 40
        assert 1 <= len(bundle.active_members()) <= 8


def test_coded_values_come_from_the_code_tables():
    codes = CodeTables.default()
    for year in (2024, 2019):
        village = list(generate(300, seed=5, village_code=VILLAGE, year=year, flaws=0))
        rows = []
        for b in village:
            rows += [b.fields, *b.years.values(), *[h for h in b.helpers.values()], *b.visits]
            rows += [m.fields for m in b.measures]
            for m in b.members:
                rows += [m.fields, *m.years.values()]
        for row in rows:
            for column, table in CODED.items():
                if row.get(column) is not None:
                    assert row[column] in codes.labels(table, year), (year, column, row[column])
            for column, table in MULTI.items():
                for part in (row.get(column) or "").split(","):
                    assert not part or part in codes.labels(table, year), (year, column, row[column])
        items = load_income_items()["categories"]
        for b in village:
            for line in b.incomes[year].lines:
                assert line["item"] in dict(items[line["category"]]), line


def test_schooling_labour_and_work_follow_age_and_health(clean):
    for bundle in clean:
        for m in bundle.active_members():
            f, y = m.fields, m.years[YEAR]
            age = YEAR - f["birth_date"].year
            assert (y["education"] is None) != (y["school_status"] is None)  # E4: exactly one
            student = y["school_status"] not in (None, "学龄前儿童")
            if age < 16 or student:
                assert y["labour_skill"] == "无劳动力"
            if 7 <= age <= 15:
                assert student, (age, y["school_status"])
            if y["work_months"]:
                assert y["labour_skill"] in ("普通劳动力", "技能劳动力") and f["phone"]
            if y["health"] == "健康" and 16 <= age <= 60 and not student:
                assert y["labour_skill"] in ("普通劳动力", "技能劳动力")
            assert ("残疾" in y["health"]) == (y["disability_grade"] is not None)
            assert y["yulu_plan"] == bool(y["school_status"] and ("中职" in y["school_status"]
                                                                  or "高职" in y["school_status"]))
            assert y["critical_illness"] is True and y["resident_medical"] != y["employee_medical"]


# ---- household facts ------------------------------------------------------------------------------------
def test_main_causes_follow_the_published_shares(village_stats):
    causes, _ = village_stats
    total = sum(causes.values())
    for cause, share in PUBLISHED.items():
        assert abs(causes[cause] * 100 / total - share) <= 2, (cause, causes[cause] * 100 / total)
    rest = sum(n for c, n in causes.items() if c not in PUBLISHED) * 100 / total
    assert abs(rest - (100 - sum(PUBLISHED.values()))) <= 2
    assert len(causes) >= 12  # the rest are spread over the other causes


def test_about_ten_measures_four_members_and_some_monitoring(village_stats):
    _, stats = village_stats
    n = stats["households"]
    assert 9 <= stats["measures"] / n <= 11.5
    assert 3.5 <= stats["members"] / n <= 4.5
    assert 0.05 <= stats["monitored"] / n <= 0.08


def test_income_sits_where_the_household_situation_says(clean):
    line = line_for(VILLAGE[:2], YEAR)
    monitored_below = 0
    for bundle in clean:
        people = len(bundle.active_members())
        assert bundle.years[YEAR]["population"] == people
        per_capita = totals(bundle.incomes[YEAR].lines, people)["per_capita_net"]
        f = bundle.years[YEAR]
        if not f["monitoring_category"]:
            assert per_capita >= line
        elif not f["risk_removed"] and f["monitoring_category"] != "突发严重困难户":
            assert Decimal(4000) <= per_capita
            monitored_below += per_capita < line
        assert per_capita < 100_000
    assert monitored_below > 0


def test_monitored_households_have_risks_and_matching_measures(clean):
    monitored = [b for b in clean if b.years[YEAR]["monitoring_category"]]
    assert monitored
    answers = {"因病": "健康帮扶", "因学": ("义务教育保障", "其他教育帮扶"), "因残": "综合保障",
               "因安全住房": "住房安全保障", "因安全饮水": "饮水安全保障", "因务工就业不稳": "就业帮扶"}
    for b in monitored:
        risks = b.years[YEAR]["risks"].split(",")
        assert 1 <= len(risks) <= 3
        this_year = {m.fields["category"] for m in b.measures if m.fields["year"] == YEAR}
        for risk in risks:
            wanted = answers.get(risk)
            if wanted and not b.years[YEAR]["risk_removed"]:  # an open risk has this year's answer
                assert this_year & ({wanted} if isinstance(wanted, str) else set(wanted)), (risk, this_year)
        if b.years[YEAR]["risk_removed"]:
            assert b.years[YEAR]["risk_removed_at"] > b.fields["monitoring_since"]


# ---- flaws ---------------------------------------------------------------------------------------------
def test_flaws_are_a_small_deliberate_share():
    def problems(flaws: float) -> Counter:
        found = Counter()
        for b in generate(1200, seed=9, village_code=VILLAGE, year=YEAR, flaws=flaws):
            active = b.active_members()
            found["members"] += len(active)
            found["population"] += b.years[YEAR]["population"] != len(active)
            for m in active:
                found["id"] += bool(parse_id(m.fields["id_no"]).problem)
                found["health"] += m.years[YEAR]["health"] is None
        return found

    clean = problems(0)
    assert clean["id"] == clean["health"] == clean["population"] == 0
    flawed = problems(0.02)
    assert 0.004 < flawed["id"] / flawed["members"] < 0.02
    assert 0.004 < flawed["health"] / flawed["members"] < 0.02
    assert flawed["population"] > 0


# ---- writing ----------------------------------------------------------------------------------------------
def _count(store, model) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def test_fill_store_writes_batches_with_their_helpers(new_store):
    calls = []
    written = fill_store(new_store, 120, seed=2, batch=50, progress=lambda done, total: calls.append((done, total)))
    assert written == 120
    assert calls == [(50, 120), (100, 120), (120, 120)]
    expected = list(generate(120, seed=2, village_code=new_store.village_code,
                             village_name=new_store.village_name))
    assert _count(new_store, Household) == 120
    assert _count(new_store, Member) == sum(len(b.members) for b in expected)
    assert _count(new_store, MemberYear) == sum(len(b.active_members()) for b in expected)
    assert _count(new_store, Measure) == sum(len(b.measures) for b in expected)
    assert _count(new_store, IncomeLine) == sum(len(inc.lines) for b in expected for inc in b.incomes.values())
    assert {y for b in expected for y in b.incomes} == {date.today().year}  # the demo's year is this year
    assert _count(new_store, Helper) == 24 and _count(new_store, HelperAssignment) == 120
    with new_store.engine.connect() as conn:
        ids = set(conn.execute(select(Household.id)).scalars())
        codes = set(conn.execute(select(Household.village_code)).scalars())
        orphans = conn.execute(select(func.count()).select_from(HelperAssignment)
                               .where(HelperAssignment.helper_id.not_in(select(Helper.id)))).scalar_one()
    assert ids == {b.id for b in expected} and codes == {new_store.village_code} and orphans == 0


def test_fill_store_stops_between_batches_when_cancelled(new_store):
    asked = []

    def cancel() -> bool:
        asked.append(1)
        return len(asked) > 2  # let two batches through

    assert fill_store(new_store, 100, batch=20, cancel=cancel) == 40
    assert _count(new_store, Household) == 40
    assert _count(new_store, Helper) == 8


def test_year_before_the_registry_is_refused():
    with pytest.raises(ValueError):
        generate(1, village_code=VILLAGE, year=2013)  # 建档立卡 starts in 2014


def test_fill_store_adds_to_a_village_without_clashing(new_store):
    assert fill_store(new_store, 12, seed=1) == 12
    assert fill_store(new_store, 13, seed=1) == 13  # the same seed again continues the village
    assert fill_store(new_store, 5, seed=4) == 5
    with new_store.engine.connect() as conn:
        numbers = list(conn.execute(select(Household.national_hh_no)).scalars())
        ids = list(conn.execute(select(Member.id_no)).scalars())
    assert len(numbers) == len(set(numbers)) == 30
    assert len({i[:18] for i in ids}) == len(ids)
    assert _count(new_store, Helper) == 6
