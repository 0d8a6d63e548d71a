"""贫困户登记表 (SPEC §5): one household's whole file for the year, A4 portrait over as many pages
as the family needs; member tables repeat their header on every page they continue to."""

from __future__ import annotations

from typing import Any

from reportlab.platypus import Flowable, KeepTogether

from ..yearstatus import year_facts
from ..bundle import HouseholdData, MemberData, Row
from ..model.fields import REG_BASICS, REG_CONDITIONS, REG_GUARANTEES, REG_RELOCATION
from ..model.income import BUSINESS, BUSINESS_EXPENSE, PROPERTY, TRANSFER, WAGE
from ..model.layouts import ColumnKey, printed
from . import fmt
from .base import FormRenderer, labelled, member_year
from .choices import choices
from .styles import Item, Span

# The label–value lists come from the columns' declarations (model/fields.py); the rest is laid out here.
BASICS = printed(REG_BASICS)
CONDITIONS = printed(REG_CONDITIONS)
RELOCATION = printed(REG_RELOCATION)
GUARANTEES = printed(REG_GUARANTEES)
INCOME = (("wage_income", WAGE), ("business_income", BUSINESS), ("property_income", PROPERTY),
          ("transfer_income", TRANSFER), ("business_expense", BUSINESS_EXPENSE), ("total_income", "家庭年收入"),
          ("net_income", "家庭年纯收入"), ("per_capita_net", "家庭年人均纯收入"),
          ("claims_income", "理赔收入"), ("compliant_oop_expense", "合规自付支出"))
YN = fmt.text


