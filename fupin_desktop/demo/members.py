"""Members' identities and yearly facts, each consistent with age and health (SPEC §1.2, §8.2):
schooling follows age, labour follows age, health and schooling, work needs full labour."""

from __future__ import annotations

from datetime import date
from random import Random

from ._data import Table, day_in, label
from .family import Person
from .regions import current_name
from .village import Village

ILL, CHRONIC, DISABLED, HEALTHY = "患有大病", "长期慢性病", "残疾", "健康"
FULL = ("普通劳动力", "技能劳动力")
WEAK, LOST, NONE = "弱劳动力或半劳动力", "丧失劳动力", "无劳动力"
DIS_CATEGORY = Table([("肢体", 45), ("视力", 12), ("听力", 12), ("言语", 2), ("智力", 10), ("精神", 12), ("多重", 7)])
DIS_GRADE = Table([("一级", 12), ("二级", 25), ("三级", 30), ("四级", 33)])
DIS_DIGIT = {"视力": "1", "听力": "2", "言语": "3", "肢体": "4", "智力": "5", "精神": "6", "多重": "7",
             "一级": "1", "二级": "2", "三级": "3", "四级": "4"}
# Base rates by age band: (chronic, serious illness, disability).
HEALTH_RATES = ((16, 0.01, 0.004, 0.01), (45, 0.04, 0.01, 0.03), (60, 0.13, 0.03, 0.05),
                (75, 0.27, 0.05, 0.08), (200, 0.36, 0.06, 0.12))
# 文化程度 of people past school age, by birth year and sex (E4 labels).
COHORTS = (
    (1946, ("文盲或半文盲", 35, 70), ("小学", 50, 27), ("初中", 13, 3), ("高中", 2, 0)),
    (1956, ("文盲或半文盲", 22, 50), ("小学", 50, 38), ("初中", 23, 10), ("高中", 5, 2)),
    (1966, ("文盲或半文盲", 10, 28), ("小学", 45, 45), ("初中", 37, 24), ("高中", 8, 3)),
    (1976, ("文盲或半文盲", 5, 14), ("小学", 35, 42), ("初中", 50, 38), ("高中", 9, 5), ("大专", 1, 1)),
    (1986, ("文盲或半文盲", 2, 6), ("小学", 22, 30), ("初中", 60, 54), ("高中", 12, 8), ("大专", 3, 2),
     ("本科及以上", 1, 0)),
    (1996, ("文盲或半文盲", 1, 2), ("小学", 10, 14), ("初中", 60, 58), ("高中", 19, 17), ("大专", 7, 6),
     ("本科及以上", 3, 3)),
)
COHORT_TABLES = [(until, Table([(e, m) for e, m, _f in rows]), Table([(e, f) for e, _m, f in rows]))
                 for until, *rows in COHORTS]
NUMBERS = "一二三四五"
HIGH_EDUCATION = ("大专", "本科及以上", "大专及以上")
ID_NUMBERS_FROM = 1985  # 居民身份证 numbers were first issued in 1984–85
SECONDARY = Table([("普高", 58), ("中职", 32), ("初中", 10)])


# ---- identity ---------------------------------------------------------------------------------------
def births(rng: Random, v: Village, people: list[Person]) -> None:
    year = v.year
    for p in people:
        born_year = year - p.age
        end = date(year, 9, 30) if p.age == 0 else date(born_year, 12, 31)
        p.born = day_in(rng, date(born_year, 1, 1), end)
        p.school_age = p.age if (p.born.month, p.born.day) <= (8, 31) else p.age - 1


