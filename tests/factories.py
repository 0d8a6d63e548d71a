"""Small hand-made households for tests (the demo generator makes large realistic ones)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from fupin_desktop.bundle import HouseholdData, IncomeData, MemberData
from fupin_desktop.validation.idnumber import make_id

REGION = "520102"
_serial = itertools.count()


def member(name: str, relation: str, born: date, gender: str, seq: int, **fields) -> MemberData:
    # Every generated person gets a distinct, valid ID number (same birth day, next sequence).
    n = next(_serial)
    born = born + timedelta(days=n // 400)
    sequence = (n % 400) * 2 + (1 if gender == "男" else 0)
    return MemberData(
        fields={"name": name, "relation": relation, "gender": gender, "birth_date": born, "seq": seq,
                "id_type": "身份证", "id_no": make_id(REGION, born, sequence), "ethnicity": "汉族",
                "political_status": "群众", **fields},
        years={2024: {"health": "健康", "labour_skill": "普通劳动力", "education": "初中",
                      "resident_medical": True, "employee_medical": False, "critical_illness": True}},
    )


def household(head: str = "张三", *, village: str = "520102003004", hh_no: str = "5201020030040001",
              group: str = "第一组", extra_members: int = 2) -> HouseholdData:
    members = [member(head, "户主", date(1970, 5, 6), "男", 1), member("李秀英", "配偶", date(1972, 3, 8), "女", 2)]
    children = [("张小明", "之子", "男"), ("张小红", "之女", "女"), ("张小军", "之子", "男")]
    for i, (name, relation, gender) in enumerate(children[: max(0, extra_members - 1)]):
        members.append(member(name, relation, date(1995 + i, 1, 2 + i), gender, 3 + i))
    members = members[: 1 + extra_members]
    return HouseholdData(
        fields={"village_code": village, "group_name": group, "national_hh_no": hh_no, "address": f"{group}12号",
                "phone": "13812345678", "bank_name": "农村信用社", "bank_account": "6217000010001234567",
                "poverty_status": "已脱贫(享受政策)"},
        years={2024: {"population": len(members), "main_cause": "因病", "arable_mu": Decimal("3.5"),
                      "attribute": "一般脱贫户", "household_type": "脱贫户"}},
        members=members,
        incomes={2024: IncomeData(fields={}, lines=[
            {"category": "工资性收入", "item": "务工收入", "amount": Decimal("24000")},
            {"category": "转移性收入", "item": "养老保险金", "amount": Decimal("1200.50")},
            {"category": "生产经营性收入", "item": "种植业", "amount": Decimal("5000")},
            {"category": "生产经营性支出", "item": "种植业支出", "amount": Decimal("1500")},
        ])},
    )
