"""The rows an import with ``partial`` left out, as a new xlsx: the same columns plus 问题, one
sheet of it for each sheet read."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .header import find_header
from .problem import ERROR
from .reader import Sheet, Workbook
from .xlsx import text_cell, write_book

if TYPE_CHECKING:
    from .importer import ImportOptions, ImportReport

Place = tuple[str, int]  # (sheet as problems name it, row)


def write_rejected(source: Path, options: ImportOptions, report: ImportReport, target: Path) -> Path:
    rows: set[Place] = {(r.sheet, r.number) for p in report.planned if p.group.rejected for r in p.group.rows}
    notes: dict[Place, list[str]] = defaultdict(list)
    for p in report.planned:
        if p.group.rejected:
            # Why it was left out: what reading found, and the check's errors (not its 待补 and hints).
            for problem in [*p.group.problems, *(x for x in p.group.checked if x.severity == ERROR)]:
                notes[problem.place if problem.row else (p.group.rows[0].sheet, p.group.first_row)].append(str(problem))
    with Workbook(source) as book:
        sheets = [(name, _body(book.sheet(name), label, options, source, rows, notes))
                  for name, label in report.sheet_labels.items()]
        write_book(target, [(f"未导入-{name}" if len(sheets) > 1 else "未导入", body, ()) for name, body in sheets])
    return target


def _body(sheet: Sheet, label: str, options: ImportOptions, source: Path, rows: set[Place],
          notes: dict[Place, list[str]]) -> Iterator[list[Any]]:
    columns, early = find_header(sheet.rows, options.mapping, file_name=source.name)
    yield [*columns.headers, "问题"]
    start = early[-1][0] + 1 if early else columns.header_row + 1
    for number, cells in [*early, *enumerate(sheet.rows, start=start)]:
        if (label, number) in rows:
            yield [text_cell(c) for c in cells] + ["；".join(notes.get((label, number), []))]
