"""What an import did or would do: households created, updated, unchanged and left out, and every
problem with its row; a dry run's report is the same as the import's."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..opchanges import OpChanges
from .linked import LinkedRow
from .plan import Planned
from .problem import ERROR, LABELS, MISSING, WARNING, Places, Problem
from .rows import ValueEntry

SHOWN_ROWS = 8  # rows named in one 待补 line


@dataclass
class ImportReport:
    file: str
    sheet: str
    header_row: int
    mapping: dict[str, str]
    planned: list[Planned] = field(default_factory=list)
    year: int = 0
    file_problems: list[Problem] = field(default_factory=list)  # of no household: skipped rows, sheets, columns
    applied: bool = False
    rejected_file: str | None = None
    partial: bool = False
    headers: dict[str, str] = field(default_factory=dict)  # field key → the file's header for it
    sheets: list[str] = field(default_factory=list)  # the sheets read, as problems name them, in order
    sheet_labels: dict[str, str] = field(default_factory=dict)  # sheet name → as problems name it
    changes: OpChanges = OpChanges()  # what the import wrote (the UI's op broadcasts it)
    linked: list[LinkedRow] = field(default_factory=list)  # rows of 收入明细 and 帮扶措施 sheets
    linked_problems: list[Problem] = field(default_factory=list)  # found writing them (their households…)
    linked_counts: dict[str, int] = field(default_factory=dict)  # income years written, measures added…
    values: list[ValueEntry] = field(default_factory=list)  # coded values not in their table, or mapped
    linked_headers: dict[str, int] = field(default_factory=dict)  # 收入明细/帮扶措施 sheet → its header's row
    linked_written: Places = field(default_factory=Places)  # their rows taken (or unchanged)

    def linked_left_out(self) -> dict[tuple[str, int], list[str]]:
        """Each row of the 收入明细 and 帮扶措施 sheets that is not (or would not be) written, with why."""
        why: dict[tuple[str, int], list[str]] = {
            (r.sheet, r.number): [] for r in self.linked if (r.sheet, r.number) not in self.linked_written}
        for p in self.file_problems + self.linked_problems:
            if p.place in why and p.severity in (ERROR, WARNING) and str(p) not in why[p.place]:
                why[p.place].append(str(p))
        return why

    def value_map(self) -> dict[str, dict[str, str]]:
        """The values mapped for this report (header → {typed: label or KEEP}): what ``values`` was."""
        found: dict[str, dict[str, str]] = {}
        for v in self.values:
            if v.chosen is not None:
                found.setdefault(v.header, {})[v.typed] = v.chosen
        return found

    def count(self, action: str) -> int:
        return sum(1 for p in self.planned if not p.group.rejected and p.action == action)

    @property
    def problems(self) -> list[Problem]:
        found = (self.file_problems + self.linked_problems
                 + [x for p in self.planned for x in p.group.all_problems()])
        order = {name: i for i, name in enumerate(self.sheets)}
        return sorted(found, key=lambda p: (order.get(p.sheet, -1), p.row, p.column))

    @property
    def rejected(self) -> int:
        return sum(1 for p in self.planned if p.group.rejected)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def blocked(self) -> bool:
        """All-or-nothing and something is wrong: nothing was (or would be) written."""
        return bool(self.errors) and not self.partial

    def left_out_line(self) -> str:
        """What was left out, for the line that names the rejected-rows file."""
        parts = [f"有问题的 {self.rejected} 户"] if self.rejected else []
        linked = len(self.linked_left_out())
        if linked:
            parts.append(f"收入明细和帮扶措施表中的 {linked} 行")
        return "、".join(parts) + "没有导入"

    def linked_lines(self) -> list[str]:
        """What the 收入明细 and 帮扶措施 sheets did or would do, for a person."""
        counts, verb = self.linked_counts, "已" if self.applied else "将"
        lines = []
        written, same = counts.get("income_written", 0), counts.get("income_unchanged", 0)
        if written or same:
            lines.append(f"收入核算：{verb}写入 {written} 户年度，无变化 {same} 户年度"
                         "（文件中的明细替换该年度原有明细）。")
        added, updated = counts.get("measures_added", 0), counts.get("measures_updated", 0)
        unchanged = counts.get("measures_unchanged", 0)
        if added or updated or unchanged:
            lines.append(f"帮扶措施：{verb}新增 {added} 条，{verb}更新 {updated} 条，无变化 {unchanged} 条。")
        added, updated = counts.get("assessments_added", 0), counts.get("assessments_updated", 0)
        unchanged = counts.get("assessments_unchanged", 0)
        if added or updated or unchanged:
            lines.append(f"评估记录：{verb}新增 {added} 条，{verb}更新 {updated} 条，无变化 {unchanged} 条。")
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "sheet": self.sheet, "header_row": self.header_row, "year": self.year,
                "applied": self.applied,
                "created": self.count("create"), "updated": self.count("update"),
                "unchanged": self.count("unchanged"), "rejected": self.rejected,
                "rejected_file": self.rejected_file, "linked_left_out": len(self.linked_left_out()),
                "mapping": self.mapping, **self.linked_counts,
                "values": [{"sheet": v.sheet, "column": v.header, "typed": v.typed, "rows": v.rows,
                            "chosen": v.chosen} for v in self.values],
                "problems": [p.as_dict() for p in self.problems]}


def digest(problems: list[Problem]) -> list[str]:
    """The problems as lines for a person: the errors first, then each hint on its own, then 待补
    (fields the file does not give) one line per column with its count and first rows."""
    first = sorted((p for p in problems if p.severity != MISSING), key=lambda p: p.severity != ERROR)  # stable
    lines = [f"[{LABELS[p.severity]}] {p}" for p in first]
    missing: dict[str, list[Problem]] = {}
    for p in problems:
        if p.severity == MISSING:
            missing.setdefault(p.column or p.message, []).append(p)
    for column, found in missing.items():
        rows = sorted({p.row for p in found})
        shown = "、".join(str(r) for r in rows[:SHOWN_ROWS]) + ("…" if len(rows) > SHOWN_ROWS else "")
        lines.append(f"[待补] {column}：{len(found)}处未填写或缺少（第{shown}行），导入后“检查”仍会列出")
    return lines
