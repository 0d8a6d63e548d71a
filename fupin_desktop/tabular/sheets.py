"""Which sheets of a workbook an import reads, and their rows as records: the one named, else every
visible sheet with a header (a 户 sheet and a 人 sheet are joined by 户编号 when grouped). Hidden
sheets and sheets without a header are reported, never read silently or dropped silently."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import Any

from ..errors import InvalidInput
from .grouping import read_records
from .header import ColumnMap, find_header
from .linked import LinkedRead, column_map, read_linked, sheet_kind
from .problem import INFO, Problem
from .reader import Sheet, Workbook
from .rows import RowRecord, ValueChoices, ValueMap


@dataclass
class SheetsRead:
    records: list[RowRecord | None] = field(default_factory=list)  # None: a blank row (ends a block)
    columns: dict[str, ColumnMap] = field(default_factory=dict)  # sheet name → its header
    labels: dict[str, str] = field(default_factory=dict)  # sheet name → as named in problems ("" for one sheet)
    problems: list[Problem] = field(default_factory=list)
    linked: LinkedRead = field(default_factory=LinkedRead)  # 收入明细 and 帮扶措施 sheets
    choices: ValueChoices = field(default_factory=ValueChoices)  # coded values unknown or mapped

    def mapping(self) -> dict[str, str]:
        return {h: k for c in self.columns.values() for h, k in c.mapping().items()}

    def headers(self) -> dict[str, str]:
        return {k: h for c in reversed(self.columns.values()) for k, h in c.headers_by_field().items()}


def read_sheets(path: Path, mapping: Mapping[str, str] | None, chosen: str | None, year: int,
                values: ValueMap | None = None) -> SheetsRead:
    with Workbook(path) as book:
        names = [book.sheet(chosen).name] if chosen else book.sheet_names()
        read = SheetsRead(problems=book.skipped_sheets(names), choices=ValueChoices(values))
        refused: list[InvalidInput] = []
        for name in names:
            label = name if len(names) > 1 else ""
            sheet = book.sheet(name)
            first = list(islice(sheet.rows, 30))
            sheet.rows = chain(first, sheet.rows)
            found = sheet_kind(first)
            if found is not None:
                _read_linked(sheet, found, label, mapping, year, read)
                continue
            try:
                _read_sheet(sheet, label, mapping, year, read, path)
            except InvalidInput as err:
                if len(names) == 1:
                    raise
                refused.append(err)
                read.problems.append(Problem(0, "", f"工作表“{name}”没有找到表头，未导入（{err.message}）", INFO))
        if not read.columns and not read.linked.sheets:
            raise refused[0]
    return read


def _read_sheet(sheet: Sheet, label: str, mapping: Mapping[str, str] | None, year: int,
                read: SheetsRead, path: Path) -> None:
    columns, early = find_header(sheet.rows, mapping, file_name=f"{path.name}（{sheet.name}）" if label else path.name)
    read.columns[sheet.name], read.labels[sheet.name] = columns, label
    read.problems += [Problem(p.row, p.column, p.message, p.severity, label) for p in columns.not_imported()]

    def rows() -> Iterator[tuple[int, tuple[Any, ...]]]:
        yield from early
        yield from enumerate(sheet.rows, start=early[-1][0] + 1 if early else columns.header_row + 1)

    read.records += read_records(rows(), columns, read.problems, year, label, read.choices)
    read.records.append(None)  # a household never runs on from one sheet into the next


def _read_linked(sheet: Sheet, found: tuple[str, int], label: str,
                 mapping: Mapping[str, str] | None, year: int, read: SheetsRead) -> None:
    kind, header_row = found
    rows = enumerate(sheet.rows, start=1)
    cells = next(c for n, c in rows if n == header_row)
    columns = column_map(kind, header_row, cells)
    read.linked.sheets[sheet.name] = kind
    read.linked.header_rows[sheet.name] = header_row
    read.labels[sheet.name] = label
    read_linked(kind, rows, columns, year, label, read.choices, read.problems, read.linked)
