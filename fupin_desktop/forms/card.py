"""帮扶明白卡 (SPEC §5): posted on the household's door, so it is a public form.

Masked (the default, disclosure.py) it shows no ID number, bank account or household phone in
clear and ties no health, disability, medical-aid or 低保 fact to a name: such measures print as
their category, count and sum, policies as head counts. The helper's phone is shown in clear: the
card exists so the family can call their helper. It fits one A4 side for up to 10 members and 20
measures: if the normal layout is too tall, it is laid out again in a smaller size; past that it
continues on the back, the signatures kept with the last section.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from reportlab.platypus import Flowable

from ..yearstatus import year_facts
from ..bundle import HouseholdData, MeasureData, MemberData
from . import fmt
from .base import FormRenderer, member_year
from .disclosure import Audience
from .document import BOTTOM, MARGIN
from .layout import Together, height
from .registration import INCOME
from .styles import CELL_SIZE, Item, Span, kit

SIZES = (CELL_SIZE, 7.5, 6.8)  # the normal cell size, then condensed ones, until the card fits a sheet

# (member_year column, policy name, is a health detail)
POLICIES = (
    ("resident_medical", "城乡居民基本医疗保险", False),
    ("employee_medical", "城镇职工基本医疗保险", False),
    ("critical_illness", "大病保险", False),
    ("commercial_medical", "商业补充医疗保险", False),
    ("medical_assistance", "医疗救助", True),
    ("other_health_aid", "其他健康扶贫", True),
    ("resident_pension", "城乡居民基本养老保险", False),
    ("dibao", "最低生活保障", False),
    ("tekun", "特困供养", False),
    ("accident_insurance", "人身意外保险补贴", False),
    ("yulu_plan", "雨露计划", False),
    ("public_post", "公益性岗位", False),
)
NOT_ENJOYED = {"", "否", "未享受", "不享受", "无"}


class CardForm(FormRenderer):
    key = "card"
    title = "帮扶明白卡"
    audience = Audience.PUBLIC

    def household_story(self, hh: HouseholdData) -> list[Flowable]:
        room = self.pagesize[1] - MARGIN - BOTTOM
        base = self.kit
        for size in SIZES:
            self.kit = kit(self.ctx.font, base.width, size)
            self.kit.unprintable = base.unprintable  # one report, whichever size is kept
            story = self._story(hh)
            if height(story, self.kit.width, room) <= room:
                break
        self.kit = base
        return story

    def _story(self, hh: HouseholdData) -> list[Flowable]:
        k, blank, year = self.kit, self.ctx.blank, self.ctx.year
        members = hh.active_members()
        if not blank:
            self.note_if_missing(hh, (
                (hh.head() is None, "没有在册的户主"),
                (not hh.assignments, "没有帮扶责任人"),
                (not any(m.fields.get("year") == year for m in hh.measures), f"没有 {year} 年度帮扶措施"),
            ))
        story: list[Flowable] = k.title(self.title, self.subtitle())
        story += [k.heading("一、家庭基本情况"), k.pairs(self._basics(hh), 2, write_room=blank)]
        story += [k.heading("二、家庭成员"), self._members(members, blank)]
        story += [Together([k.heading("三、帮扶责任人"), self._helpers(hh, blank)])]
        story += [k.heading(f"四、{'____' if blank else year} 年度帮扶措施"), self._measures(hh, blank)]
        story += [Together([k.heading("五、享受政策情况"), self._policies(members, blank)])]
        income = k.pairs(self._income(hh), 3, 0.55, write_room=blank)
        story.append(self.signed([k.heading("六、家庭收入情况（元）"), income], ("户主签字", "帮扶责任人签字"),
                                 inline=True))
        return story

    def _basics(self, hh: HouseholdData) -> list[Item]:
        f, y, m, head = hh.fields, year_facts(hh.years, self.ctx.year), self.mask, hh.head()
        place = " ".join(p for p in (self.ctx.village_name(f.get("village_code")), f.get("group_name")) if p)
        population = y.get("population") or (len(hh.active_members()) if f else None)
        return [
            ("户主姓名", fmt.text(head.fields.get("name")) if head else ""),
            ("户编号", fmt.text(f.get("national_hh_no"))),
            ("户主身份证号", m.id(head.fields.get("id_no"), head.fields.get("id_type")) if head else ""),
            ("联系电话", m.phone(f.get("phone"))),
            ("行政村/村民小组", place), ("家庭人口", fmt.text(population)),
            ("户类型", fmt.text(y.get("household_type"))), ("贫困户属性", fmt.text(y.get("attribute"))),
            ("脱贫状态", fmt.text(f.get("poverty_status"))), ("监测对象类别", fmt.text(y.get("monitoring_category"))),
            ("开户银行", fmt.text(f.get("bank_name"))), ("银行账号", m.bank(f.get("bank_account"))),
            Span("家庭住址", fmt.text(f.get("address"))),
            ("主要致贫原因", self.shown.text(fmt.text(y.get("main_cause")))),
            ("其他致贫原因", self.shown.text(fmt.text(y.get("other_causes")))),
            Span("致贫/返贫风险", self.shown.text(fmt.join(y.get("risks"), y.get("disaster_subtype")))),
        ]

    def _members(self, members: list[MemberData], blank: bool) -> Flowable:
        year, m = self.ctx.year, self.mask
        show_health = self.shown.private_detail
        rows = []
        for i, mem in enumerate(members, 1):
            p, my = mem.fields, member_year(mem, year)
            row = [str(p.get("seq") or i), fmt.text(p.get("name")), fmt.text(p.get("gender")),
                   fmt.text(p.get("relation")), fmt.age(p.get("birth_date"), year),
                   m.id(p.get("id_no"), p.get("id_type")),
                   fmt.text(my.get("education") or my.get("school_status")), fmt.text(my.get("labour_skill"))]
            rows.append(row + ([fmt.text(my.get("health"))] if show_health else []))
        header = ["序号", "姓名", "性别", "与户主|关系", "年龄", "身份证号", "文化程度/在校", "劳动|技能"]
        widths = [22, 50, 24, 52, 26, 100, 64, 70]
        if show_health:
            header, widths = header + ["健康状况"], widths + [64]
        return self.kit.grid(header, rows, widths, align={0: "CENTER", 2: "CENTER", 4: "CENTER"},
                             min_rows=8 if blank else 0)

    def _helpers(self, hh: HouseholdData, blank: bool) -> Flowable:
        rows = []
        for a in hh.assignments:
            if a.get("end_on"):
                continue  # the card names who helps now
            h = hh.helpers.get(a.get("helper_id") or "", {})
            rows.append([fmt.text(h.get("name")), fmt.text(h.get("unit_name")), fmt.text(h.get("position")),
                         fmt.text(h.get("phone"))])
        return self.kit.grid(["姓名", "帮扶|单位", "职务", "联系|电话"], rows, [5, 14, 6, 7],
                             min_rows=2 if blank else 0,
                             empty="（未落实帮扶责任人）")

    def _measures(self, hh: HouseholdData, blank: bool) -> Flowable:
        mine = [x for x in hh.measures if x.fields.get("year") == self.ctx.year]
        shown = [x for x in mine if not self.shown.hidden_measure(x.fields)]
        rows = [[fmt.join(x.fields.get("category"), x.fields.get("subcategory"), sep="/"),
                 fmt.text(x.fields.get("name")),
                 fmt.join(fmt.quantity(x.fields.get("scale")), x.fields.get("unit"), sep=""),
                 fmt.money(x.fields.get("amount")), fmt.text(x.fields.get("status"))] for x in shown]
        rows += _summed([x for x in mine if x not in shown])
        rows = [[str(i), *row] for i, row in enumerate(rows, 1)]
        return self.kit.grid(["序号", "措施|类别", "项目名称/内容", "规模/数量", "金额(元)", "状态"], rows,
                             [22, 150, 180, 44, 50, 32], align={0: "CENTER", 4: "RIGHT", 5: "CENTER"},
                             min_rows=4 if blank else 0, empty="（本年度无帮扶措施）")

    def _policies(self, members: list[MemberData], blank: bool) -> Flowable:
        rows = []
        for column, name, health in POLICIES:
            if health and not self.shown.private_detail:
                continue
            who = [fmt.text(mem.fields.get("name")) for mem in members
                   if _enjoys(member_year(mem, self.ctx.year).get(column))]
            if who or blank:
                # Public: who enjoys 低保 or medical insurance is nobody's business but the family's.
                rows.append([name, "、".join(who) if self.shown.private_detail or blank else f"{len(who)} 人"])
        if blank:
            # Two policies to a row, so the empty card still fits on one sheet.
            rows = [a + b for a, b in zip(rows[::2], rows[1::2] + [["", ""]])]
            return self.kit.grid(["政策", "享受人员"] * 2, rows, [10, 15, 10, 15], write_room=True)
        return self.kit.grid(["政策", "享受人员"], rows, [10, 30], empty="（无）")

    def _income(self, hh: HouseholdData) -> list[Item]:
        inc = hh.incomes.get(self.ctx.year)
        row = inc.fields if inc else {}
        items: list[Item] = [(label, fmt.money(row.get(col))) for col, label in INCOME[:8]]
        label, line = self.ctx.threshold(hh.fields.get("village_code"), self.ctx.year)
        items.append((label, "" if self.ctx.blank else fmt.money(line)))
        return items


def _summed(hidden: list[MeasureData]) -> list[list[str]]:
    """Measures a public card must not detail: one row per category, with their count and sum."""
    by_category: dict[str, list[Decimal]] = defaultdict(list)
    for x in hidden:
        by_category[fmt.text(x.fields.get("category")) or "其他"].append(x.fields.get("amount") or Decimal(0))
    return [[category, f"{category} {len(amounts)} 项（明细不公开）", "", fmt.money(sum(amounts, Decimal(0))), ""]
            for category, amounts in by_category.items()]


def _enjoys(value: object) -> bool:
    if value is None or value is False:
        return False
    return fmt.text(value) not in NOT_ENJOYED
