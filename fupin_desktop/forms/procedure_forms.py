"""The monitoring procedure on paper (SPEC §6): the 公示名单 posted in the village, the 申请及承诺授权书
a household signs, and the procedure record sheet kept in the household's file.

The 公示名单 is a public form (disclosure.py): it names heads of household, their group and family
size, the procedure and its dates, and nothing else — no ID, phone or bank number, no health or
低保 fact (a note that mentions one prints as "（不公开）"). The two others are internal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date

from reportlab.platypus import Flowable, Spacer

from ..bundle import HouseholdData, Row
from ..reference import ParamRow, store_params
from ..procedure import (
    IDENTIFY, KINDS, PUBLICITY, REQUIRED, REVIEW, STEPS, STOPPED, as_day, limits, procedure_state,
)
from . import fmt
from .base import FormRenderer, who
from .disclosure import HIDDEN, Audience
from .document import EndSection
from .styles import Item, Span

PROCEDURE_PARTS = frozenset({"members", "procedures", "procedure_steps", "warnings"})
CONSENT_TEXT = (
    "本户自愿申请纳入防止返贫致贫监测对象（或申请相关帮扶），并郑重承诺："
    "一、所填报的家庭人口、收入、财产、支出等信息真实、完整，如有隐瞒或虚报，愿意承担相应责任并退还所获帮扶；"
    "二、授权民政、人社、医保、教育、住建、残联、公安、自然资源、市场监管、税务、金融等部门和机构，"
    "依法查询、核对本户成员的收入、财产、社会保障、就医就学等信息，查询结果仅用于监测识别和帮扶；"
    "三、家庭情况发生变化时及时向村委会报告，配合入户核实、民主评议和公示。")


# A run of seven or more digits (with spaces or dashes between them) in free text may be an ID, phone or
# bank number: a public list never prints one.
_NUMBER = re.compile(r"[0-9Xx]([0-9Xx \-]{5,})[0-9Xx]")
_HIDDEN_RUN = re.compile(f"{re.escape(HIDDEN)}(?:[，,、；;/ ]*{re.escape(HIDDEN)})+")


def public_note(shown_text: str) -> str:
    """A note as a public list may show it: numbers hidden, and one "（不公开）" for a run of hidden items."""
    hidden = _NUMBER.sub(lambda m: HIDDEN if sum(c.isdigit() for c in m.group(0)) >= 7 else m.group(0), shown_text)
    return _HIDDEN_RUN.sub(HIDDEN, hidden)


def _steps_of(hh: HouseholdData, procedure_id: str) -> dict[str, Row]:
    return {s["step"]: s for s in hh.procedure_steps if s.get("procedure_id") == procedure_id}


class PublicityForm(FormRenderer):
    """公示名单 for a village and a period: the procedures whose 民主评议 or 村内公示 fell in it."""

    key = "publicity"
    title = "公示名单"
    audience = Audience.PUBLIC
    per_household = False
    parts = PROCEDURE_PARTS
    dated = True

    def period(self) -> tuple[date, date]:
        return self.ctx.period or (date(self.ctx.year, 1, 1), min(date(self.ctx.year, 12, 31), self.ctx.printed_on))

    def in_period(self, steps: dict[str, Row]) -> tuple[Row | None, Row | None] | None:
        start, end = self.period()
        review, posted = steps.get(REVIEW), steps.get(PUBLICITY)
        days = [as_day(r.get("done_on")) for r in (review, posted) if r]
        return (review, posted) if any(d is not None and start <= d <= end for d in days) else None

    def document_story(self, households: Iterable[HouseholdData]) -> Iterator[Flowable]:
        by_kind: dict[str, list[list[str]]] = {k: [] for k in KINDS}
        village = None
        for hh in households:
            village = village or hh.fields.get("village_code")
            for proc in hh.procedures:
                found = self.in_period(_steps_of(hh, proc["id"]))
                if found is not None and proc.get("kind") in by_kind:
                    by_kind[proc["kind"]].append(self._row(hh, proc, *found))
        name = self.ctx.village_name(village) if village else ""
        start, end = self.period()
        yield from self.kit.title(f"{name}防止返贫致贫监测{self.title}",
                                  "（______ 年 ____ 月 ____ 日 至 ____ 月 ____ 日）" if self.ctx.blank
                                  else f"（{start} 至 {end}）")
        yield self.kit.para("经农户申请（或干部排查、部门预警）、入户核实、村级民主评议，现将以下户予以公示。"
                            "公示期间如有异议，请向村委会或乡镇反映（可实名或匿名）。", "note")
        for kind in KINDS:
            rows = by_kind[kind]
            if not rows and not self.ctx.blank and any(by_kind.values()):
                continue
            for n, row in enumerate(rows, start=1):
                row[0] = str(n)
            yield self.kit.heading(f"{kind}公示名单（{len(rows)} 户）" if not self.ctx.blank else f"{kind}公示名单")
            yield self.kit.grid(["序号", "村民小组", "户主姓名", "人口", "评议日期", "评议结果", "公示期", "备注"],
                                rows, (4, 7, 7, 4, 9, 10, 15, 16), min_rows=6 if self.ctx.blank else 0,
                                empty="（本期没有公示的户）", align={0: "CENTER", 3: "CENTER"})
            yield Spacer(1, 3)
        yield self.signatures(("村民委员会（盖章）", "监督电话"))
        yield EndSection(f"{name}{self.title}" if name else self.title)

    def blank_story(self) -> list[Flowable]:
        return list(self.document_story([]))

    def _row(self, hh: HouseholdData, proc: Row, review: Row | None, posted: Row | None) -> list[str]:
        head = hh.head()
        period = fmt.join(fmt.day(as_day((posted or {}).get("done_on"))),
                          fmt.day(as_day((posted or {}).get("end_on"))), sep=" 至 ") if posted else "（待公示）"
        # Both are free text a clerk typed: what a public list may not show is hidden in either.
        note = public_note(self.shown.text(fmt.text(proc.get("note"))))
        result = public_note(self.shown.text(fmt.text((review or {}).get("result"))))
        return ["", fmt.text(hh.fields.get("group_name")), fmt.text(head.fields.get("name")) if head else "",
                str(len(hh.active_members())), fmt.day(as_day((review or {}).get("done_on"))), result, period, note]


class ConsentForm(FormRenderer):
    """申请及承诺授权书, the household's members filled in, each with a place to sign."""

    key = "consent"
    title = "防止返贫致贫监测申请及承诺授权书"
    parts = PROCEDURE_PARTS

    def household_story(self, hh: HouseholdData) -> list[Flowable]:
        k, f, head = self.kit, hh.fields, hh.head()
        place = " ".join(p for p in (self.ctx.village_name(f.get("village_code")), f.get("group_name")) if p)
        story: list[Flowable] = k.title(self.title)
        basics: list[Item] = [("户主姓名", fmt.text(head.fields.get("name")) if head else ""),
                              ("户编号", fmt.text(f.get("national_hh_no"))), ("行政村/村民小组", place),
                              ("联系电话", self.mask.phone(f.get("phone"))),
                              Span("申请事由", self._reason(hh))]
        story += [k.heading("一、申请人家庭情况"), k.pairs(basics, 2, write_room=True)]
        rows = [[str(i), fmt.text(m.fields.get("name")), fmt.text(m.fields.get("relation")),
                 self.mask.id(m.fields.get("id_no"), m.fields.get("id_type")), ""]
                for i, m in enumerate(hh.active_members(), start=1)]
        story += [k.heading("二、家庭成员（授权人）"),
                  k.grid(["序号", "姓名", "与户主关系", "身份证号", "本人签字（按手印）"], rows, (3, 8, 8, 16, 14),
                         min_rows=6 if self.ctx.blank or not rows else 0, write_room=True)]
        last = [k.heading("三、承诺及授权"), k.para(CONSENT_TEXT)]
        story.append(self.signed(last, ("户主签字（按手印）", "受理人（村）")))
        return story

    @staticmethod
    def _reason(hh: HouseholdData) -> str:
        """The note of the household's latest 识别纳入 (the form is signed when one starts)."""
        started = sorted((p for p in hh.procedures if p.get("kind") == IDENTIFY),
                         key=lambda p: str(p.get("discovered_on")))
        return fmt.text(started[-1].get("note")) if started else ""


