"""Findings in the order a person works through them, for the editor's panel and the ``check`` report.

A new household lists dozens of blank fields; the few findings that point at a real mistake (a
wrong ID number, a daughter marked male) must not drown under them. So the findings are put in
four groups — identity and relationship errors, other errors, blank values (collapsed into one
line per section or per person), hints — and a blank that another finding on the same field
explains (a value that could not be read and so counts as blank) is left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..model import Base, column_label
from ..model.fields import Place
from ..model.layouts import placement
from .engine import ERROR, Finding

IDENTITY, ERRORS, BLANKS, HINTS = "identity", "errors", "blanks", "hints"
GROUPS = (IDENTITY, ERRORS, BLANKS, HINTS)
GROUP_TITLES = {IDENTITY: "身份与关系错误", ERRORS: "其他错误", BLANKS: "未填写", HINTS: "提示"}
# Errors about who a person is and how they belong to the household: everything else read about
# the person (age, schooling, labour) follows from these, so they are fixed first.
IDENTITY_RULES = frozenset({"ID-01", "ID-02", "ID-03", "ID-04", "ID-05", "REL-01", "REL-02", "STR-01", "STR-02"})
MEMBER_RECORDS = frozenset({"member", "member_year", "work_record"})
# Where blanks outside the form tabs are collapsed, and the order of the sections.
OTHER_SECTIONS = {"income_year": "收入核算", "income_line": "收入核算", "measure": "帮扶措施",
                  "helper_assignment": "帮扶责任人", "visit": "走访记录"}
TAB_ORDER = ("基本情况", "生产生活条件", "两不愁三保障", "收入核算", "帮扶措施", "帮扶责任人", "走访记录")
NAMED = 4  # field names listed in a collapsed line before "等"


@dataclass(frozen=True)
class FindingRow:
    """One line of the list: a finding, or the blanks of one section. ``findings[0]`` is where
    the line leads (the first blank of the section)."""

    group: str
    severity: str
    text: str
    findings: tuple[Finding, ...]

    @property
    def target(self) -> Finding:
        return self.findings[0]


def group_of(f: Finding) -> str:
    if f.blank:
        return BLANKS
    if f.severity != ERROR:
        return HINTS
    return IDENTITY if f.rule in IDENTITY_RULES else ERRORS


def without_contradictions(findings: Iterable[Finding]) -> list[Finding]:
    """Drop a "not filled" finding on a field that another finding says is filled wrongly: a value
    that could not be read (too long, not a date) reaches the rules as blank, and the person would
    be told both that the field is empty and that it holds too much."""
    found = list(findings)
    spoken = {(f.record, f.record_id, f.field) for f in found if not f.blank}
    return [f for f in found if not (f.blank and (f.record, f.record_id, f.field) in spoken)]


def ordered(findings: Iterable[Finding]) -> list[FindingRow]:
    """The list as shown: identity errors, other errors, blanks per section, hints."""
    found = without_contradictions(findings)
    rows: list[FindingRow] = []
    identity = [f for f in found if group_of(f) == IDENTITY]
    people = {m: i for i, m in reversed(list(enumerate(f.member for f in identity)))}
    # One person's identity errors together (a wrong gender and the relation it contradicts).
    rows += [_single(f) for f in sorted(identity, key=lambda f: people[f.member])]
    rows += [_single(f) for f in found if group_of(f) == ERRORS]
    rows += _blank_rows([f for f in found if f.blank])
    rows += [_single(f) for f in found if group_of(f) == HINTS]
    return rows


def counts(rows: Iterable[FindingRow]) -> dict[str, int]:
    """Findings per group (a collapsed line counts each blank it holds)."""
    result = dict.fromkeys(GROUPS, 0)
    for row in rows:
        result[row.group] += len(row.findings)
    return result


def summary(rows: list[FindingRow]) -> str:
    """"3 个错误，52 项未填写，4 个提示": what there is to do, in the words of the groups."""
    n = counts(rows)
    parts = [f"{n[IDENTITY] + n[ERRORS]} 个错误"] if n[IDENTITY] + n[ERRORS] else []
    parts += [f"{n[BLANKS]} 项未填写"] if n[BLANKS] else []
    parts += [f"{n[HINTS]} 个提示"] if n[HINTS] else []
    return "，".join(parts) if parts else "没有发现问题"


def section_of(f: Finding) -> str:
    """The editor tab a household field sits on, or the member the finding is about."""
    if f.record in MEMBER_RECORDS:
        return f"家庭成员 {f.member or '（未填姓名）'}"
    if f.record in OTHER_SECTIONS or f.record.startswith("measure_"):
        return OTHER_SECTIONS.get(f.record, "帮扶措施")
    table = Base.metadata.tables.get(f.record)
    column = table.c.get(f.field) if table is not None else None
    place = placement(column, "editor") if column is not None else None
    return place.section.tab if isinstance(place, Place) else TAB_ORDER[0]


def _single(f: Finding) -> FindingRow:
    return FindingRow(group_of(f), f.severity, f.message, (f,))


def _section_rank(section: str) -> int:
    return TAB_ORDER.index(section) if section in TAB_ORDER else len(TAB_ORDER)


def _blank_rows(blanks: list[Finding]) -> list[FindingRow]:
    sections: dict[str, list[Finding]] = {}
    for f in blanks:
        sections.setdefault(section_of(f), []).append(f)
    rows = []
    # Household tabs in the editor's order, then each person as they were listed.
    for section in sorted(sections, key=_section_rank):
        found = sections[section]
        severity = ERROR if any(f.severity == ERROR for f in found) else found[0].severity
        if len(found) == 1:
            rows.append(FindingRow(BLANKS, severity, found[0].message, (found[0],)))
            continue
        names = list(dict.fromkeys(_field_name(f) for f in found))
        shown = "、".join(names[:NAMED]) + ("等" if len(names) > NAMED else "")
        rows.append(FindingRow(BLANKS, severity, f"{section}：{len(found)} 项未填写（{shown}）", tuple(found)))
    return rows


def _field_name(f: Finding) -> str:
    """The field's label; a finding about no single column ("缺少2024年度的成员信息") by its message."""
    name = column_label(f.record, f.field)
    if name != f.field:
        return name
    return f.message.removeprefix(f"{f.member} ") if f.member else f.message
