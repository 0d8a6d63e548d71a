"""收入核算表 (SPEC §2, §5): one household's accounting for one year, every line item, the
category subtotals, the per-capita result and the line it is judged against."""

from __future__ import annotations

from decimal import Decimal

from reportlab.platypus import Flowable

from ..bundle import HouseholdData, Row
from ..income import standing
from ..model.income import BUSINESS_EXPENSE, CATEGORIES
from ..reference import adds_claims, load_income_items, rule_number
from ..validation.rules.expense import RANGE_PARAM
from ..yearstatus import status_of
from . import fmt
from .base import FormRenderer
from .styles import LABEL_BG, Command, Item, Span

WORKING = {"普通劳动力", "技能劳动力", "弱劳动力或半劳动力"}


class IncomeForm(FormRenderer):
    key = "income"
    title = "家庭收入核算表"

    def household_story(self, hh: HouseholdData) -> list[Flowable]:
        k, blank, year = self.kit, self.ctx.blank, self.ctx.year
        inc = hh.incomes.get(year)
        if not blank:
            self.note_if_missing(hh, (
                (inc is None, f"缺少 {year} 年度收入核算"),
                (inc is not None and not inc.lines, f"{year} 年度收入核算没有明细"),
            ))
        row = inc.fields if inc else {}
        story: list[Flowable] = k.title(self.title, self.subtitle())
        story += [k.heading("一、基本情况"), k.pairs(self._basics(hh, row), 2, write_room=blank)]
        story += [k.heading("二、收支明细（单位：元）"), self._lines(inc.lines if inc else [], blank)]
        claims = " + 理赔收入" if self._adds(hh) else ""
        result = [k.heading("三、核算结果（单位：元）"), k.pairs(self._result(hh, row), 2, 0.5, write_room=blank),
                  k.para("家庭年收入 = 工资性收入 + 生产经营性收入 + 财产性收入 + 转移性收入；"
                         "家庭年纯收入 = 家庭年收入 − 生产经营性支出；"
                         "人均纯收入 = 家庭年纯收入 ÷ 核算人口数；"
                         f"扣除刚性支出后人均收入 = （家庭年纯收入 − 刚性支出{claims}）÷ 核算人口数，"
                         "刚性支出无明细时取合规自付支出。标注“不计入”的项目不计入收入。",
                         "note")]
        story.append(self.signed(result, ("户主签字", "帮扶干部", "村党组织书记", "驻村第一书记")))
        return story

    def _basics(self, hh: HouseholdData, row: Row) -> list[Item]:
        f, y, head = hh.fields, hh.years.get(self.ctx.year, {}), hh.head()
        members = hh.active_members()
        labour = sum(1 for m in members if m.years.get(self.ctx.year, {}).get("labour_skill") in WORKING)
        place = " ".join(p for p in (self.ctx.village_name(f.get("village_code")), f.get("group_name")) if p)
        period = fmt.join(fmt.day(row.get("period_start")), fmt.day(row.get("period_end")), sep=" 至 ")
        return [
            ("户主姓名",
             fmt.text(head.fields.get("name")) if head else ""), ("户编号", fmt.text(f.get("national_hh_no"))),
            ("行政村/村民小组", place), ("核算人口数", fmt.text(row.get("population"))),
            ("在册人数", str(len(members)) if f else ""), ("劳动力人数", str(labour) if f else ""),
            ("耕地面积(亩)", fmt.text(y.get("arable_mu"))), ("林地面积(亩)", fmt.text(y.get("forest_mu"))),
            Span("核算期间", period),
        ]

    def _lines(self, lines: list[Row], blank: bool) -> Flowable:
        if blank:
            lines = [{"category": c, "item": item, "counts_toward_income": counts}
                     for c, items in load_income_items()["categories"].items() for item, counts in items]
        rows: list[list[str]] = []
        extra: list[Command] = []
        n = 0
        for category in CATEGORIES:
            mine = [ln for ln in lines if ln.get("category") == category]
            if not mine:
                continue
            subtotal = Decimal(0)
            for ln in mine:
                n += 1
                counts = ln.get("counts_toward_income", True) is not False
                if counts and ln.get("amount") is not None:
                    subtotal += Decimal(str(ln["amount"]))
                rows.append([str(n), category, fmt.text(ln.get("item")), fmt.money(ln.get("amount")),
                             "计入" if counts else "不计入", fmt.text(ln.get("note"))])
            rows.append(["", f"{category}小计", "", "" if blank else fmt.money(subtotal), "", ""])
            extra += [("BACKGROUND", (0, len(rows)), (-1, len(rows)), LABEL_BG),
                      ("SPAN", (1, len(rows)), (2, len(rows)))]
        unknown = [ln for ln in lines if ln.get("category") not in CATEGORIES]
        for ln in unknown:
            n += 1
            rows.append([str(n), fmt.text(ln.get("category")), fmt.text(ln.get("item")), fmt.money(ln.get("amount")),
                         "未归类", fmt.text(ln.get("note"))])
        if not rows:
            rows = [["", "（无明细）", "", "", "", ""]]
        return self.kit.grid(["序号", "类别", "项目", "金额(元)", "是否计入", "说明"], rows, [2.6, 9, 11, 6, 4, 14],
                             align={0: "CENTER", 3: "RIGHT", 4: "CENTER"}, extra=extra, write_room=blank)

    def _adds(self, hh: HouseholdData) -> bool:
        """Whether 理赔收入 is added back after the 刚性支出 (a rule parameter of the province and year)."""
        return adds_claims(self.ctx.year, hh.fields.get("village_code"))

    def _result(self, hh: HouseholdData, row: Row) -> list[Item]:
        year = self.ctx.year
        village = hh.fields.get("village_code")
        label, line = self.ctx.threshold(village, year)
        province = (village or "00")[:2]
        st = standing(row, None, line, self._adds(hh))
        category = status_of(hh.years, year).get("monitoring_category") or ""
        ratio = rule_number(RANGE_PARAM[category], year=year, province=province) if category in RANGE_PARAM else None
        upper = line * ratio if line is not None and ratio is not None else None
        money = fmt.money
        return [
            ("工资性收入", money(row.get("wage_income"))), ("生产经营性收入", money(row.get("business_income"))),
            ("财产性收入", money(row.get("property_income"))), ("转移性收入", money(row.get("transfer_income"))),
            ("家庭年收入", money(row.get("total_income"))), (BUSINESS_EXPENSE, money(row.get("business_expense"))),
            ("家庭年纯收入", money(row.get("net_income"))), ("核算人口数", fmt.text(row.get("population"))),
            ("家庭年人均纯收入", money(row.get("per_capita_net"))),
            (f"{label}（元/人/年）", "" if self.ctx.blank else money(line)),
            ("理赔收入", money(row.get("claims_income"))), ("合规自付支出", money(row.get("compliant_oop_expense"))),
            ("刚性支出", money(st.rigid)), ("扣除刚性支出后人均收入", money(st.after_rigid if st.rigid else None)),
            ("监测对象类别", fmt.text(category)),
            ("收入参考范围（元/人/年）", f"不超过{money(upper)}" if upper is not None and not self.ctx.blank else ""),
            Span("结论", st.verdict(label)), Span("说明", fmt.text(row.get("note"))),
        ]
