"""花名册 (SPEC §5): a village roster, A4 landscape, one row per household, a subtotal after each
村民小组 and a total at the end; the column header repeats on every page. It is posted, so ID
numbers and phones are masked by default."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from reportlab.platypus import Flowable

from ..yearstatus import year_facts
from ..bundle import HouseholdData
from ..queries.register import RegisterChange, register_changes
from . import fmt
from .base import LANDSCAPE, FormRenderer, who
from .disclosure import Audience
from .document import EndSection
from .styles import LABEL_BG, Command

HEADER = ["序号", "村民|小组", "户编号", "户主|姓名", "户主|身份证号", "人口数", "户类型", "贫困户|属性", "脱贫|状态",
          "主要致贫原因/风险", "识别|年度", "脱贫|年度", "监测对象|类别", "帮扶|责任人", "联系|电话", "备注"]
# Filled rosters fit their columns to the content; these (points, for a 273 mm frame) are for the
# blank one. Long free text wraps in the flexible columns: causes and risks, helpers, notes.
WIDTHS = [22, 32, 82, 40, 92, 24, 40, 48, 78, 60, 26, 26, 56, 40, 58, 50]
FLEXIBLE = (1, 3, 9, 13, 15)  # a long group or head name wraps too, rather than squeezing ID numbers
CHANGE_HEADER = ["序号", "村民小组", "户编号", "户主姓名", "变更", "原因", "日期"]


class _Totals:
    def __init__(self) -> None:
        self.households = self.people = 0

    def add(self, people: int) -> None:
        self.households += 1
        self.people += people


class RosterForm(FormRenderer):
    key = "roster"
    title = "花名册"
    pagesize = LANDSCAPE
    audience = Audience.PUBLIC
    per_household = False
    # The year's 注销/恢复 for the change list; None: read from the store (the county sets its own).
    changes: list[RegisterChange] | None = None

    def document_story(self, households: Iterable[HouseholdData]) -> Iterator[Flowable]:
        rows: list[list[str]] = []
        extra: list[Command] = []
        village, group, group_totals, totals = None, None, _Totals(), _Totals()
        for hh in households:
            village = village or hh.fields.get("village_code")
            if rows and hh.fields.get("group_name") != group:
                self._subtotal(rows, extra, group, group_totals)
                group_totals = _Totals()
            group = hh.fields.get("group_name")
            people = len(hh.active_members())
            group_totals.add(people)
            totals.add(people)
            rows.append(self._row(totals.households, hh, people))
        if rows:
            self._subtotal(rows, extra, group, group_totals)
            self._subtotal(rows, extra, None, totals, label="合计")
        name = self.ctx.village_name(village) if village else ""
        yield from self.kit.title(f"{name}{self.title}", self.subtitle())
        # Signed at the top, as rosters are: a signature block after the last row can end up
        # alone on a page of its own.
        yield self.signatures(("制表人", "审核人"), inline=True, top=True)
        yield self.kit.grid(HEADER, rows, WIDTHS if self.ctx.blank or not rows else None, flexible=FLEXIBLE,
                            extra=extra, long=True, min_rows=18 if self.ctx.blank else 0,
                            empty="（没有符合条件的户）",
                            align={0: "CENTER", 5: "CENTER", 10: "CENTER", 11: "CENTER"})
        yield from self._change_list(village)
        yield EndSection(f"{name}{self.title}" if name else self.title)

    def _change_list(self, village: str | None) -> Iterator[Flowable]:
        """Households that left the register or came back this year: the roster's change list."""
        changes = self.changes
        if changes is None:
            conn = self.ctx.conn
            changes = register_changes(conn, village, self.ctx.year) if conn is not None and village else []
        if self.ctx.blank or not changes:
            return
        rows = [[str(n), fmt.text(c.group), fmt.text(c.number), fmt.text(c.head), c.what, fmt.text(c.reason),
                 fmt.text(c.on)] for n, c in enumerate(changes, start=1)]
        yield self.kit.heading(f"{self.ctx.year}年度变更情况（注销 {sum(c.what == '注销' for c in changes)} 户，"
                               f"恢复 {sum(c.what == '恢复' for c in changes)} 户）")
        yield self.kit.grid(CHANGE_HEADER, rows, None, flexible=(1, 3, 5), align={0: "CENTER", 4: "CENTER"})

    def blank_story(self) -> list[Flowable]:
        return list(self.document_story([]))

    def _row(self, n: int, hh: HouseholdData, people: int) -> list[str]:
        f, y, head, m = hh.fields, year_facts(hh.years, self.ctx.year), hh.head(), self.mask
        helpers = [hh.helpers.get(a.get("helper_id") or "", {}).get("name") for a in hh.assignments
                   if not a.get("end_on")]
        if head is None:
            self.ctx.problem(who(hh), "没有在册的户主")
        note = ""
        if y.get("risk_removed"):
            note = fmt.join("风险已消除", y.get("risk_removal_method"), sep="：")
        elif f.get("record_status") and f.get("record_status") != "在册":
            note = fmt.join(f.get("record_status"), f.get("left_reason"), sep="：")
        return [str(n), fmt.text(f.get("group_name")), fmt.text(f.get("national_hh_no")),
                fmt.text(head.fields.get("name")) if head else "",
                m.id(head.fields.get("id_no"), head.fields.get("id_type")) if head else "",
                str(people), fmt.text(y.get("household_type")), fmt.text(y.get("attribute")),
                fmt.text(f.get("poverty_status")),
                self.shown.text(fmt.join(y.get("main_cause"), y.get("risks"), sep="；")),
                fmt.text(f.get("identified_year")), fmt.text(f.get("exit_year")),
                fmt.text(y.get("monitoring_category")), "、".join(h for h in helpers if h),
                m.phone(f.get("phone")), note]

    @staticmethod
    def _subtotal(rows: list[list[str]], extra: list[Command], group: str | None, totals: _Totals,
                  label: str | None = None) -> None:
        text = f"{label or (group or '未分组') + ' 小计'}：{totals.households} 户 {totals.people} 人"
        rows.append([text] + [""] * (len(HEADER) - 1))
        r = len(rows)  # the table's row index: row 0 is the header
        extra += [("SPAN", (0, r), (-1, r)), ("BACKGROUND", (0, r), (-1, r), LABEL_BG),
                  ("ALIGN", (0, r), (-1, r), "LEFT")]
