"""Turning a made household into the rows of ``HouseholdData``, and the deliberate flaws."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from ..bundle import HouseholdData, MemberData
from ._data import Table, day_in, label, luhn_digit
from .family import Person
from .members import DISABLED, ILL, health_text
from .village import GROUPS

if TYPE_CHECKING:
    from .household import Home

BANKS = Table([("county_credit", 35), ("county_rural", 25), ("中国邮政储蓄银行", 22), ("中国农业银行", 15),
               ("中国建设银行", 3)])


def _attribute(h: "Home") -> str:
    y = h.v.year
    people = h.people
    kind = "特困" if any(p.tekun for p in people) else "低保" if any(p.dibao for p in people) else "一般"
    if y >= 2021:
        text = {"特困": "特困供养脱贫户", "低保": "低保脱贫户", "一般": "一般脱贫户"}[kind]
    elif y >= 2019:
        text = {"特困": "特困供养贫困户", "低保": "低保贫困户", "一般": "一般贫困户"}[kind]
    else:
        text = {"特困": "五保贫困户", "低保": "低保贫困户", "一般": "一般贫困户"}[kind]
    return label("贫困户属性", y, text)


def household_fields(h: "Home", poor: bool, group: int) -> dict[str, Any]:
    v, rng, people = h.v, h.rng, h.people
    y = v.year
    width = max(4, len(str(v.households)))
    h.hh_no = f"{v.code}{h.number + 1:0{width}d}"
    phone = next((p.phone for p in people if p.phone), None) or v.mobile(rng)
    bank = BANKS.pick(rng)
    bank = {"county_credit": f"{v.county}农村信用合作联社", "county_rural": f"{v.county}农村商业银行"}.get(bank, bank)
    body = "62" + "".join(str(rng.randrange(10)) for _ in range(16))
    account = body + luhn_digit(body)
    status = pre_exit = return_year = return_reason = None
    exit_year, identified = h.exit_year or 0, h.identified or 0  # both are set for the poor households
    if poor:
        if v.e4:
            status = "已脱贫(享受政策)" if rng.random() < 0.97 else "已脱贫(不享受政策)"
        elif exit_year < y:
            status = "已脱贫(享受政策)"
            if rng.random() < 0.01:
                status, return_year = "返贫", rng.randint(exit_year + 1, y)
                return_reason = "因病"
        elif exit_year == y:
            status, pre_exit = "预脱贫", True
        else:
            status = "未脱贫"
        status = label("脱贫状态", y, status)
        pre_exit = pre_exit if pre_exit is not None else False if not v.e4 else None
    kids = [p for p in people + h.left if p.relation in ("之子", "之女")]
    cadre = rng.choice(v.cadres)
    monitored = h.monitoring is not None
    fields = {
        "id": "%032x" % rng.getrandbits(128), "village_code": v.code, "group_name": GROUPS[group],
        "national_hh_no": h.hh_no, "address": f"{v.address_prefix}{GROUPS[group]}{v.next_house(rng, group)}号",
        "phone": phone, "bank_name": bank, "bank_account": account,
        "identify_standard": label("识别标准", y, "国家标准" if rng.random() < 0.88 else "省定标准") if poor else None,
        "household_type": label("户类型", y, "脱贫户" if poor else "一般农户") if v.e4 else None,
        "attribute": _attribute(h) if poor else None, "poverty_status": status,
        "identified_year": h.identified if poor else None,
        "plan_exit_year": (exit_year if rng.random() < 0.85 else max(identified, exit_year - 1))
        if poor else None,
        "pre_exit_this_year": pre_exit, "exit_year": exit_year if poor and exit_year <= y else None,
        "return_year": return_year, "return_reason": return_reason,
        "military_family": rng.random() < 0.015,
        "only_child": len(kids) == 1 and (h.family_planning or rng.random() < 0.5),
        "two_daughters": len(kids) == 2 and all(k.gender == "女" for k in kids),
        "monitoring_category": label("监测对象类别", y, h.monitoring) if monitored else None,
        "monitoring_since": f"{h.since:%Y%m}" if monitored else None,
        "no_labour_fallback": h.no_labour if v.e4 else None,
        "risk_removed": h.removed if monitored else None,
        "risk_removal_method": (label("风险消除方式", y, "帮扶消除" if rng.random() < 0.8 else "自然消除")
                                if h.removed else None),
        "risk_removed_at": f"{h.removed_at:%Y%m}" if h.removed else None,
        "monitoring_contact": cadre[0] if monitored else None,
        "monitoring_contact_phone": cadre[1] if monitored else None,
        "in_relocation_site": (h.hy["resettlement_mode"] == "集中安置") if v.e4 else None,
        "relocation_site_address": (h.hy["relocation_address"] if h.site and h.hy["resettlement_mode"] == "集中安置"
                                    else None),
        "collector_name": cadre[0], "collector_phone": cadre[1],
        "filled_on": day_in(rng, date(y, 3, 1), date(y, 11, 30)), "change_note": None, "record_status": "在册",
    }
    if h.left:
        fields["change_note"] = "；".join(f"{p.name}{left[0]}" for p in h.left if (left := p.left))
    return fields


def member_data(h: "Home", p: Person) -> MemberData:
    v, rng = h.v, h.rng
    y = v.year
    fields = {
        "id": p.id, "seq": p.seq, "name": p.name, "gender": p.gender, "id_type": label("证件类型", y, p.id_type),
        "id_no": p.id_no, "birth_date": p.born, "member_no": f"{h.hh_no}{p.seq:02d}",
        "relation": label("与户主关系", y, p.relation), "ethnicity": p.ethnicity,
        "political_status": label("政治面貌", y, p.political), "phone": p.phone,
        "relocated_person": p in h.relocated_people, "record_status": "注销" if p.left else "在册",
        "left_reason": label("人员变更", y, p.left[0]) if p.left else None,
        "left_on": p.left[1] if p.left else None,
    }
    data = MemberData(fields=fields)
    if p.left:
        return data
    w, post = p.work, p.post
    employee = w is not None and w["far"] and p.labour == "技能劳动力" and rng.random() < 0.05
    severe = DISABLED in p.health and p.dis_grade in ("一级", "二级")
    old_minority = p.age >= 60 and (p.ethnicity != "汉族" or p.education == "文盲或半文盲")
    data.years[y] = {
        "id": "%032x" % rng.getrandbits(128), "education": p.education, "school_status": p.school,
        "out_of_school_reason": None, "health": health_text(p),
        "disability_category": p.dis_cat, "disability_grade": p.dis_grade, "disability_cert_year": p.dis_year,
        "labour_skill": p.labour, "work_status": label("务工状况", y, w["status"]) if w else None,
        "work_months": w["months"] if w else None, "work_place": w["place"] if w else None,
        "work_company": w["company"] if w else None, "work_abroad": False,
        "employment_channel": w["channel"] if w else None, "industry": w["industry"] if w else None,
        "active_soldier": p.soldier, "resident_medical": not employee, "employee_medical": employee,
        "critical_illness": True, "commercial_medical": rng.random() < 0.8,
        "medical_assistance": p.dibao or p.tekun or ILL in p.health or severe,
        "other_health_aid": bool(p.health) and rng.random() < 0.7,
        "resident_pension": p.age >= 16 and not p.student and not employee and rng.random() < 0.97,
        "employee_pension": employee,
        "dibao": label("享受低保政策情况", y, "农村低保" if p.dibao else "未享受"),
        "tekun": label("享受特困供养政策情况", y, "农村特困" if p.tekun else "不享受"),
        "speaks_mandarin": p.age >= 3 and not (old_minority and rng.random() < 0.6),
        "accident_insurance": rng.random() < 0.65,
        "public_post": label("公益性岗位", y, post["type"]) if post else None,
        "public_post_months": post["months"] if post else None,
        "public_post_start": post["hired"] if post else None, "public_post_end": None,
        "yulu_plan": p.yulu,
    }
    if w and v.e4:
        data.work_records.append({
            "id": "%032x" % rng.getrandbits(128), "planned": False, "start_on": w["start"], "end_on": w["end"],
            "place": w["place"], "county": w["county"], "monthly_income": w["monthly"], "company": w["company"],
            "industry": w["industry"], "channel": w["channel"], "point_to_point": w["p2p"],
            "transport_subsidy": w["transport"], "service_needs": None,
        })
    return data


# ---- flaws: a small, deliberate share of what validation exists to find ---------------------------------
def apply_flaws(h: "Home", bundle: HouseholdData) -> None:
    v, rng = h.v, h.rng
    p = v.flaws
    active = [m for m in bundle.members if m.active]
    if p <= 0:
        _remember_woman(v, active)
        return
    y = v.year
    for m in active:
        yr = m.years[y]
        if rng.random() < p / 2:  # wrong check digit
            number = m.fields["id_no"]
            wrong = "0123456789X".replace(number[17], "")
            m.fields["id_no"] = number[:17] + rng.choice(wrong) + number[18:]
        if rng.random() < p / 2:
            yr["health"] = None
        if rng.random() < p / 20:
            yr["critical_illness"] = False
        if rng.random() < p / 20:
            yr["labour_skill"] = None
        if v.e4 and yr["school_status"] and rng.random() < p / 10:
            yr["education"] = "小学"  # both filled
    hy = bundle.years[y]
    if rng.random() < p / 4:
        hy["population"] = max(1, hy["population"] + rng.choice((-1, 1)))
    if rng.random() < p / 8 and bundle.fields["phone"]:
        bundle.fields["phone"] = bundle.fields["phone"][:10]
    if rng.random() < 2 * p:  # a passbook number (惠农一卡通折): 19 digits that fail Luhn
        account = bundle.fields["bank_account"]
        bundle.fields["bank_account"] = account[:18] + str((int(account[18]) + rng.randint(1, 9)) % 10)
    if rng.random() < p / 20:
        for m in active:
            swap = {"之子": "之女", "之女": "之子"}.get(m.fields["relation"])
            if swap:
                m.fields["relation"] = swap
                break
    if rng.random() < p / 20 and v.last_adult_woman:
        for m in active:
            if m.fields["relation"] in ("配偶", "之儿媳") and m.fields["gender"] == "女":
                name, born, number = v.last_adult_woman
                m.fields.update(name=name, birth_date=born, id_no=number, id_type="身份证")
                break
    _remember_woman(v, active)


def _remember_woman(v: Any, active: list[MemberData]) -> None:
    for m in active:
        f = m.fields
        if (f["gender"] == "女" and f["relation"] in ("之女", "配偶") and len(f["id_no"]) == 18
                and f["birth_date"].year <= v.year - 20):
            v.last_adult_woman = (f["name"], f["birth_date"], f["id_no"])
            return
