"""The rows an import with ``partial`` left out, as a new xlsx: the same columns plus 问题, one
sheet of it for each roster sheet read, and one for each 收入明细 or 帮扶措施 sheet with rows left
out (a row of a household left out, of no household found, or of a year with a faulty line), so a
cadre can correct them and import that file again."""

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
    linked = report.linked_left_out()
    with Workbook(source) as book:
        sheets = []
        for name, label in report.sheet_labels.items():
            if name in report.linked_headers:
                if any(sheet == label for sheet, _ in linked):
                    sheets.append((name, _linked_body(book.sheet(name), label, report.linked_headers[name], linked)))
            else:
                sheets.append((name, _body(book.sheet(name), label, options, source, rows, notes)))
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


def _linked_body(sheet: Sheet, label: str, header_row: int, left: dict[Place, list[str]]) -> Iterator[list[Any]]:
    """The sheet's header, then its rows left out, each with why (the import reads it back: same header)."""
    width = 0
    for number, cells in enumerate(sheet.rows, start=1):
        if number == header_row:
            width = len(cells)
            yield [*(text_cell(c) for c in cells), "问题"]
        elif (label, number) in left:
            padded = [*cells, *([None] * (width - len(cells)))][:max(width, len(cells))]
            yield [text_cell(c) for c in padded] + ["；".join(left[(label, number)]) or "未导入"]
