"""Spreadsheet rows (one per member) into households: by household number, else by the head's
ID number, else by blocks of rows separated by blank rows (a new 户主, or a change in the
户主姓名 column, also starts a block)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .cleaning import match_key
from ..derive import group_key
from .header import ColumnMap
from .rows import Problem, RowCleaner, RowRecord, ValueChoices, not_data


@dataclass
class Group:
    rows: list[RowRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # found while reading the file
    checked: list[Problem] = field(default_factory=list)  # the store's rules, run on the written household

    @property
    def first_row(self) -> int:
        return self.rows[0].number

    def at_first(self, column: str, message: str, severity: str = "error") -> Problem:
        return self.rows[0].problem(column, message, severity)

    @property
    def rejected(self) -> bool:
        return any(p.severity == "error" for p in self.all_problems())

    def all_problems(self) -> list[Problem]:
        return self.problems + self.checked

    def members(self) -> list[RowRecord]:
        return [r for r in self.rows if r.is_member]

    def household(self, table: str = "household") -> dict[str, Any]:
        """Household (or household-year) fields, from the head's row first, then the other rows."""
        merged: dict[str, Any] = {}
        head_first = sorted(self.rows, key=lambda r: r.get("member.relation") != "户主")
        for row in head_first:
            for key, value in row.table(table).items():
                merged.setdefault(key, value)
        return merged

    def has_head(self) -> bool:
        return any(r.get("member.relation") == "户主" for r in self.rows)


def read_records(rows: Iterable[tuple[int, tuple[Any, ...]]], columns: ColumnMap,
                 problems: list[Problem], year: int = 0, sheet: str = "",
                 choices: ValueChoices | None = None) -> Iterator[RowRecord | None]:
    """Cleaned rows, coded values as their code table's labels; ``None`` for a blank row.
    Repeated headers, 合计/小计 rows and notes under the table are skipped and reported."""
    cleaner = RowCleaner(columns, year or date.today().year, sheet, choices)
    for number, cells in rows:
        if all(c is None or isinstance(c, str) and not c.strip() for c in cells):
            yield None
            continue
        if columns.is_header(cells):
            problems.append(Problem(number, "", "重复的表头行，已跳过", "info", sheet))
            continue
        if skipped := not_data(cells, columns):
            problems.append(Problem(number, "", skipped, "info", sheet))
            yield None
            continue
        record = cleaner.record(number, cells, problems)
        yield record if record.cells or record.bad else None  # only a 序号 or a note: nothing to import
    problems.extend(cleaner.summary())


def group_rows(records: Iterable[RowRecord | None]) -> list[Group]:
    keyed: dict[tuple[str, str], Group] = {}
    groups: list[Group] = []
    block: Group | None = None
    for record in records:
        if record is None:
            block = None
            continue
        key = _key(record)
        if key is not None:
            if key not in keyed:
                keyed[key] = Group()
                groups.append(keyed[key])
            keyed[key].rows.append(record)
            continue
        is_head = record.get("member.relation") == "户主"
        head_name = record.get("group.head_name")
        new_head = head_name and block is not None and block.rows[-1].get("group.head_name") not in (
            None, head_name)
        if block is None or new_head or (is_head and block.has_head()):
            block = Group()
            groups.append(block)
        block.rows.append(record)
    return groups


def _key(record: RowRecord) -> tuple[str, str] | None:
    if number := record.get("household.national_hh_no"):
        return ("no", number)
    if head := match_key(record.get("group.head_id_no")):
        return ("head", head)
    return None


def check_groups(groups: list[Group], file_problems: list[Problem]) -> list[Problem]:
    """Row problems go to their household; then what is wrong across rows and households.
    Returns the problems of no household (skipped rows, the file as a whole)."""
    by_row = {(r.sheet, r.number): g for g in groups for r in g.rows}
    loose = [p for p in file_problems if p.place not in by_row]
    for p in file_problems:
        if p.place in by_row:
            by_row[p.place].problems.append(p)
    seen: dict[str, tuple[RowRecord, Group]] = {}
    for group in groups:
        for row in group.members():
            _check_member(group, row, seen)
        _check_household_values(group)
        if not group.members():
            group.problems.append(group.at_first("", "这一户没有成员（没有填姓名的行）"))
        elif not group.has_head():
            group.problems.append(group.at_first("与户主关系", "这一户没有户主", "warning"))
    return loose


def _check_household_values(group: Group) -> None:
    """The household's columns repeated on each member's row should agree; the head's row wins."""
    chosen: dict[str, tuple[int, Any]] = {}
    head_first = sorted(group.rows, key=lambda r: r.get("member.relation") != "户主")
    for row in head_first:
        for key, value in zip(row.keys, row.cells):
            if not key.startswith(("household.", "household_year.", "income_item.")):
                continue
            if key not in chosen:
                chosen[key] = (row.number, value)
            elif not _same(key, chosen[key][1], value):
                label = _label(key)
                first, kept = chosen[key]
                group.problems.append(row.problem(
                    label, f"与本户第{first}行不同（“{value}”和“{kept}”），采用第{first}行的", "warning"))


def _same(key: str, first: Any, other: Any) -> bool:
    """03组 on the head's row and 3组 on the next are one group (read as the village's later)."""
    if key == "household.group_name":
        return group_key(str(first)) == group_key(str(other))
    return bool(first == other)


def _label(key: str) -> str:
    from .layout import import_fields  # noqa: PLC0415

    return next((f.label for f in import_fields() if f.key == key), key)


def _check_member(group: Group, row: RowRecord, seen: dict[str, tuple[RowRecord, Group]]) -> None:
    if not row.get("member.name"):
        group.problems.append(row.problem("姓名", "未填写"))
    key = match_key(row.get("member.id_no"))
    if not key:
        return
    if key in seen:
        first, other = seen[key]
        where = "另一户" if other is not group else "同一户"
        id_no = row.get("member.id_no")
        same = f"与第{first.number}行是同一人（证件号码 {id_no}），出现在{where}中"
        group.problems.append(row.problem("证件号码", same))
        if other is not group:
            other.problems.append(first.problem("证件号码", f"与第{row.number}行是同一人，出现在另一户中"))
    else:
        seen[key] = (row, group)
