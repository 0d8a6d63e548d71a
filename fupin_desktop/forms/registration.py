"""贫困户登记表 (SPEC §5): one household's whole file for the year, A4 portrait over as many pages
as the family needs; member tables repeat their header on every page they continue to."""

from __future__ import annotations

from typing import Any

from reportlab.platypus import Flowable

from ..yearstatus import year_facts
from ..bundle import HouseholdData, MemberData, Row
from ..model import column_label
from ..model.fields import (
    REG_BASICS,
    REG_CONDITIONS,
    REG_COVER,
    REG_GUARANTEES,
    REG_HEALTH,
    REG_PEOPLE,
    REG_RELOCATION,
    REG_WORK,
)
from ..model.income import BUSINESS, BUSINESS_EXPENSE, CATEGORIES, PROPERTY, TRANSFER, WAGE
from ..model.layouts import ColumnKey, printed, printed_grid
from ..reference import load_income_items
from . import fmt
from .base import FormRenderer, labelled, member_year
from .choices import cell_boxes, choices, legend
from .layout import Together
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
MEMBER_GRIDS = (("二、家庭成员情况", printed_grid(REG_PEOPLE)),
                ("家庭成员教育、健康与劳动", printed_grid(REG_HEALTH)),
                ("家庭成员务工与就业", printed_grid(REG_WORK)),
                ("家庭成员医疗、养老与社会保障", printed_grid(REG_COVER)))
BLANK_MEMBERS = 8  # the national form has room for eight members
# The national form's notes on filling in (指标说明), printed on the blank form.
FILLING_NOTES = ("填表说明：1. 有“□”的项目在符合的□内打“√”，未注明可多选的只选一项。"
                 "2. 证件号码填写公民身份号码；持残疾人证的可填写20位残疾人证号。"
                 "3. 主要致贫原因选一项，其他致贫原因最多选两项。"
                 "4. 家庭人口数为共同生活的户籍人口，应与在册成员人数一致。"
                 "5. 收入、支出以元为单位，保留两位小数；人均纯收入 = 家庭年纯收入 ÷ 家庭人口数。")


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
        if blank:
            story.append(k.para(FILLING_NOTES, "note"))
        story += [k.heading("一、户基本情况"), k.pairs(self._basics(hh), 2, write_room=blank)]
        story += self._members(members, blank)
        story += [Together([k.heading("三、生产生活条件"),
                                k.pairs(self._conditions(y), 3, 0.64, write_room=blank)])]
        story += [Together([k.heading("四、易地扶贫搬迁与两不愁三保障"),
                                k.pairs(self._relocation(hh, y), 3, 0.64, write_room=blank)])]
        story += [Together([k.heading(f"五、收入情况（{'____' if blank else year} 年度，单位：元）"),
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
        risks = fmt.join(y.get("risks"), y.get("disaster_subtype"), y.get("risk_note"))
        if self.ctx.blank:
            risks = choices("household_year", "risks", self.ctx.year)
        items.append(Span("致贫/返贫风险", risks))
        if f.get("change_note"):
            items.append(Span("变更情况说明", fmt.text(f.get("change_note"))))
        return items

    def _members(self, members: list[MemberData], blank: bool) -> list[Flowable]:
        """The member tables, one column per field placed on them (model/member.py); on the blank
        form eight empty rows with their yes/no boxes, and the longer answer lists underneath."""
        year, m = self.ctx.year, self.mask
        out: list[Flowable] = []
        for title, grid in MEMBER_GRIDS:
            rows: list[list[str]] = []
            for i, mem in enumerate(members, 1):
                p, my = mem.fields, member_year(mem, year)
                values = {"member": p, "member_year": my}
                shown = {"id_no": m.id(p.get("id_no"), p.get("id_type")), "phone": m.phone(p.get("phone"))}
                rows.append([str(p.get("seq") or i), fmt.text(p.get("name"))]
                            + [shown[c.column] if c.column in shown else fmt.text(values[c.table].get(c.column))
                               for c in grid])
            if blank:
                boxes = [cell_boxes(c.table, c.column, year) for c in grid]
                rows = [[str(n), "", *boxes] for n in range(1, BLANK_MEMBERS + 1)]
            heads = ["序号", "姓名", *(c.head for c in grid)]
            widths = [26, 50, *(c.width for c in grid)]
            out += [self.kit.heading(title),
                    self.kit.grid(heads, rows, widths, align={0: "CENTER"}, write_room=blank)]
            if blank and (note := legend([(c.table, c.column, column_label(c.table, c.column)) for c in grid],
                                         year)):
                out.append(self.kit.para(f"填写说明：{note}", "note"))
        return out

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
        items.append(("核算人口数", fmt.quantity(row.get("population"))))
        period = fmt.join(fmt.day(row.get("period_start")), fmt.day(row.get("period_end")), sep=" 至 ")
        items.append(Span("核算期间", period))
        items += self._income_lines(inc.lines if inc else [])
        items.append(Span("说明", "各项收入的逐项金额、是否计入及说明见《家庭收入核算表》"))
        return items

    def _income_lines(self, lines: list[Row]) -> list[Item]:
        """The national form's sub-lines under each category: the household's own lines, or on the
        blank form the county's list of items with room for the amount."""
        if self.ctx.blank:
            return [Span(f"{category}明细", "  ".join(f"{item}______元" for item, _counts in items))
                    for category, items in load_income_items()["categories"].items()]
        out: list[Item] = []
        for category in CATEGORIES:
            mine = [ln for ln in lines if ln.get("category") == category]
            if mine:
                out.append(Span(f"{category}明细", "；".join(
                    fmt.join(ln.get("item"), fmt.money(ln.get("amount")), sep=" ")
                    + ("（不计入）" if ln.get("counts_toward_income") is False else "") for ln in mine)))
        return out

    def _helpers(self, hh: HouseholdData, blank: bool) -> list[Flowable]:
        rows = []
        for a in sorted(hh.assignments, key=lambda a: (a.get("start_on") is None, a.get("start_on"))):
            h = hh.helpers.get(a.get("helper_id") or "", {})
            rows.append([YN(h.get("name")), YN(h.get("gender")), YN(h.get("political_status")),
                         YN(h.get("unit_name")), YN(h.get("unit_address")), YN(h.get("unit_affiliation")),
                         YN(h.get("position")),
                         YN(h.get("phone")),
                         fmt.join(fmt.day(a.get("start_on")), fmt.day(a.get("end_on")), sep=" 至 ")])
        heads = ["姓名", "性别", "政治|面貌", "帮扶|单位", "单位|地址", "隶属|关系", "职务", "联系|电话",
                 "帮扶|起止时间"]
        table = self.kit.grid(heads, rows, [5, 2.6, 4.4, 10, 10, 4, 4.6, 7, 10], align={1: "CENTER"},
                              min_rows=2 if blank else 0,
                              empty="（未落实帮扶责任人）")
        return [Together([self.kit.heading("六、帮扶责任人"), table])]

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

