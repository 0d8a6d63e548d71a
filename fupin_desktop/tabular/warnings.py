"""Department warning lists (部门筛查预警, SPEC §6.1): one person or household a row, with the warning
and its date, from 民政, 医保, 教育, 住建, 残联… as .xlsx or .csv.

Rows are matched to households by ID number (a 15-digit number as its 18-digit form). Every row is
accounted for: added as an open warning, added as 已是监测对象 (disposed at once, said so in the
report), already imported, or not imported with its row number and the reason. Nothing is written
unless the whole file was read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from ..errors import InvalidInput
from ..model import DeptWarning, Member
from ..opchanges import OpChanges
from ..procedure import DEPARTMENTS
from ..queries.procedures import monitored_households
from ..services.households import unit_of_work
from ..services.procedures import add_warnings
from ..validation.idnumber import normalize
from ..values import clean_text, parse_date, tidy_text
from .cleaning import _date as cell_date, match_key
from .reader import Workbook

COLUMNS = {  # field → header names seen in departments' lists
    "id_no": ("身份证号", "身份证号码", "证件号码", "公民身份号码", "身份证"),
    "name": ("姓名", "人员姓名", "户主姓名"),
    "warning": ("预警内容", "预警信息", "预警事项", "风险类型", "预警原因", "风险情况"),
    "warned_on": ("预警日期", "预警时间", "日期", "发现日期"),
    "department": ("预警部门", "部门", "来源部门", "推送部门"),
}
SCAN_ROWS = 30


@dataclass
class Skipped:
    row: int
    id_masked: str
    name: str
    reason: str


@dataclass
class WarningImport:
    file: str
    rows: int = 0
    added: int = 0  # open warnings, waiting for a disposition
    monitored: int = 0  # matched households already monitored: disposed as 已是监测对象
    repeated: int = 0  # already imported before
    skipped: list[Skipped] = field(default_factory=list)  # unmatched or unreadable rows
    changes: OpChanges = field(default_factory=OpChanges)

    def summary(self) -> str:
        return (f"{self.file}：共 {self.rows} 行；新增待核实预警 {self.added} 条；已是监测对象 {self.monitored} 条"
                f"（已记为“已是监测对象”）；此前已导入 {self.repeated} 条；未导入 {len(self.skipped)} 行。")


def _mask(id_no: str) -> str:
    return id_no[:4] + "*" * max(0, len(id_no) - 8) + id_no[-4:] if len(id_no) > 8 else "*" * len(id_no)


def _header(rows: Iterator[tuple[Any, ...]]) -> tuple[int, dict[str, int]]:
    for number, cells in enumerate(rows, start=1):
        found = {}
        for i, cell in enumerate(cells):
            text = clean_text(cell or "").replace(" ", "")
            for key, names in COLUMNS.items():
                if text in names and key not in found:
                    found[key] = i
        if "id_no" in found and "warning" in found:
            return number, found
        if number >= SCAN_ROWS:
            break
    raise InvalidInput("预警名单里找不到表头：需要“身份证号”和“预警内容”两列。",
                       hint=f"可用的列名：{'、'.join(COLUMNS['id_no'] + COLUMNS['warning'])}。")


@dataclass
class _Row:
    number: int
    id_no: str
    name: str
    warning: str
    warned_on: date
    department: str


def read_warnings(path: Path, department: str | None) -> tuple[list[_Row], list[Skipped], int]:
    """The rows that can be matched, the rows that cannot be read, and the row count."""
    if department is not None and department not in DEPARTMENTS:
        raise InvalidInput(f"预警部门只能是{'、'.join(DEPARTMENTS)}。")
    good: list[_Row] = []
    bad: list[Skipped] = []
    count = 0
    with Workbook(path) as book:
        rows = book.sheet().rows
        header_row, cols = _header(rows)
        if department is None and "department" not in cols:
            raise InvalidInput("名单里没有“预警部门”一列，请指定预警部门（如 医保、民政）。")
        for number, cells in enumerate(rows, start=header_row + 1):
            def cell(key: str, cells: tuple[Any, ...] = cells) -> Any:
                i = cols.get(key)
                return cells[i] if i is not None and i < len(cells) else None

            if all(c is None or clean_text(c) == "" for c in cells):
                continue
            count += 1
            item = _read_row(number, cell, department)
            (good if isinstance(item, _Row) else bad).append(item)  # type: ignore[arg-type]
    return good, bad, count


def _read_row(number: int, cell: Any, department: str | None) -> _Row | Skipped:
    id_no = match_key(normalize(clean_text(cell("id_no") or ""))) or ""
    name = tidy_text(cell("name") or "")
    warning = tidy_text(cell("warning") or "")
    dept = clean_text(cell("department") or "") or department or ""
    if not id_no:
        return Skipped(number, "", name, "没有身份证号")
    if not warning:
        return Skipped(number, _mask(id_no), name, "没有预警内容")
    try:
        warned_on = parse_date(cell_date(cell("warned_on")), "预警日期")
    except InvalidInput as err:
        return Skipped(number, _mask(id_no), name, err.message)
    if warned_on is None:
        return Skipped(number, _mask(id_no), name, "没有预警日期")
    if dept not in DEPARTMENTS:
        return Skipped(number, _mask(id_no), name, f"预警部门“{dept}”不在{'、'.join(DEPARTMENTS)}之中")
    return _Row(number, id_no, name, warning, warned_on, dept)


def _members_by_id(conn: Connection, ids: list[str]) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for start in range(0, len(ids), 500):
        for member_id, household_id, id_no in conn.execute(select(Member.id, Member.household_id, Member.id_no)
                                                           .where(Member.id_no.in_(ids[start:start + 500]))):
            if id_no:
                found[id_no] = (member_id, household_id)
    return found


def import_warnings(store: Any, path: Path, *, department: str | None = None, today: date | None = None,
                    user: str | None = None) -> WarningImport:
    """Read, match and write the list in one unit of work; the report lists every row not imported."""
    today = today or date.today()
    good, bad, rows = read_warnings(Path(path), department)
    report = WarningImport(Path(path).name, rows=rows, skipped=bad)
    with unit_of_work(store, user) as uow:
        assert uow.conn is not None
        members = _members_by_id(uow.conn, sorted({r.id_no for r in good}))
        monitored = monitored_households(uow.conn, {m[1] for m in members.values()}, today.year)
        seen = {(w.member_id, w.department, w.warning, w.warned_on) for w in uow.conn.execute(
            select(DeptWarning.member_id, DeptWarning.department, DeptWarning.warning, DeptWarning.warned_on))}
        new: list[dict[str, Any]] = []
        for r in good:
            if r.id_no not in members:
                report.skipped.append(Skipped(r.number, _mask(r.id_no), r.name, "身份证号在本村档案中找不到"))
                continue
            member_id, household_id = members[r.id_no]
            if (member_id, r.department, r.warning, r.warned_on) in seen:
                report.repeated += 1
                continue
            seen.add((member_id, r.department, r.warning, r.warned_on))
            row: dict[str, Any] = {"household_id": household_id, "member_id": member_id, "department": r.department,
                                   "warning": r.warning, "warned_on": r.warned_on, "received_on": today,
                                   "source_file": report.file}
            if household_id in monitored:
                row |= {"disposition": "已是监测对象", "reason": "导入时该户已是监测对象", "disposed_on": today,
                        "disposed_by": uow.user}
                report.monitored += 1
            else:
                report.added += 1
            new.append(row)
        add_warnings(uow, new)
    report.skipped.sort(key=lambda s: s.row)
    report.changes = uow.changes
    return report