class RegistrationForm(FormRenderer):
    key = "registration"
    title = "贫困户登记表"

    def household_story(self, hh: HouseholdData) -> list[Flowable]:
        year, k, blank = self.ctx.year, self.kit, self.ctx.blank
        y = hh.years.get(year, {})
        members = hh.active_members()
        if not blank:
            self.note_if_missing(hh, (
                (hh.head() is None, "没有在册的户主"),
                (not members, "没有在册的家庭成员"),
                (not y, f"缺少 {year} 年度户信息（致贫原因、生产生活条件）"),
                (year not in hh.incomes, f"缺少 {year} 年度收入核算"),
            ))
        story: list[Flowable] = k.title(self.title, self.subtitle())
        story += [k.heading("一、户基本情况"), k.pairs(self._basics(hh), 2, write_room=blank)]
        story += self._members(members, blank)
        story += [KeepTogether([k.heading("三、生产生活条件"),
                                k.pairs(self._conditions(y), 3, 0.64, write_room=blank)])]
        story += [KeepTogether([k.heading("四、易地扶贫搬迁与两不愁三保障"),
                                k.pairs(self._relocation(hh, y), 3, 0.64, write_room=blank)])]
        story += [KeepTogether([k.heading(f"五、收入情况（{'____' if blank else year} 年度，单位：元）"),
                                k.pairs(self._income(hh), 3, 0.6, write_room=blank)])]
        story += self._helpers(hh, blank)
        heading, table = self._measures(hh, blank)
        story += [self.signed([heading, table], ("户主签字", "信息采集人", "审核人", "村委会（盖章）"))]
        return story

    # ---- sections -------------------------------------------------------------------------
    def _basics(self, hh: HouseholdData) -> list[Item]:
        f, y, m = hh.fields, year_facts(hh.years, self.ctx.year), self.mask
        head = hh.head()
        place = " ".join(p for p in (self.ctx.village_name(f.get("village_code")), f.get("group_name")) if p)
        items: list[Item] = [
            ("户主姓名", fmt.text(head.fields.get("name")) if head else ""),
            ("户编号", fmt.text(f.get("national_hh_no"))),
            ("户主证件号码", m.id(head.fields.get("id_no"), head.fields.get("id_type")) if head else ""),
            ("行政村/村民小组", place),
            Span("家庭住址", fmt.text(f.get("address"))),
            ("联系电话", m.phone(f.get("phone"))),
            ("开户银行", fmt.text(f.get("bank_name"))),
            ("银行账号", m.bank(f.get("bank_account"))),
            ("信息采集人", fmt.join(f.get("collector_name"), m.phone(f.get("collector_phone")))),
        ]
        shown = {"monitoring_since": fmt.year_month(f.get("monitoring_since")),
                 "risk_removed_at": fmt.year_month(y.get("risk_removed_at")),
                 "monitoring_contact_phone": m.phone(f.get("monitoring_contact_phone"))}
        items += self._labelled({"household": f, "household_year": y}, BASICS, shown)
        items.append(Span("致贫/返贫风险", fmt.join(y.get("risks"), y.get("disaster_subtype"), y.get("risk_note"))))
        if f.get("change_note"):
            items.append(Span("变更情况说明", fmt.text(f.get("change_note"))))
        return items

    def _members(self, members: list[MemberData], blank: bool) -> list[Flowable]:
        k, year, m = self.kit, self.ctx.year, self.mask
        rows_a, rows_b, rows_c = [], [], []
        for i, mem in enumerate(members, 1):
            p, my = mem.fields, member_year(mem, year)
            no, name = str(p.get("seq") or i), fmt.text(p.get("name"))
            rows_a.append([no, name, YN(p.get("gender")), YN(p.get("id_type")), m.id(p.get("id_no"), p.get("id_type")),
                           fmt.day(p.get("birth_date")), YN(p.get("relation")), YN(p.get("ethnicity")),
                           YN(p.get("political_status")), m.phone(p.get("phone"))])
            disability = fmt.join(my.get("disability_category"), my.get("disability_grade"), sep="/")
            rows_b.append([no, name, YN(my.get("education")), YN(my.get("school_status")),
                           YN(my.get("out_of_school_reason")), YN(my.get("health")), disability,
                           YN(my.get("labour_skill")), YN(my.get("speaks_mandarin")), YN(my.get("active_soldier"))])
            rows_c.append([no, name, YN(my.get("work_status")), YN(my.get("work_months")),
                           fmt.join(my.get("work_place"), my.get("work_company")), YN(my.get("resident_medical")),
                           YN(my.get("employee_medical")), YN(my.get("critical_illness")),
                           YN(my.get("commercial_medical")), YN(my.get("resident_pension")), YN(my.get("dibao")),
                           YN(my.get("tekun")), fmt.join(my.get("public_post"), my.get("public_post_months")),
                           YN(my.get("yulu_plan"))])
        fill = 8 if blank else 0  # the national form has room for eight members
        centre = {0: "CENTER"}
        return [
            k.heading("二、家庭成员情况"),
            k.grid(["序号", "姓名", "性别", "证件|类型", "证件|号码", "出生|日期", "与户主|关系", "民族", "政治|面貌",
                    "联系|电话"], rows_a, [22, 50, 24, 44, 100, 54, 52, 42, 54, 63], align=centre, min_rows=fill),
            k.heading("家庭成员教育、健康与劳动"),
            k.grid(["序号", "姓名", "文化|程度", "在校生|状况", "失学或|辍学原因", "健康|状况", "残疾类别/等级",
                    "劳动|技能", "会讲|普通话", "现役|军人"], rows_b, [22, 50, 60, 62, 48, 68, 48, 80, 36, 36],
                   align=centre, min_rows=fill),
            k.heading("家庭成员务工与社会保障"),
            k.grid(["序号", "姓名", "务工|状况", "务工|时间(月)", "务工所在地/企业", "城乡|居民|医保", "职工|医保",
                    "大病|保险", "商业|补充|医疗", "居民|养老|保险", "享受|低保", "特困|供养", "公益|岗位(月数)",
                    "雨露|计划"],
                   rows_c, [26, 44, 40, 34, 96, 32, 32, 32, 32, 32, 32, 32, 38, 28],
                   align=centre, min_rows=fill),
        ]

    def _labelled(self, rows: dict[str, Row], columns: list[ColumnKey], shown: dict[str, Any] | None = None
                  ) -> list[Item]:
        """The fields' labels and values; on the blank form, their answers as boxes to tick."""
        if self.ctx.blank:
            shown = {c: choices(t, c, self.ctx.year) for t, c in columns}
        return labelled(rows, columns, shown)

    def _conditions(self, y: Row) -> list[Item]:
        items = self._labelled({"household_year": y}, CONDITIONS,
                               {"sanitary_toilet": fmt.have(y.get("sanitary_toilet"))})
        items.append(Span("牲畜存栏", fmt.text(y.get("livestock"))))
        return items

    def _relocation(self, hh: HouseholdData, y: Row) -> list[Item]:
        f, rows = hh.fields, {"household": hh.fields, "household_year": y}
        items = self._labelled(rows, RELOCATION)
        items.append(Span("安置地址", fmt.join(y.get("relocation_address"), f.get("relocation_site_address"))))
        items += self._labelled(rows, GUARANTEES)
        items.append(Span("两不愁三保障佐证说明", fmt.text(y.get("guarantee_evidence"))))
        return items

    def _income(self, hh: HouseholdData) -> list[Item]:
        inc = hh.incomes.get(self.ctx.year)
        row = inc.fields if inc else {}
        items: list[Item] = [(label, fmt.money(row.get(col))) for col, label in INCOME]
        items.append(("核算人口数", fmt.text(row.get("population"))))
        period = fmt.join(fmt.day(row.get("period_start")), fmt.day(row.get("period_end")), sep=" 至 ")
        items.append(Span("核算期间", period))
        return items

    def _helpers(self, hh: HouseholdData, blank: bool) -> list[Flowable]:
        rows = []
        for a in sorted(hh.assignments, key=lambda a: (a.get("start_on") is None, a.get("start_on"))):
            h = hh.helpers.get(a.get("helper_id") or "", {})
            rows.append([YN(h.get("name")), YN(h.get("gender")), YN(h.get("political_status")),
                         YN(h.get("unit_name")), YN(h.get("unit_affiliation")), YN(h.get("position")),
                         YN(h.get("phone")),
                         fmt.join(fmt.day(a.get("start_on")), fmt.day(a.get("end_on")), sep=" 至 ")])
        heads = ["姓名", "性别", "政治|面貌", "帮扶|单位", "隶属|关系", "职务", "联系|电话", "帮扶|起止时间"]
        table = self.kit.grid(heads, rows, [5, 2.6, 4.4, 12, 4, 4.6, 7, 10], align={1: "CENTER"},
                              min_rows=2 if blank else 0,
                              empty="（未落实帮扶责任人）")
        return [KeepTogether([self.kit.heading("六、帮扶责任人"), table])]

    def _measures(self, hh: HouseholdData, blank: bool) -> list[Flowable]:
        year = self.ctx.year
        rows = [[YN(x.fields.get("category")), YN(x.fields.get("subcategory")), YN(x.fields.get("name")),
                 fmt.join(fmt.quantity(x.fields.get("scale")), x.fields.get("unit"), sep=""),
                 fmt.money(x.fields.get("amount")), YN(x.fields.get("fund_source")), YN(x.fields.get("responsible")),
                 YN(x.fields.get("status"))]
                for x in hh.measures if x.fields.get("year") == year]
        table = self.kit.grid(["措施|大类", "措施|小类", "项目名称/内容", "规模/数量", "扶持资金(元)", "资金|来源",
                               "责任人", "状态"], rows, [6, 6, 14, 5, 5.5, 6.5, 4.5, 3.5],
                              align={4: "RIGHT", 7: "CENTER"}, min_rows=4 if blank else 0, empty="（本年度无帮扶措施）")
        title = f"七、帮扶措施（{'____' if blank else year} 年度）"
        return [self.kit.heading(title), table]

