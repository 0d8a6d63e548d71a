"""收入核算 for the year (SPEC §2): line items from income_items.json that follow from the household —
wages from the members' work, farming from the land and animals, transfers from who is old, on
低保 or disabled — then tuned so the per-capita net income lands where the household's situation
says it should (above the monitoring line, or inside it for a 监测对象 whose risk is not removed)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from ..bundle import IncomeData
from ..reference import load_income_items
from ._data import money, new_id
from .members import CHRONIC, DISABLED, ILL

if TYPE_CHECKING:
    from .household import Home

WAGE, BUSINESS, PROPERTY, TRANSFER = "工资性收入", "生产经营性收入", "财产性收入", "转移性收入"
EXPENSE = "生产经营性支出"
ANIMAL_VALUE = {"猪": 1800, "牛": 7000, "羊": 800, "鸡": 60, "鸭": 50}
FOREST_POSTS = ("护林员", "护草员", "河湖巡查员")


def _items() -> dict[str, dict[str, bool]]:
    return {cat: dict(rows) for cat, rows in load_income_items()["categories"].items()}


def make_income(h: "Home") -> IncomeData:
    rng, v, people = h.rng, h.v, h.people
    items = _items()
    g = v.growth
    pop = len(people)
    workers = [p for p in people if p.work and not p.post]
    posts = [p for p in people if p.post]
    # Farming: gross by item and the share spent on inputs.
    hy = h.hy
    business: dict[str, list[float]] = {}
    if hy["arable_mu"] > 0:
        business["种植业"] = [float(hy["arable_mu"]) * rng.uniform(900, 2200) * g, rng.uniform(0.3, 0.45)]
    herd = sum(ANIMAL_VALUE[a] * n for a, _u, n in h.livestock)
    if herd:
        business["养殖业"] = [herd * rng.uniform(0.6, 1.0) * g, rng.uniform(0.35, 0.5)]
    if hy["orchard_mu"] > 0:
        business["林果业"] = [float(hy["orchard_mu"]) * rng.uniform(1500, 4000) * g, rng.uniform(0.1, 0.2)]
    if rng.random() < 0.06 and any(p.labour in ("普通劳动力", "技能劳动力") for p in people):
        business["其他经营收入"] = [rng.uniform(3000, 15000) * g, 0.3]
    prop: dict[str, float] = {}
    for item, share, lo, hi in (("资产收益扶贫分红收入", 0.55, 200, 1200), ("土地流转", 0.12, 300, 2000),
                                ("入股分红", 0.08, 300, 2000), ("利息", 0.04, 20, 300), ("租金", 0.02, 1000, 5000)):
        if rng.random() < share:
            prop[item] = rng.uniform(lo, hi) * g
    trans: dict[str, float] = {}
    notes: dict[str, str] = {}

    def give(item: str, amount: float, note: str | None = None) -> None:
        if amount > 0:
            trans[item] = trans.get(item, 0) + amount
            if note:
                notes[item] = note

    dibao = [p for p in people if p.dibao]
    tekun = [p for p in people if p.tekun]
    give("低保金", sum(12 * rng.uniform(280, 460) for _ in dibao) * g ** 0.5, f"{len(dibao)}人享受农村低保")
    give("特困供养金", sum(rng.uniform(7000, 9500) for _ in tekun) * g ** 0.5, f"{len(tekun)}人特困供养")
    elders = [p for p in people if p.age >= 60]
    give("养老保险金", sum(12 * rng.uniform(130, 220) for _ in elders) * g ** 0.5, f"{len(elders)}人领取")
    give("高龄补贴", sum(12 * rng.uniform(50, 100) for p in people if p.age >= 80))
    disabled = [p for p in people if DISABLED in p.health]
    give("残疾补贴", sum(12 * rng.uniform(60, 120) * (2 if p.dis_grade in ("一级", "二级") else 1)
                     for p in disabled), f"{len(disabled)}人困难残疾人生活补贴和重度残疾人护理补贴")
    if h.family_planning:
        parents = [p for p in people if p.relation in ("户主", "配偶") and p.age >= 60]
        give("计划生育金", len(parents) * rng.choice((960, 1200, 1440)), "农村部分计划生育家庭奖励扶助")
    eco = float(hy["forest_mu"]) * rng.uniform(10, 16) + float(hy["returned_forest_mu"]) * rng.uniform(90, 160)
    give("生态补偿金", eco + float(hy["pasture_mu"]) * 7)
    if hy["arable_mu"] > 0 and rng.random() < 0.8:
        give("其他转移性收入", float(hy["arable_mu"]) * rng.uniform(60, 110), "耕地地力保护补贴")
    if len(people) <= 2 and elders and rng.random() < 0.5:
        give("赡养费", rng.uniform(1000, 5000) * g, "子女赡养")

    # Wages follow the members' work (the same monthly figure as their work records).
    def wage_total() -> float:
        return float(sum(p.job["monthly"] * p.job["months"] for p in workers))

    post_pay = float(sum(p.public_post["monthly"] * p.public_post["months"] for p in posts))
    fixed = post_pay + sum(prop.values()) + sum(trans.values())

    def total() -> float:
        return fixed + wage_total() + sum(gross * (1 - ratio) for gross, ratio in business.values())

    line = float(v.line)

    def business_net() -> float:
        return sum(gross * (1 - ratio) for gross, ratio in business.values())

    def raise_to(goal: float) -> None:
        """More work income, then more farming, then support from relatives, up to ``goal``."""
        need = goal - total()
        wages = wage_total()
        if need > 0 and wages > 0:
            factor = min(1.8, (wages + need) / wages)
            for p in workers:
                p.job["monthly"] = min(money(9000 * v.growth), money(float(p.job["monthly"]) * factor / 10) * 10)
            need = goal - total()
        if need > 0 and business:
            factor = min(3.0, (business_net() + need) / business_net())
            for row in business.values():
                row[0] *= factor
            need = goal - total()
        if need > 0:
            item = "赡养费" if any(p.age >= 45 for p in people) else "其他转移性收入"
            give(item, need + 50, "子女及亲属赡养、资助" if item == "赡养费" else "亲友资助")

    if h.mode == "ceiling":
        goal = h.target * pop
        excess = total() - goal
        if excess > 0 and workers:
            cut = max(0.35, 1 - excess / max(wage_total(), 1))
            for p in workers:
                p.job["monthly"] = max(Decimal(1500), money(float(p.job["monthly"]) * cut / 10) * 10)
            excess = total() - goal
        if excess > 0 and business:
            cut = max(0.2, 1 - excess / business_net())
            for row in business.values():
                row[0] *= cut
            excess = total() - goal
        for item in list(prop):
            if excess <= 0:
                break
            excess -= prop.pop(item)
            fixed = post_pay + sum(prop.values()) + sum(trans.values())
        raise_to(max(line * 0.57, 4100.0) * pop)  # never below the old 4000 line (SPEC §8.2 rule 33)
    elif not h.below:
        floor = line * (1.15 if h.removed else 1.1)
        if total() < floor * pop:
            raise_to((floor + line * rng.expovariate(2.2)) * pop)

    lines: list[dict] = []

    def add(category: str, item: str, amount: float | Decimal, note: str | None = None) -> None:
        value = amount if isinstance(amount, Decimal) else money(amount)
        if value > 0:
            counts = items[category].get(item, True)
            lines.append({"id": new_id(rng), "category": category, "item": item, "amount": value, "note": note,
                          "counts_toward_income": counts})

    for p in workers:
        w = p.job
        add(WAGE, "务工收入", w["monthly"] * w["months"], f"{p.name}：{w['place']}务工{w['months']}个月")
    for p in posts:
        post = p.public_post
        item = "公益性岗位工资" if not v.e4 else "行业部门公益岗" if post["type"] in FOREST_POSTS else "村级公益岗"
        add(WAGE, item, post["monthly"] * post["months"], f"{p.name}：{post['type']}{post['months']}个月")
    expense_item = {"种植业": "种植业支出", "养殖业": "养殖业支出", "林果业": "林果业支出",
                    "其他经营收入": "其他经营支出"}
    for item, (gross, ratio) in business.items():
        add(BUSINESS, item, gross)
        add(EXPENSE, expense_item[item], gross * ratio)
    for item, amount in prop.items():
        add(PROPERTY, item, amount)
    for item, amount in trans.items():
        add(TRANSFER, item, amount, notes.get(item))
    if h.temporary_aid:
        add(TRANSFER, "临时救助", rng.uniform(500, 3000), "不计入收入")
    if h.housing_now:
        add(TRANSFER, "危房改造补助", h.housing_now, "一次性补助，不计入收入")
    h.lines = lines

    # 合规自付支出 and 理赔收入 (E4): what illness costs after reimbursement.
    oop = 0.0
    for p in people:
        if ILL in p.health:
            oop += rng.uniform(20000, 80000) if h.sudden else rng.uniform(3000, 30000)
        elif CHRONIC in p.health:
            oop += rng.uniform(300, 4000)
    claims = rng.uniform(2000, 20000) if h.monitoring and "因病" in h.risks and rng.random() < 0.4 else 0
    fields = {"id": new_id(rng), "period_start": date(v.year, 1, 1), "period_end": date(v.year, 12, 31),
              "population": None, "claims_income": money(claims) if v.e4 else None,
              "compliant_oop_expense": money(oop) if v.e4 else None, "note": None}
    return IncomeData(fields=fields, lines=lines)
