"""帮扶措施 (SPEC §4) and the rest of the 帮扶 record: visits, the 一户一策 plan, assessments and
big-data flags. Measures follow from the household: every student gets the year's school aid,
every sick member the health measures, every 监测 risk a matching measure in the accounting year."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..bundle import MeasureData
from ._data import Table, day_in, label, money, new_id, threshold
from .members import CHRONIC, DISABLED, ILL, grade_name

if TYPE_CHECKING:
    from .household import Home
    from .family import Person

# E4 categories, and what the same measure was called in E2/E3 (措施大类 E3).
E3_NAME = {"产业帮扶": "产业扶贫", "就业帮扶": "就业扶贫", "金融帮扶": "金融扶贫", "公益岗位帮扶": "公益岗位",
           "健康帮扶": "健康扶贫", "义务教育保障": "教育扶贫", "其他教育帮扶": "教育扶贫", "综合保障": "综合保障",
           "住房安全保障": "危房改造", "饮水安全保障": "生活条件改善", "社会帮扶": "其他", "搬迁": "易地扶贫搬迁",
           "生产生活条件改善": "生活条件改善", "基础设施建设": "其他"}
UNIT_OF = {"健康帮扶": "医疗保障局", "义务教育保障": "教育局", "其他教育帮扶": "教育局",
           "就业帮扶": "人力资源和社会保障局",
           "公益岗位帮扶": "人力资源和社会保障局", "产业帮扶": "农业农村局", "综合保障": "民政局",
           "住房安全保障": "住房和城乡建设局", "饮水安全保障": "水务局", "搬迁": "发展和改革局",
           "生产生活条件改善": "乡村振兴局", "基础设施建设": "交通运输局"}
FUNDS = {"产业帮扶": Table([("财政专项扶贫资金", 60), ("东西部协作", 20), ("定点帮扶", 10), ("自筹", 10)]),
         "社会帮扶": Table([("社会帮扶", 60), ("定点帮扶", 30), ("东西部协作", 10)]),
         "金融帮扶": Table([("信贷", 1)]),
         "住房安全保障": Table([("财政专项扶贫资金", 60), ("行业部门资金", 40)]),
         "饮水安全保障": Table([("财政专项扶贫资金", 70), ("行业部门资金", 30)]),
         "基础设施建设": Table([("财政专项扶贫资金", 50), ("行业部门资金", 50)])}
PAST_YEARS = Table([(2016, 14), (2017, 20), (2018, 24), (2019, 24), (2020, 18)])


class Measures:
    def __init__(self, h: "Home") -> None:
        self.h, self.rng, self.v = h, h.rng, h.v
        self.out: list[MeasureData] = []
        self.helper = h.helper
        # A household that was never 建档立卡 gets help only from the month it was identified for 监测.
        self.first = 2016 if h.poor else h.since.year

    def past_year(self, first: int = 2016) -> int | None:
        """A year before the accounting year, mostly in the 脱贫攻坚 years (None if there is none)."""
        y = self.v.year
        first = max(first, self.first)
        if first >= y:
            return None
        if y <= 2020:
            return self.rng.randint(first, y - 1)
        for _ in range(5):
            pick = PAST_YEARS.pick(self.rng)
            if first <= pick < y:
                return pick
        return y - 1

    def add(self, year: int | None, category: str, sub: str | None, name: str, amount: float | Decimal | None = None, *,
            member: "Person | None" = None, scale: float | None = None, unit: str | None = None,
            kind: str | None = None, detail: dict[str, Any] | None = None, benefit: float | None = None,
            status: str | None = None, units: str | None = None) -> dict[str, Any]:
        rng, v = self.rng, self.v
        if year is None:  # no earlier year to put a past measure in
            return {}
        start = day_in(rng, date(year, 1, 1), date(year, 10, 31))
        deadline = date(year, 12, 31)
        if status is None:
            status = "完成" if year < v.year or rng.random() < 0.72 else "实施中" if rng.random() < 0.85 else "计划"
        fund = FUNDS.get(category)
        fields = {
            "id": new_id(rng), "member_id": member.id if member is not None else None, "year": year,
            "category": label("措施大类", v.year, category if v.e4 else E3_NAME[category]),
            "subcategory": sub, "name": name,
            "scale": Decimal(str(scale)) if scale is not None else None, "unit": unit,
            "amount": (amount if isinstance(amount, Decimal) else money(amount)) if amount is not None else None,
            "fund_source": fund.pick(rng) if fund else "行业部门资金",
            "units": units or (f"{v.county}{UNIT_OF[category]}" if category in UNIT_OF else self.helper["unit_name"]),
            "responsible": self.helper["name"], "start_on": start, "deadline": deadline,
            "end_on": day_in(rng, start, deadline) if status == "完成" else None, "status": status,
            "expected_benefit": money(benefit) if benefit else None,
            "actual_benefit": money(benefit * rng.uniform(0.6, 1.2)) if benefit and status == "完成" else None,
            "signed": status != "计划" and rng.random() < 0.97, "note": None,
        }
        self.out.append(MeasureData(fields=fields, kind=kind, detail=detail or {}))
        return fields


def make_measures(h: "Home") -> list[MeasureData]:
    m = Measures(h)
    rng, v, people, y = h.rng, h.v, h.people, h.v.year
    lines = {ln["item"]: ln["amount"] for ln in h.lines}
    pop = len(people)
    # 健康: the insurance contribution subsidy every year, and care for the sick.
    for yr in (y - 1, y) if rng.random() < 0.6 and y - 1 >= m.first else (y,):
        m.add(yr, "健康帮扶", "医保缴费补贴", "城乡居民基本医疗保险个人缴费补贴",
              pop * 190 * v.growth * 1.07 ** (yr - y),
              scale=pop, unit="人")
    for p in people:
        if ILL in p.health or CHRONIC in p.health:
            serious = ILL in p.health
            reimbursed = rng.uniform(5000, 60000) if serious else rng.uniform(300, 3000)
            aid = rng.uniform(500, 10000) if serious or p.dibao or p.tekun else 0
            m.add(y, "健康帮扶", "大病专项救治" if serious else "慢病签约服务",
                  f"{p.name}{'大病专项救治' if serious else '家庭医生慢病签约服务'}", reimbursed + aid, member=p,
                  kind="health", detail={"doctor": v.person_name(rng, "男" if rng.random() < 0.6 else "女", 1980),
                                         "chronic_card": not serious, "reimbursed": money(reimbursed),
                                         "assistance": money(aid)})
    # 教育: every student's aid for the year.
    for p in people:
        if p.student:
            _school_aid(m, p)
    # 综合保障.
    if any(p.dibao for p in people):
        m.add(y, "综合保障", "低保", "农村最低生活保障", lines.get("低保金"), scale=sum(p.dibao for p in people),
              unit="人")
    if any(p.tekun for p in people):
        m.add(y, "综合保障", "特困供养", "特困人员救助供养", lines.get("特困供养金"),
              scale=sum(p.tekun for p in people),
              unit="人")
    for p in people:
        if DISABLED in p.health:
            m.add(y, "综合保障", "残疾人补贴", f"{p.name}残疾人两项补贴", None, member=p)
    covered = [p for p in people if (p.dibao or p.tekun or DISABLED in p.health) and 16 <= p.age < 60 and not p.student]
    if covered:
        m.add(y, "综合保障", "养老保险代缴", "城乡居民基本养老保险个人缴费代缴", 100 * len(covered), scale=len(covered),
              unit="人")
    if "临时救助" in lines:
        m.add(y, "综合保障", "临时救助", "临时救助", lines["临时救助"])
    # 就业 and 公益岗位.
    for p in people:
        w = p.work
        if w and w["far"] and w["transport"]:
            m.add(y, "就业帮扶", "外出务工补贴", f"{p.name}外出务工一次性交通补贴", w["transport"], member=p)
        if w and w["channel"] == "帮扶车间":
            m.add(y, "就业帮扶", "帮扶车间就业", f"{p.name}在{w['company']}就业", None, member=p,
                  benefit=float(w["monthly"] * w["months"]))
        if p.post:
            post = p.post
            m.add(y, "公益岗位帮扶", post["type"], f"聘用{p.name}为{post['type']}", post["monthly"] * post["months"],
                  member=p, kind="public_post", status="实施中",
                  detail={"post_type": label("公益性岗位", y, post["type"]), "monthly_wage": post["monthly"],
                          "hired_on": post["hired"], "dismissed_on": None, "months": post["months"]})
    if rng.random() < 0.15 and y > 2016:
        m.add(m.past_year(2017), "就业帮扶", "就业培训", "农村劳动力转移就业技能培训", rng.choice((600, 800, 1000)))
    # 产业.
    has_business = any(ln["category"] == "生产经营性收入" for ln in h.lines)
    crops, animals = v.vocab["crops"], v.vocab["animals"]
    if has_business:
        for _ in range(1 if rng.random() < 0.7 else 2):
            _industry(m, y, crops, animals)
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        if y > 2016:
            _industry(m, m.past_year(max(2016, h.identified or 2016)), crops, animals)
    if "资产收益扶贫分红收入" in lines:
        m.add(y, "产业帮扶", "资产收益", "村集体经济资产收益分红", lines["资产收益扶贫分红收入"])
    # 金融.
    labour = any(p.labour in ("普通劳动力", "技能劳动力") for p in people)
    developing = any(f.fields["year"] == y and f.fields["category"] in ("产业帮扶", "就业帮扶", "公益岗位帮扶",
                                                                        "产业扶贫", "就业扶贫", "公益岗位")
                     for f in m.out)
    need_loan = labour and h.monitoring and not h.removed and not developing
    if need_loan or (labour and h.poor and rng.random() < 0.28):
        _loan(m, y if need_loan else (m.past_year() or y) if rng.random() < 0.8 else y)
    if rng.random() < 0.1:
        m.add(y, "金融帮扶", "保险", "农业保险保费补贴", rng.uniform(50, 300))
    # 社会帮扶, 住房, 饮水, 生产生活条件, 基础设施, 搬迁.
    if rng.random() < 0.3:
        m.add(y, "社会帮扶", "结对帮扶", "结对帮扶走访慰问", rng.choice((200, 300, 500, 800, 1000)))
    if rng.random() < 0.1:
        m.add(y, "社会帮扶", "消费帮扶", "消费帮扶收购农产品", rng.uniform(500, 4000))
    if h.renovation:
        year, grade, method, subsidy = h.renovation
        _housing(m, year, grade, method, subsidy)
    if h.hy["relocated"]:
        _relocation(m)
    if y > 2016 and rng.random() < 0.28:
        m.add(m.past_year(), "饮水安全保障", "饮水工程", "农村饮水安全巩固提升工程（入户管网）", rng.uniform(300, 1500))
    if y > 2016 and rng.random() < 0.25:
        m.add(m.past_year(2017), "生产生活条件改善", "改厕", "农村卫生厕所改造", rng.choice((1000, 1200, 1500)))
    if y > 2016 and rng.random() < 0.18:
        m.add(m.past_year(), "生产生活条件改善", "入户路", "入户路硬化", rng.uniform(800, 4000),
              scale=round(rng.uniform(10, 120)), unit="米")
    if y > 2016 and rng.random() < 0.1:
        m.add(m.past_year(), "基础设施建设", "通组路", "通组路硬化", None)
    _risk_measures(m)
    return m.out


def _school_aid(m: Measures, p: "Person") -> None:
    v, rng, y = m.v, m.rng, m.v.year
    s = p.school or ""
    county, township = v.county, v.township
    if s == "学前教育":
        m.add(y, "其他教育帮扶", "学前教育资助", f"{p.name}学前教育资助", 500, member=p, kind="education",
              detail={"school": f"{township}中心幼儿园", "grade": "幼儿园", "term": f"{y}年秋季学期",
                      "aid_amount": Decimal(500)})
        return
    if "小学" in s or s.endswith(("七年级", "八年级", "九年级")):
        category, sub, per_term = "义务教育保障", "家庭经济困难学生生活补助", 500 if "小学" in s else 625
        school = f"{township}中心小学" if "小学" in s else f"{township}中学"
    elif "高中" in s:
        category, sub, per_term, school = "其他教育帮扶", "普通高中国家助学金", 1000, f"{county}第一中学"
    elif "中职" in s:
        category, sub, per_term, school = "其他教育帮扶", "雨露计划", 1500, f"{v.prefecture or county}职业技术学校"
    elif "高职" in s:
        category, sub, per_term, school = "其他教育帮扶", "雨露计划", 1500, f"{v.province_short}职业技术学院"
    else:
        m.add(y, "其他教育帮扶", "新生入学资助", f"{p.name}大学生资助", rng.choice((500, 1000)), member=p,
              kind="education",
              detail={"school": f"{v.province_short}{rng.choice(('师范', '理工', '财经', '民族'))}学院",
                                        "grade": s, "term": f"{y}年秋季学期", "aid_amount": None})
        return
    for term, earlier in (("春季", True), ("秋季", False)):
        if earlier and p.school_age < 7:
            continue
        amount = Decimal(per_term)
        m.add(y, category, sub, f"{p.name}{sub}（{term}学期）", amount, member=p, kind="education",
              detail={"school": school, "grade": grade_name(p, earlier) if category == "义务教育保障" else s,
                      "term": f"{y}年{term}学期", "aid_amount": amount})


def _industry(m: Measures, year: int | None, crops: list[tuple[str, str]], animals: list[tuple[str, str, int]]) -> None:
    rng = m.rng
    if rng.random() < 0.55:
        crop, unit = rng.choice(crops)
        scale = rng.choice((1, 1.5, 2, 3, 5)) if unit == "亩" else rng.choice((500, 1000, 2000))
        m.add(year, "产业帮扶", "种植业", f"发展{crop}种植{scale:g}{unit}",
              rng.choice((500, 800, 1000, 1500, 2000, 3000)),
              scale=scale, unit=unit, benefit=rng.uniform(1000, 6000))
    else:
        animal, unit, base = rng.choice(animals)
        scale = max(1, int(base * rng.uniform(0.5, 2.5)))
        m.add(year, "产业帮扶", "养殖业", f"发展{animal}养殖{scale}{unit}",
              rng.choice((800, 1000, 1500, 2000, 3000, 5000)),
              scale=scale, unit=unit, benefit=rng.uniform(1500, 8000))


def _loan(m: Measures, year: int) -> None:
    rng, v = m.rng, m.v
    principal = rng.choice((10000, 20000, 30000, 30000, 50000, 50000))
    years = rng.choice((1, 2, 3, 3, 3))
    rate = Decimal("4.35") if year < 2020 else Decimal("3.85") if year < 2023 else Decimal("3.45")
    issued = day_in(rng, date(year, 2, 1), date(year, 11, 30))
    due = issued.replace(year=issued.year + years) if not (issued.month == 2 and issued.day == 29) else date(
        issued.year + years, 2, 28)
    subsidy = money(principal * float(rate) / 100 * years)
    end_of_year = date(v.year, 12, 31)
    status = ("正常还款" if due > end_of_year else
              Table([("已还清", 88), ("展期", 5), ("续贷", 5), ("逾期", 2)]).pick(rng))
    bank = rng.choice((f"{v.county}农村信用合作联社", "中国邮政储蓄银行", "中国农业银行"))
    use = rng.choice(("发展生猪养殖", "发展肉牛养殖", "种植茶叶", "种植中药材", "发展林下养鸡", "经营农家乐"))
    enterprise = year <= 2018 and rng.random() < 0.1
    m.add(year, "金融帮扶", "小额信贷", f"扶贫小额信贷{principal // 10000}万元（{use}）", subsidy,
          scale=principal / 10000,
          unit="万元", kind="loan", units=bank, status="完成" if due <= end_of_year else "实施中",
          detail={"bank": bank, "contract_no": f"{year}{v.regions.county}{rng.randrange(10**6):06d}",
                  "principal": Decimal(principal), "issued_on": issued, "due_on": due, "interest_rate": f"{rate}%",
                  "subsidy": subsidy, "purpose": use, "enterprise_use": enterprise, "repayment_status": status})


def _housing(m: Measures, year: int, grade: str, method: str, subsidy: Decimal) -> None:
    status = "实施中" if year == m.v.year and m.h.monitoring and not m.h.removed else "完成"
    done = day_in(m.rng, date(year, 6, 1), date(year, 12, 20)) if status == "完成" else None
    m.add(year, "住房安全保障", "危房改造", f"{grade}危房改造（{method}）", subsidy, kind="housing", status=status,
          detail={"grade": grade, "method": method, "subsidy": subsidy, "completed_on": done,
                  "accepted": status == "完成"})


def _relocation(m: Measures) -> None:
    hy = m.h.hy
    moved = hy["moved_in_on"]
    people = hy["relocated_people"]
    m.add(moved.year, "搬迁", "易地扶贫搬迁", f"易地扶贫搬迁（{hy['resettlement_mode']}）", people * 20000,
          scale=people,
          unit="人", kind="relocation", status="完成",
          detail={"site": m.h.site, "moved_in_on": moved, "people": people, "area_m2": Decimal(20 * people)})


def _risk_measures(m: Measures) -> None:
    """Every risk of a 监测对象 answered by a measure of the accounting year (SPEC §6)."""
    h, y, rng = m.h, m.v.year, m.rng
    if not h.monitoring:
        return
    done = {f.fields["category"] for f in m.out if f.fields["year"] == y}
    for risk in h.risks:
        if risk in ("因自然灾害", "其他") and "社会帮扶" not in done:
            m.add(y, "社会帮扶", "受灾救助" if risk == "因自然灾害" else "社会捐助",
                  "灾后生产生活救助" if risk == "因自然灾害" else "社会爱心捐助", rng.uniform(500, 3000))
        elif risk == "因意外事故" and "综合保障" not in done:
            m.add(y, "综合保障", "临时救助", "意外事故临时救助", rng.uniform(500, 3000))
        elif risk == "因安全饮水" and "饮水安全保障" not in done:
            m.add(y, "饮水安全保障", "饮水工程", "入户供水管网改造", rng.uniform(500, 2000), status="实施中")
        elif risk == "因务工就业不稳" and "就业帮扶" not in done:
            m.add(y, "就业帮扶", "岗位推荐", "推荐就业岗位、开展就业服务", None)
        elif risk == "因产业项目失败" and "产业帮扶" not in done:
            _industry(m, y, m.v.vocab["crops"], m.v.vocab["animals"])
        done.add({"因自然灾害": "社会帮扶", "其他": "社会帮扶", "因意外事故": "综合保障", "因安全饮水": "饮水安全保障",
                  "因务工就业不稳": "就业帮扶", "因产业项目失败": "产业帮扶"}.get(risk, ""))


# ---- visits, plans, assessments, flags --------------------------------------------------------------
def visits(h: "Home") -> list[dict[str, Any]]:
    rng, v = h.rng, h.v
    vocab = v.vocab
    count = Table([(1, 25), (2, 50), (3, 25)]).pick(rng) + (1 if h.monitoring else 0)
    out = []
    for _ in range(count):
        kind = Table([("入户", 80), ("电话", 15), ("集中", 5)]).pick(rng)
        problem = rng.choice(vocab["visit_problems"]) if rng.random() < 0.4 else None
        out.append({
            "id": new_id(rng), "helper_id": h.helper["id"],
            "visited_on": day_in(rng, date(v.year, 1, 5), date(v.year, 12, 20)),
            "visit_type": label("走访类型", v.year, kind), "content": rng.choice(vocab["visit_contents"]),
            "problems": problem, "needs": rng.choice(vocab["visit_needs"]) if rng.random() < 0.3 else None,
            "follow_up": rng.choice(vocab["visit_follow_ups"]) if problem else None,
            "gps": f"{v.gps[0] + rng.uniform(-0.01, 0.01):.5f},{v.gps[1] + rng.uniform(-0.01, 0.01):.5f}"
            if kind == "入户" else None,
            "signed": kind == "入户",
        })
    out.sort(key=lambda r: r["visited_on"])
    return out


def assessment(h: "Home", kind: str, year: int, when: date, income: Decimal, line: Decimal, result: str,
               secure: bool = True) -> dict[str, Any]:
    rng = h.rng
    publicity = when + timedelta(days=rng.randint(2, 10))
    return {"id": new_id(rng), "year": year, "kind": kind, "income_per_capita": income, "threshold": line,
            "food_secure": True, "clothing_secure": True, "education_secure": True, "medical_secure": True,
            "housing_secure": secure, "water_secure": True,
            "evidence": "经入户核实、民主评议，情况属实。", "reviewed_on": when, "publicity_from": publicity,
            "publicity_to": publicity + timedelta(days=rng.choice((5, 6, 7))), "head_signed": True,
            "approvals": "村评议通过；乡镇审核通过；县级审定通过", "result": result}


def exit_assessment(h: "Home") -> dict[str, Any]:
    rng, v = h.rng, h.v
    year = h.exit_year
    assert year is not None  # only households that exited are assessed
    line = threshold(v.province_code, year, "退出")
    when = day_in(rng, date(year, 9, 1), date(year, 11, 15))
    return assessment(h, "退出", year, when, money(float(line) * rng.uniform(1.2, 2.2)), line, "同意退出")


def risk_flag(h: "Home") -> dict[str, Any]:
    rng, v = h.rng, h.v
    flag_type, source, evidence, resolution = rng.choice(v.vocab["risk_flags"])
    found = day_in(rng, date(v.year, 1, 10), date(v.year, 10, 31))
    return {"id": new_id(rng), "member_id": None, "flag_type": flag_type, "source": source, "found_on": found,
            "evidence": evidence, "resolution": resolution, "resolved_on": found + timedelta(days=rng.randint(3, 20))}