def identify(rng: Random, v: Village, people: list[Person]) -> None:
    """Names, ID numbers, ethnicity, political status and phones."""
    head_ethnicity = v.ethnicity(rng)
    generation: dict[str, str] = {}
    for p in people:
        born_year = p.birthday.year
        first = None
        if p.relation in ("之子", "之女", "之孙子", "之孙女") and rng.random() < 0.5 and born_year < 2000:
            first = generation.setdefault(p.relation[-1] + p.surname, v.given_name(rng, p.gender, born_year)[0])
        p.name = p.surname + v.given_name(rng, p.gender, born_year, first)
        issued = max(born_year, ID_NUMBERS_FROM)  # the code in force when the number was first given
        p.region = v.regions.married_in(rng, issued) if p.origin == "married" else v.regions.local(issued)
        p.id_no = v.id_number(rng, p.region, p.birthday, p.male)
        if p.id_type == "残疾人证":  # the second-generation card number: ID + category + grade
            p.id_no += DIS_DIGIT[p.dis_cat or ""] + DIS_DIGIT[p.dis_grade or ""]
        p.ethnicity = head_ethnicity if p.origin == "local" or rng.random() < 0.7 else v.ethnicity(rng)
        if p.age >= 18:
            r = rng.random()
            party = (0.08 if p.male else 0.025) * (1.4 if p.age >= 45 else 1.0)
            p.political = "中共党员" if r < party else "中共预备党员" if r < party + 0.002 else "群众"
            if p.political == "群众" and p.age <= 28 and rng.random() < 0.3:
                p.political = "共青团员"
        elif p.age >= 14 and rng.random() < 0.35:
            p.political = "共青团员"
        if 16 <= p.age <= 75 and rng.random() < (0.9 if p.age < 65 else 0.55):
            p.phone = v.mobile(rng)


# ---- health -------------------------------------------------------------------------------------------
def health(rng: Random, v: Village, people: list[Person]) -> None:
    for p in people:
        for limit, chronic, serious, disabled in HEALTH_RATES:
            if p.age < limit:
                break
        if rng.random() < disabled:
            make_disabled(rng, v, p)
            if rng.random() < 0.15:
                p.health.insert(0, CHRONIC)
        elif rng.random() < serious:
            p.health = [ILL]
        elif rng.random() < chronic:
            p.health = [CHRONIC]


def make_disabled(rng: Random, v: Village, p: Person) -> None:
    if DISABLED not in p.health:
        p.health.append(DISABLED)
    p.dis_cat, p.dis_grade = DIS_CATEGORY.pick(rng), DIS_GRADE.pick(rng)
    p.dis_year = rng.randint(max(2008, p.birthday.year + 1), v.year) if p.birthday.year < v.year else v.year
    p.id_type = "残疾人证" if rng.random() < 0.3 and p.age >= 1 else "身份证"


def make_ill(rng: Random, p: Person, serious: bool | None = None) -> None:
    kind = ILL if (serious if serious is not None else rng.random() < 0.35) else CHRONIC
    if kind not in p.health:
        p.health.insert(0, kind)


def health_text(p: Person) -> str:
    if not p.health:
        return HEALTHY
    order = (CHRONIC, ILL, DISABLED)
    return ",".join(h for h in order if h in p.health)


# ---- schooling ------------------------------------------------------------------------------------------
def schooling(rng: Random, v: Village, p: Person) -> None:
    """在校生状况 or 文化程度 (exactly one of them in E4; E1–E3 fill both)."""
    e4 = v.e4
    a = p.school_age
    if p.birthday.year < 1996 and a >= 23:
        tables = next((t for t in COHORT_TABLES if p.birthday.year < t[0]), COHORT_TABLES[-1])
        p.education = (tables[1] if p.male else tables[2]).pick(rng)
    else:
        secondary = SECONDARY.pick(rng)
        tertiary = None
        if secondary == "普高":
            r = rng.random()
            tertiary = "本科" if r < 0.3 else "高职" if r < 0.65 else None
        elif secondary == "中职" and rng.random() < 0.25:
            tertiary = "高职"
        e = a - (1 if a >= 7 and rng.random() < 0.12 else 0)
        if e <= 2:
            status = "学龄前儿童"
        elif e <= 5:
            status = "学前教育" if rng.random() < 0.8 else "学龄前儿童"
        elif e <= 11:
            status = "小学"
        elif e <= 14:
            status = ("七年级", "八年级", "九年级")[e - 12]
        elif e <= 17 and not (secondary == "初中" and e == 17):
            k = NUMBERS[e - 15]
            status = f"普通高中{k}年级" if secondary == "普高" else f"中职{k}年级"
        elif tertiary == "本科" and e <= 21:
            status = f"本科{NUMBERS[e - 18]}年级"
        elif tertiary == "高职" and e <= 20:
            status = f"高职高专{NUMBERS[e - 18]}年级"
        else:
            status = None
            p.education = {"本科": "本科及以上",
                           "高职": "大专"}.get(tertiary or "", "初中" if secondary == "初中" else "高中")
        if status is not None:
            p.school = status
    if p.school is None and p.education in HIGH_EDUCATION and (ILL in p.health or DISABLED in p.health):
        p.education = "高中"  # the seriously ill and disabled rarely went on to college here
    if e4:
        if p.school is not None:
            label("在校生状况", v.year, p.school)
            p.education = None
        else:
            label("文化程度", v.year, p.education)
    else:
        _old_era_schooling(v, p)
    p.yulu = p.school is not None and ("中职" in p.school or "高职" in p.school)


