"""帮扶措施台账 (SPEC §4, §5): every measure of the year in the village, A4 landscape, grouped by
措施大类 (a heading row before each group, a subtotal after it) with a grand total and a summary
table (measures, households, funds, benefit) at the end."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from decimal import Decimal

from reportlab.platypus import Flowable

from ..bundle import HouseholdData
from . import fmt
from .base import LANDSCAPE, FormRenderer
from .disclosure import Audience
from .document import EndSection
from .layout import Together
from .styles import LABEL_BG, Command

HEADER = ["序号", "村民|小组", "户主|姓名", "受益|成员", "措施|小类", "项目名称/内容", "规模/数量", "扶持资金(元)",
          "资金|来源", "帮扶|单位", "责任人", "开始|日期", "完成|时限", "状态", "实际收益(元)"]
# The 大类 is the group heading, so it needs no column. Filled ledgers fit their columns to the
# content (the flexible ones wrap); these widths (points, 273 mm frame) are for the blank one.
WIDTHS = [22, 30, 38, 38, 104, 130, 36, 46, 58, 62, 34, 50, 50, 30, 46]
FLEXIBLE = (1, 2, 3, 4, 5, 9)  # long group and person names wrap too
AMOUNT, BENEFIT = 7, 14
UNSORTED = "（未填大类）"


class _Sum:
    def __init__(self) -> None:
        self.count, self.amount, self.benefit = 0, Decimal(0), Decimal(0)
        self.households: set[str] = set()

    def add(self, household: str, amount: Decimal | None, benefit: Decimal | None) -> None:
        self.count += 1
        self.households.add(household)
        self.amount += amount or 0
        self.benefit += benefit or 0


class LedgerForm(FormRenderer):
    key = "ledger"
    title = "帮扶措施台账"
    pagesize = LANDSCAPE
    # Internal: it names who receives which health, disability and 低保 measure (disclosure.py).
    audience = Audience.INTERNAL
    per_household = False

    def document_story(self, households: Iterable[HouseholdData]) -> Iterator[Flowable]:
        by_category: dict[str, list[list[str]]] = defaultdict(list)
        sums: dict[str, _Sum] = defaultdict(_Sum)
        village = None
        for hh in households:
            village = village or hh.fields.get("village_code")
            for row, category, amount, benefit in self._measure_rows(hh):
                by_category[category].append(row)
                sums[category].add(hh.id, amount, benefit)
        rows: list[list[str]] = []
        extra: list[Command] = []
        total = _Sum()
        for category in sorted(by_category, key=lambda c: (c == UNSORTED, c)):
            rows.append([category] + [""] * (len(HEADER) - 1))
            extra += [("SPAN", (0, len(rows)), (-1, len(rows))),
                      ("BACKGROUND", (0, len(rows)), (-1, len(rows)), LABEL_BG),
                      ("ALIGN", (0, len(rows)), (0, len(rows)), "LEFT")]
            for row in by_category[category]:
                rows.append([str(total.count + 1), *row])
                total.count += 1
            s = sums[category]
            self._total_row(rows, extra, f"{category} 小计：{s.count} 项，{len(s.households)} 户", s)
        if rows:
            total.households = set().union(*(s.households for s in sums.values()))
            total.amount = sum((s.amount for s in sums.values()), Decimal(0))
            total.benefit = sum((s.benefit for s in sums.values()), Decimal(0))
            self._total_row(rows, extra, f"合计：{total.count} 项，{len(total.households)} 户", total)
        name = self.ctx.village_name(village) if village else ""
        yield from self.kit.title(f"{name}{self.title}", self.subtitle())
        yield self.signatures(("制表人", "审核人"), inline=True, top=True)  # see roster.py
        yield self.kit.grid(HEADER, rows, WIDTHS if self.ctx.blank or not rows else None, flexible=FLEXIBLE,
                            extra=extra, long=True, min_rows=16 if self.ctx.blank else 0,
                            align={0: "CENTER", AMOUNT: "RIGHT", 13: "CENTER", BENEFIT: "RIGHT"},
                            empty="（本年度无帮扶措施）")
        if sums:
            yield Together([self.kit.heading("按措施大类汇总"), self._summary(sums, total)])
        yield EndSection(f"{name}{self.title}" if name else self.title)

    def blank_story(self) -> list[Flowable]:
        return list(self.document_story([]))

    def _measure_rows(self, hh: HouseholdData) -> Iterator[tuple[list[str], str, Decimal | None, Decimal | None]]:
        names = {m.fields.get("id"): m.fields.get("name") for m in hh.members}
        head = hh.head()
        for x in hh.measures:
            f = x.fields
            if f.get("year") != self.ctx.year:
                continue
            category = fmt.text(f.get("category")) or UNSORTED
            row = [fmt.text(hh.fields.get("group_name")), fmt.text(head.fields.get("name")) if head else "",
                   fmt.text(names.get(f.get("member_id"))), fmt.text(f.get("subcategory")),
                   fmt.text(f.get("name")), fmt.join(fmt.quantity(f.get("scale")), f.get("unit"), sep=""),
                   fmt.money(f.get("amount")), fmt.text(f.get("fund_source")), fmt.text(f.get("units")),
                   fmt.text(f.get("responsible")), fmt.day(f.get("start_on")), fmt.day(f.get("deadline")),
                   fmt.text(f.get("status")), fmt.money(f.get("actual_benefit"))]
            yield row, category, f.get("amount"), f.get("actual_benefit")

    @staticmethod
    def _total_row(rows: list[list[str]], extra: list[Command], text: str, s: _Sum) -> None:
        row = [""] * len(HEADER)
        row[0], row[AMOUNT], row[BENEFIT] = text, fmt.money(s.amount), fmt.money(s.benefit)
        rows.append(row)
        r = len(rows)
        extra += [("SPAN", (0, r), (AMOUNT - 1, r)), ("SPAN", (AMOUNT + 1, r), (BENEFIT - 1, r)),
                  ("BACKGROUND", (0, r), (-1, r), LABEL_BG), ("ALIGN", (0, r), (0, r), "LEFT")]

    def _summary(self, sums: dict[str, _Sum], total: _Sum) -> Flowable:
        rows = [[c, str(s.count), str(len(s.households)), fmt.money(s.amount), fmt.money(s.benefit)]
                for c, s in sorted(sums.items(), key=lambda kv: (kv[0] == UNSORTED, kv[0]))]
        rows.append(["合计", str(total.count), str(len(total.households)), fmt.money(total.amount),
                     fmt.money(total.benefit)])
        return self.kit.grid(["措施|大类", "措施|项数", "受益|户数", "扶持资金(元)", "实际收益(元)"], rows,
                             [8, 4, 4, 6, 6], align={1: "RIGHT", 2: "RIGHT", 3: "RIGHT", 4: "RIGHT"},
                             extra=[("BACKGROUND", (0, len(rows)), (-1, len(rows)), LABEL_BG)])
