"""One household, made from its own seeded generator: people first, then what follows from them —
致贫原因 and 监测 risks, 生产生活条件, income, measures, visits — then (rarely) deliberate flaws."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from random import Random
from typing import Any

from ..bundle import HouseholdData
from ..income import totals
from ._data import Table, area, day_in, label, money
from . import family, members
from .family import FEMALE, Person
from .income import make_income
from .measures import PAST_YEARS, assessment, exit_assessment, make_measures, risk_flag, visits
from .members import CHRONIC, DISABLED, FULL, ILL, LOST, NONE
from ..yearstatus import STATUS_FIELDS
from .rows import apply_flaws, household_fields, member_data
from .village import Village

# 主要致贫原因 as published (因病 41.44%, 缺资金 16.74%, 缺劳力 8.32%, 因灾 8.05%, 因学 4.3%), the rest spread.
CAUSES = Table([("因病", 41.44), ("缺资金", 16.74), ("缺劳力", 8.32), ("因灾", 8.05), ("因学", 4.3), ("因残", 5.8),
                ("缺技术", 6.0), ("缺土地", 2.5), ("缺水", 1.2), ("交通条件落后", 1.6), ("自身发展动力不足", 2.5),
                ("因婚", 0.4), ("因丧", 0.3), ("其他", 0.85)])
MONITORING_SHARE = 0.065
CATEGORIES = Table([("脱贫不稳定户", 45), ("边缘易致贫户", 40), ("突发严重困难户", 15)])
DISASTERS = Table([("洪涝灾害", 35), ("地质灾害", 25), ("旱灾", 15), ("气象灾害", 15), ("生物灾害", 5), ("地震灾害", 2),
                   ("其他", 3)])
ROADS = Table([("水泥路", 72), ("沥青路", 6), ("砂石路", 15), ("泥土路", 7)])
STRUCTURES = Table([("砖混材料", 52), ("砖瓦砖木", 22), ("钢筋混凝土", 12), ("其他", 10), ("砖、石窑洞", 2),
                    ("竹草土坯、土窑洞", 2)])
FUELS = Table([("清洁能源", 45), ("柴草", 30), ("煤炭", 20), ("其他", 5)])
OTHER_NOTES = ("家庭主要劳动力失联，生活困难。", "家庭成员涉诉，生活陷入困难。", "子女无力赡养，老人生活困难。")


class Home:
    """Everything known about the household while it is being made."""

    def __init__(self, v: Village, rng: Random, index: int, number: int) -> None:
        self.v, self.rng, self.index, self.number = v, rng, index, number
        self.people: list[Person] = []
        self.everyone: list[Person] = []
        self.left: list[Person] = []
        self.monitoring: str | None = None
        self.risks: list[str] = []
        self.removed = False
        self.sudden = False
        self.poor = True  # a 建档立卡 (now 脱贫) household, not a 一般农户
        self.mode, self.target, self.below = "floor", 0.0, False
        self.family_planning = False
        self.temporary_aid = False
        self.housing_now: Decimal | None = None
        self.renovation: tuple[int, str, str, Decimal] | None = None
        self.identified: int | None = None
        self.exit_year: int | None = None
        self.hy: dict[str, Any] = {}
        self.livestock: list[tuple[str, str, int]] = []
        self.lines: list[dict[str, Any]] = []
        self.site: str | None = None
        self.relocated_people: list[Person] = []
        self.no_labour = False
        self.since = self.removed_at = date(v.year, 1, 1)
        self.income_pc = Decimal(0)
        self.hh_no = ""
        self.helper = v.helper(number)


def make_household(v: Village, index: int, number: int | None = None) -> HouseholdData:
    """Household ``index`` of this run; ``number`` is its place in the village's 户编号 sequence
    (0-based, defaults to ``index``) and picks its own seeded generator and its helper."""
    number = index if number is None else number
    rng = Random(f"fupin-demo:{v.seed}:{v.code}:{number}")
    h = Home(v, rng, index, number)
    group = v.group_of(index)
    cause = CAUSES.pick(rng)
    if v.e4 and rng.random() < MONITORING_SHARE:
        h.monitoring = CATEGORIES.pick(rng)
        h.sudden = h.monitoring == "突发严重困难户"
    poor = h.poor = not (h.monitoring == "边缘易致贫户" or (h.sudden and rng.random() < 0.3))
    _people(h, cause, group)
    active = h.people
    members.work(rng, v, active, rng.random() < 0.08 + (0.15 if h.monitoring else 0))
    _welfare(h)
    _conditions(h, cause, poor)
    if h.monitoring:
        _monitoring(h, cause)
    _years(h, poor)
    h.below = not h.monitoring and rng.random() < v.flaws / 4
    if h.monitoring and not h.removed and not h.sudden:
        h.mode, h.target = "ceiling", float(v.line) * rng.uniform(0.55, 0.97)
    income = make_income(h)
    h.income_pc = totals(income.lines, len(active))["per_capita_net"] or Decimal(0)
    for seq, p in enumerate(h.everyone, 1):
        p.id, p.seq = "%032x" % rng.getrandbits(128), seq
    measures = make_measures(h)
    bundle = HouseholdData(fields=household_fields(h, poor, group))
    bundle.members = [member_data(h, p) for p in h.everyone]
    population = len(active)
    newborn = sum(1 for p in active if p.birthday.year == v.year)
    hy = h.hy
    hy.update(population=population, population_start=population + len(h.left) - newborn, population_end=population,
              main_cause=label("致贫原因", v.year, cause) if poor else None)
    if poor and rng.random() < 0.45:
        others = [c for c in CAUSES.items if c != cause and c != "其他"]
        hy["other_causes"] = ",".join(rng.sample(others, 1 if rng.random() < 0.6 else 2))
    bundle.years[v.year] = hy
    for name in STATUS_FIELDS:  # the year's status lives on the year's row
        hy[name] = bundle.fields.pop(name)
    income.fields["population"] = population
    bundle.incomes[v.year] = income
    bundle.measures = measures
    helper = h.helper
    bundle.helpers[helper["id"]] = helper
    bundle.assignments = [{"id": "%032x" % rng.getrandbits(128), "helper_id": helper["id"],
                           "start_on": v.helper_start(rng), "end_on": None}]
    bundle.visits = visits(h)
    _assessments(h, bundle)
    if rng.random() < 0.01:
        bundle.risk_flags.append(risk_flag(h))
    apply_flaws(h, bundle)
    return bundle


# ---- people -------------------------------------------------------------------------------------------
def _people(h: Home, cause: str, group: int) -> None:
    rng, v = h.rng, h.v
    surname = v.family_surname(rng, group)

    def other() -> str:
        return v.any_surname(rng, group)

    for _attempt in range(30):
        if cause == "因学":
            template = family.FOR_SCHOOL.pick(rng)
        elif cause == "缺劳力" and rng.random() < 0.8:
            template = family.FOR_NO_LABOUR.pick(rng)
        else:
            template = family.TEMPLATE_MIX.pick(rng)
        people = family.build(rng, template, surname, other, v.e4)
        members.births(rng, v, people)
        members.health(rng, v, people)
        if cause == "因病" and not any(ILL in p.health or CHRONIC in p.health for p in people):
            adults = [p for p in people if p.age >= 35] or people
            members.make_ill(rng, rng.choice(adults))
        elif cause == "因残" and not any(DISABLED in p.health for p in people):
            members.make_disabled(rng, v, rng.choice(people))
        for p in people:
            members.schooling(rng, v, p)
            members.labour(rng, v, p)
        if cause == "因学" and not any(p.student and p.school != "学前教育" for p in people):
            continue
        if cause == "缺劳力" and sum(p.labour in FULL for p in people) > 1:
            continue
        break
    h.family_planning = _family_planning(people, rng)
    # A few members left during the year: a daughter married out, an old parent died.
    for p in people:
        if p.relation == "之女" and 20 <= p.age <= 30 and rng.random() < 0.2:
            p.left = ("嫁出", day_in(rng, date(v.year, 1, 15), date(v.year, 11, 30)))
        elif p.relation in ("之父", "之母", "之岳父", "之岳母", "之公公",
                            "之婆婆") and p.age >= 78 and rng.random() < 0.08:
            p.left = ("死亡", day_in(rng, date(v.year, 1, 5), date(v.year, 11, 30)))
    h.everyone = people
    h.left = [p for p in people if p.left]
    h.people = [p for p in people if not p.left]
    members.identify(rng, v, people)


def _family_planning(people: list[Person], rng: Random) -> bool:
    kids = [p for p in people if p.relation in ("之子", "之女")]
    parents_old = any(p.relation in ("户主", "配偶") and p.age >= 60 for p in people)
    one = len(kids) == 1 or (len(kids) == 2 and all(k.gender == FEMALE for k in kids))
    return parents_old and one and rng.random() < 0.6


def _welfare(h: Home) -> None:
    """低保 and 特困供养: every household without labour is covered (SPEC §8.2 rule 38)."""
    rng, people = h.rng, h.people
    no_labour = all(p.labour in (NONE, LOST) for p in people)
    h.no_labour = no_labour
    if no_labour:
        lone = len(people) == 1 and (people[0].age >= 60 or DISABLED in people[0].health)
        if lone and rng.random() < 0.5:
            people[0].tekun = True
        else:
            for p in people:
                p.dibao = True
    elif rng.random() < 0.14 + (0.1 if any(p.health for p in people) else 0):
        needy = [p for p in people if p.health or p.age >= 65]
        for p in (people if rng.random() < 0.6 or not needy else needy):
            p.dibao = True


# ---- 生产生活条件, 搬迁 -------------------------------------------------------------------------------------
def _conditions(h: Home, cause: str, poor: bool) -> None:
    rng, v, people = h.rng, h.v, h.people
    pop = len(people)
    arable = rng.uniform(0.2, 0.8) if cause == "缺土地" else min(60.0, pop * rng.uniform(0.6, 1.8))
    irrigated = arable * (rng.uniform(0, 0.1) if cause == "缺水" else rng.uniform(0.1, 0.7))
    hy: dict[str, Any] = {
        "id": "%032x" % rng.getrandbits(128), "other_causes": None, "risks": None, "disaster_subtype": None,
        "risk_note": None, "development_measures": None,
        "arable_mu": area(arable), "irrigated_mu": area(min(irrigated, arable)),
        "forest_mu": area(rng.uniform(1, 30)) if rng.random() < 0.5 else Decimal(0),
        "returned_forest_mu": area(rng.uniform(0.5, 8)) if rng.random() < 0.3 else Decimal(0),
        "orchard_mu": area(rng.uniform(0.5, 5)) if rng.random() < 0.2 else Decimal(0),
        "pasture_mu": area(rng.uniform(1, 20)) if rng.random() < 0.05 else Decimal(0),
        "water_surface_mu": area(rng.uniform(0.2, 3)) if rng.random() < 0.04 else Decimal(0),
        "production_power": rng.random() < 0.99, "drinking_difficult": False, "drinking_safe": True,
        "household_power": True, "broadcast_tv": rng.random() < 0.96,
        "road_distance_km": area(rng.uniform(1.5, 4.8) if cause == "交通条件落后" else min(4.8, rng.expovariate(1.6))),
        "road_type": label("入户路类型", v.year, ROADS.pick(rng)),
        "housing_area_m2": area(max(40.0, 30 + 25 * pop + rng.gauss(0, 25))),
        "dilapidated": False, "dilapidation_grade": None, "house_structure": STRUCTURES.pick(rng),
        "house_built_year": rng.randint(1975, 2012), "renovation_year": None,
        "fuel_type": label("主要燃料类型", v.year, FUELS.pick(rng)),
        "in_cooperative": rng.random() < 0.4, "led_by_enterprise": rng.random() < 0.3,
        "led_by_entrepreneur": rng.random() < 0.15, "safe_water_solved": True, "relocated": False,
    }
    hy["road_hardened"] = hy["road_type"] in ("水泥路", "沥青路")
    toilet = rng.random() < 0.9
    hy["sanitary_toilet"], hy["toilet_usable"] = toilet, toilet and rng.random() < 0.96
    herd = []
    for animal, unit, lo, hi in v.vocab["livestock"]:
        if rng.random() < {"猪": 0.45, "牛": 0.15, "羊": 0.08, "鸡": 0.55, "鸭": 0.15}[animal]:
            herd.append((animal, unit, rng.randint(lo, hi)))
    h.livestock = herd
    hy["livestock"] = "、".join(f"{a}{n}{u}" for a, u, n in herd) or "无"
    for key in ("relocation_mode", "resettlement_mode", "resettlement_place", "relocation_difficulties",
                "relocation_address", "moved_in_on", "relocated_people"):
        hy[key] = None
    if poor and v.year >= 2017 and rng.random() < 0.08:
        _relocation(h, hy)
    elif poor and v.year > 2016 and rng.random() < 0.22:
        year = PAST_YEARS.pick(rng) if v.year > 2020 else rng.randint(2016, v.year - 1)
        if year < v.year:
            grade = "C级" if rng.random() < 0.65 else "D级"
            method = ("修缮加固" if rng.random() < 0.9 else "拆除重建") if grade == "C级" else (
                "拆除重建" if rng.random() < 0.85 else "置换")
            amounts = (8000, 10000, 12000, 14000) if grade == "C级" else (20000, 25000, 28000, 35000)
            subsidy = Decimal(rng.choice(amounts))
            h.renovation = (year, grade, method, subsidy)
            hy["renovation_year"] = year
            hy["house_built_year"] = year if method in ("拆除重建", "置换") else min(hy["house_built_year"], year - 3)
    for key in ("food_secure", "clothing_secure", "education_secure", "medical_secure", "housing_secure",
                "water_secure"):
        hy[key] = True
    hy["guarantee_evidence"] = "经入户核实，家庭成员吃穿不愁，义务教育、基本医疗、住房安全和饮水安全有保障。"
    h.hy = hy


def _relocation(h: Home, hy: dict[str, Any]) -> None:
    rng, v = h.rng, h.v
    moved = day_in(rng, date(2017, 6, 1), date(min(v.year, 2020), 12, 20))
    central = rng.random() < 0.85
    mode = "集中安置" if central else "分散安置"
    place = (rng.choice(("县城安置",) * 11 + ("乡镇安置",) * 7 + ("村外安置",) * 2) if central
             else rng.choice(("村内安置", "村内安置", "村外安置")))
    site = f"{v.county}{v.place_name(rng)}安置点" if central else f"{v.township}{v.place_name(rng)}"
    people = [p for p in h.people if p.birthday < moved]
    hy.update(relocated=True, relocation_mode=label("搬迁方式", v.year, "建档立卡贫困户个别搬迁" if rng.random() < 0.75
                                                    else "自然村(村民小组)整体搬迁"),
              resettlement_mode=label("安置方式", v.year, mode), resettlement_place=label("安置地", v.year, place),
              relocation_difficulties="搬迁后找不到工作" if rng.random() < 0.1 else None,
              relocation_address=(f"{site}{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元"
                                  f"{rng.randint(1, 6)}0{rng.randint(1, 4)}号"
                                  if central else f"{site}{rng.randint(1, 80)}号"),
              moved_in_on=moved, relocated_people=max(1, len(people)),
              housing_area_m2=Decimal(20 * max(1, len(people)) + rng.choice((0, 0, 5, 10))))
    h.site = site
    h.relocated_people = people


# ---- 监测 -----------------------------------------------------------------------------------------------
def _monitoring(h: Home, cause: str) -> None:
    rng, v, people, hy = h.rng, h.v, h.people, h.hy
    ill = any(ILL in p.health or CHRONIC in p.health for p in people)
    full = sum(p.labour in FULL for p in people)
    weights = [("因自然灾害", 2.0 if h.sudden else 1.2), ("因意外事故", 2.0 if h.sudden else 0.8),
               ("因安全住房", 0.5), ("因安全饮水", 0.2), ("其他", 0.3)]
    if ill:
        weights.append(("因病", 8 if h.sudden else 5))
    if any(DISABLED in p.health for p in people):
        weights.append(("因残", 3))
    if any(p.student and p.school != "学前教育" for p in people):
        weights.append(("因学", 2))
    if full * 4 <= len(people):
        weights.append(("缺劳动力", 3))
    if any(p.work and not p.post for p in people):
        weights.append(("因务工就业不稳", 2))
    if hy["arable_mu"] > 0:
        weights.append(("因产业项目失败", 0.7))
    table = Table(weights)
    risks = ["因病"] if cause == "因病" and ill and not h.sudden else []
    for chance in (1.0, 0.45, 0.15):
        if rng.random() < chance:
            for _ in range(10):
                risk = table.pick(rng)
                if risk not in risks:
                    risks.append(risk)
                    break
        if len(risks) >= 3:
            break
    h.risks = [label("致贫/返贫风险", v.year, r) for r in risks[:3]]
    hy["risks"] = ",".join(h.risks)
    hy["disaster_subtype"] = label("因自然灾害子项", v.year, DISASTERS.pick(rng)) if "因自然灾害" in risks else None
    hy["risk_note"] = (f"遭受{hy['disaster_subtype']}，农作物和房屋受损。" if "因自然灾害" in risks
                       else rng.choice(OTHER_NOTES) if "其他" in risks else None)
    since = date(rng.randint(2021, v.year), rng.randint(1, 12), 1)
    h.since = since
    months_left = (v.year - since.year) * 12 + 12 - since.month
    h.removed = not h.no_labour and months_left >= 8 and rng.random() < 0.55
    if h.removed:
        k = since.month - 1 + rng.randint(7, months_left)
        h.removed_at = date(since.year + k // 12, k % 12 + 1, 1)
    hy["development_measures"] = label("实施开发式帮扶措施情况", v.year, "尚未实施" if h.no_labour else "已实施")
    if "缺劳动力" in risks and not any(p.dibao or p.tekun for p in people):
        for p in people:
            p.dibao = True
    h.temporary_aid = rng.random() < 0.35 or "因意外事故" in risks
    if "因安全住房" in risks:
        grade = "C级" if rng.random() < 0.6 else "D级"
        year = h.removed_at.year if h.removed else v.year
        method = "修缮加固" if grade == "C级" else "拆除重建"
        subsidy = Decimal(14000 if grade == "C级" else 28000)
        h.renovation = (year, grade, method, subsidy)
        hy["renovation_year"] = year if h.removed else None
        if h.removed:
            h.housing_now = subsidy if year == v.year else None
        else:
            hy.update(dilapidated=True, dilapidation_grade=label("危房级别", v.year, grade), housing_secure=False)
    if "因安全饮水" in risks and not h.removed:
        hy.update(drinking_safe=False, safe_water_solved=False, water_secure=False, drinking_difficult=True)


# ---- years and assessments ---------------------------------------------------------------------------------
IDENTIFIED = Table([(2014, 75), (2015, 6), (2016, 6), (2017, 5), (2018, 4), (2019, 3), (2020, 1)])
EXITED = Table([(2015, 8), (2016, 18), (2017, 20), (2018, 24), (2019, 22), (2020, 8)])


def _years(h: Home, poor: bool) -> None:
    if not poor:
        return
    rng, y = h.rng, h.v.year
    identified = IDENTIFIED.pick(rng)
    while identified > y:
        identified = IDENTIFIED.pick(rng)
    exit_year = EXITED.pick(rng)
    while exit_year < identified:
        exit_year = EXITED.pick(rng)
    h.identified, h.exit_year = identified, exit_year


def _assessments(h: Home, bundle: HouseholdData) -> None:
    v = h.v
    if h.exit_year and h.exit_year <= v.year:
        bundle.assessments.append(exit_assessment(h))
    if h.monitoring:
        pc = h.income_pc
        line = v.line
        since = h.since
        bundle.assessments.append(assessment(h, "识别", since.year, since, money(float(line) * h.rng.uniform(0.5, 0.95))
                                             if not h.sudden else pc, line, "纳入监测"))
        if h.removed:
            bundle.assessments.append(assessment(h, "风险消除", h.removed_at.year, h.removed_at, pc, line, "风险消除"))
        names = "；".join(m.fields["name"] for m in bundle.measures if m.fields["year"] == v.year)
        bundle.plans.append({"id": "%032x" % h.rng.getrandbits(128), "year": v.year,
                             "target": "稳定增收，消除" + "、".join(h.risks) + "风险",
                             "timeframe": f"{v.year}年{since.month if since.year == v.year else 1}月至{v.year}年12月",
                             "plan_text": names[:500]})