def _old_era_schooling(v: Village, p: Person) -> None:
    """E1–E3 forms: 文化程度 for everyone and 在校生状况 (非在校生 when not at school)."""
    status = p.school
    if status is None:
        p.school = "非在校生"
        p.education = "大专及以上" if p.education in ("大专", "本科及以上") else p.education
        return
    if status == "学龄前儿童":
        p.school, p.education = "非在校生", "学龄前儿童"
        return
    if status.startswith("普通高中"):
        p.school = status.replace("普通高中", "高中")
    elif status.startswith("高职高专"):
        p.school = status.replace("高职高专", "高职")
    elif status.startswith("本科"):
        p.school = "大专及以上"
    p.education = ("学龄前儿童" if status == "学前教育" else "小学" if status == "小学"
                   else "初中" if status.endswith("级") and status[0] in "七八九"
                   else "高中" if status.startswith(("普通高中", "中职")) else "大专及以上")
    label("在校生状况", v.year, p.school)
    label("文化程度", v.year, p.education)


def grade_name(p: Person, earlier: bool = False) -> str:
    """Grade for an aid record, e.g. 小学三年级 (``earlier``: the spring term of the same year)."""
    a = p.school_age - (1 if earlier else 0)
    status = p.school or ""
    if "小学" in status or (earlier and status == "七年级"):
        return f"小学{'一二三四五六'[max(0, min(5, a - 6))]}年级"
    return status


# ---- labour ------------------------------------------------------------------------------------------------
def labour(rng: Random, v: Village, p: Person) -> None:
    a = p.age
    if a < 16 or p.student:
        p.labour = NONE
    elif a <= 60:
        if DISABLED in p.health and p.dis_grade in ("一级", "二级"):
            p.labour = LOST
        elif ILL in p.health:
            p.labour = LOST if rng.random() < 0.6 else WEAK
        elif DISABLED in p.health:
            p.labour = WEAK if p.dis_grade == "三级" or rng.random() < 0.4 else "普通劳动力"
        elif CHRONIC in p.health:
            p.labour = WEAK if rng.random() < 0.55 else "普通劳动力"
        else:
            skilled = 0.35 if p.education in ("高中", "大专", "本科及以上", "大专及以上") else 0.1
            p.labour = "技能劳动力" if rng.random() < skilled else "普通劳动力"
    elif a <= 65:
        p.labour = ("普通劳动力" if rng.random() < 0.45 else WEAK) if not p.health else (
            NONE if rng.random() < 0.6 else WEAK)
    elif a <= 75:
        p.labour = WEAK if not p.health and rng.random() < 0.5 else NONE
    else:
        p.labour = NONE
    if v.year < 2019 and p.labour == WEAK:  # no 弱劳动力 before 2019
        severe = ILL in p.health or (DISABLED in p.health and p.dis_grade in ("一级", "二级"))
        p.labour = "普通劳动力" if not severe else LOST if a <= 60 else NONE
    label("劳动技能", v.year, p.labour)


# ---- work -----------------------------------------------------------------------------------------------
WHERE = Table([("省外务工", 45), ("县外省内务工", 25), ("乡（镇）外县内务工", 15), ("乡（镇）内务工", 15)])
MONTHLY = {"省外务工": 4300, "县外省内务工": 3800, "乡（镇）外县内务工": 3100, "乡（镇）内务工": 2600}
POSTS = Table([("护林员", 25), ("护路员", 15), ("护洁员", 25), ("护水员", 8), ("护理员", 5), ("治安协管员", 5),
               ("河湖巡查员", 5), ("护草员", 2), ("其他", 10)])