class ProcedureForm(FormRenderer):
    """监测程序记录表: each procedure of the household with every step, its date, result and recorder."""

    key = "procedure"
    title = "防止返贫致贫监测程序记录表"
    parts = PROCEDURE_PARTS
    _rows: tuple[ParamRow, ...] | None = None

    def household_story(self, hh: HouseholdData) -> list[Flowable]:
        k, f, head = self.kit, hh.fields, hh.head()
        story: list[Flowable] = k.title(self.title)
        story.append(k.pairs([("户主姓名", fmt.text(head.fields.get("name")) if head else ""),
                              ("户编号", fmt.text(f.get("national_hh_no"))),
                              ("村民小组", fmt.text(f.get("group_name"))),
                              ("家庭人口", str(len(hh.active_members())) if f else "")], 2))
        procedures = sorted(hh.procedures, key=lambda p: str(p.get("discovered_on")))
        if not procedures and not self.ctx.blank:
            self.ctx.problem(who(hh), "本户没有监测程序记录")
            story.append(k.para("（本户没有监测程序记录）", "note"))
        for n, proc in enumerate(procedures or [{}], start=1):
            story += self._procedure(hh, n, proc)
        warnings = [[fmt.text(w.get("department")), fmt.day(as_day(w.get("warned_on"))), fmt.text(w.get("warning")),
                     fmt.text(w.get("disposition")) or "待处置", fmt.text(w.get("reason"))] for w in hh.warnings]
        if warnings:
            story += [k.heading("部门预警及处置"),
                      k.grid(["预警部门", "预警日期", "预警内容", "处置结果", "理由"], warnings, (6, 7, 16, 7, 14))]
        story.append(self.signatures(("村党组织书记", "驻村第一书记", "乡镇审核人")))
        return story

    def _params(self) -> tuple[ParamRow, ...] | None:
        """The store's parameters with the county's values (the judge's deadlines), read once a job."""
        if self._rows is None and self.ctx.conn is not None:
            self._rows = store_params(self.ctx.conn)
        return self._rows

    def _procedure(self, hh: HouseholdData, n: int, proc: Row) -> list[Flowable]:
        k = self.kit
        steps = _steps_of(hh, proc.get("id") or "")
        state = None
        if proc.get("id"):
            state = procedure_state(proc, list(steps.values()),
                                    limits((hh.fields.get("village_code") or "00")[:2], proc.get("year"),
                                           self._params()),
                                    self.ctx.printed_on)
        status = ""
        if proc.get("status") == STOPPED:  # the judge counts a stopped procedure as closed; the file says which
            status = STOPPED
        elif state is not None:
            status = state.state + (f"，下一环节“{state.next_step}”应于 {state.due} 前完成"
                                    if state.open and state.due else "")
        head: list[Item] = [
            ("程序类型", fmt.text(proc.get("kind"))), ("发现渠道", fmt.text(proc.get("channel"))),
            ("发现（启动）日期", fmt.day(as_day(proc.get("discovered_on")))), ("办理状态", status),
            ("认定结果", fmt.text(proc.get("result"))), ("年度", fmt.text(proc.get("year"))),
            Span("情况说明", fmt.text(proc.get("note")))]
        rows = []
        for step in STEPS:
            row = steps.get(step)
            if row is None:
                needed = not proc.get("kind") or step in REQUIRED.get(str(proc.get("kind")), STEPS)
                rows.append([step, "", "" if needed else "（本程序不需要此环节）", "", ""])
                continue
            when = fmt.day(as_day(row.get("done_on")))
            if step == PUBLICITY:
                when = fmt.join(when, fmt.day(as_day(row.get("end_on"))), sep=" 至 ")
            said = fmt.join(fmt.text(row.get("result")), fmt.text(row.get("objections")) and
                            f"异议：{row.get('objections')}", fmt.text(row.get("note")), sep="；")
            if row.get("income_per_capita") is not None:
                said = fmt.join(said, f"核实人均纯收入 {fmt.money(row['income_per_capita'])} 元", sep="；")
            rows.append([step, when, said, fmt.text(row.get("recorded_by")), ""])
        return [k.heading(f"程序{n}"), k.pairs(head, 2),
                k.grid(["环节", "日期", "结果及说明", "记录人", "签字"], rows, (7, 14, 19, 6, 5), write_room=True)]