def work(rng: Random, v: Village, people: list[Person], wants_post: bool) -> None:
    """Who works where (only full labour works), and at most one 公益性岗位 per household."""
    toddler = any(p.age < 3 for p in people)
    for p in people:
        must = p.labour == "技能劳动力" or p.education in HIGH_EDUCATION
        if must and p.labour == WEAK and 17 <= p.age <= 60:
            p.labour = "技能劳动力"  # a graduate with a chronic illness still works (SPEC §8.2 rule 27)
        if p.labour not in FULL or p.student or not 17 <= p.age <= 64:
            continue
        if p.male and 18 <= p.age <= 22 and not must and rng.random() < 0.01:
            p.soldier = True
            continue
        chance = 0.75 if p.age <= 45 else 0.6 if p.age <= 55 else 0.35
        if p.age < 18:
            chance = 0.4
        if toddler and not p.male:
            chance *= 0.5
        if must or rng.random() < chance:
            p.work = _job(rng, v, p)
            if not p.phone:
                p.phone = v.mobile(rng)  # workers are reached by mobile (SPEC §8.2 rule 25)
    if wants_post:
        able = [p for p in people if p.labour == "普通劳动力" and 25 <= p.age <= 65 and p.work is None]
        if able:
            p = rng.choice(able)
            hired = date(rng.randint(min(v.year, max(2016, v.year - 4)), v.year), rng.randint(1, 7), 1)
            first = hired if hired.year == v.year else date(v.year, 1, 1)
            p.post = {"type": POSTS.pick(rng), "monthly": v.amount(rng.choice((500, 600, 700, 800, 833, 1000))),
                      "months": 13 - first.month, "hired": hired, "first": first}
            p.work = _job(rng, v, p, post=True)
            if not p.phone:
                p.phone = v.mobile(rng)


def _job(rng: Random, v: Village, p: Person, post: bool = False) -> dict:
    where = "乡（镇）内务工" if post else WHERE.pick(rng)
    if p.age > 50 and where == "省外务工" and rng.random() < 0.5:
        where = "乡（镇）外县内务工"
    far = where in ("省外务工", "县外省内务工")
    months = p.public_post["months"] if post else rng.randint(6, 12) if far else rng.randint(4, 12)
    vocab = v.vocab
    if where == "省外务工":
        options = [pc for pc in vocab["work_far"] if pc[0] != v.province] or vocab["work_far"]
        province, city = rng.choice(options)
        place, county = province + city, vocab["far_counties"].get(city or province, "")
    elif where == "县外省内务工":
        code = v.regions.other_prefecture(rng, v.year)
        city = current_name(code[:4] + "00") if code else v.prefecture
        place, county = v.province + city, current_name(code) if code else ""
    elif where == "乡（镇）外县内务工":
        place, county = v.county + "城区", v.county
    else:
        place, county = v.township, v.county
    if post:
        company, industry, channel = f"{v.name}村民委员会", "公共管理、社会保障和社会组织", "公益性岗位"
        monthly = p.public_post["monthly"]
    else:
        trade, industry = rng.choice(vocab["trades"])
        words = vocab["company_words"]
        city_name = (place.replace(v.province, "") if where != "省外务工" else place[3:] or place[:2]) or v.county
        company = f"{city_name[:3]}{rng.choice(words)}{rng.choice(words)}{trade}{rng.choice(vocab['company_forms'])}"
        channel = "外出务工" if far else ("帮扶车间" if rng.random() < 0.3 else "就近就业")
        if channel == "帮扶车间":
            company = f"{v.township}帮扶车间"
        monthly = v.amount(max(1800, min(9000, rng.gauss(MONTHLY[where], 700))) / 10) * 10
    start_month = rng.randint(1, 13 - months) if not post else p.public_post["first"].month
    start = date(v.year, start_month, rng.randint(1, 10) if not post else 1)
    end_month = start_month + months - 1
    # Still at work at the end of the year: no end date (a date after today would be flagged).
    end = date(v.year, end_month, 28 if end_month == 2 else 30) if end_month < 12 else None
    return {"status": where, "months": months, "place": place, "county": county, "company": company,
            "industry": industry, "channel": channel, "monthly": monthly, "far": far, "start": start,
            "end": end, "p2p": far and rng.random() < 0.2,
            "transport": v.amount(rng.choice((300, 400, 500, 600, 800))) if far else None}
