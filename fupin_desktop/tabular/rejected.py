"""The rows an import with ``partial`` left out, as a new xlsx: the same columns plus 问题."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from .header import find_header
from .reader import Workbook
from .xlsx import text_cell, write_book

if TYPE_CHECKING:
    from .importer import ImportOptions, ImportReport


def write_rejected(source: Path, options: "ImportOptions", report: "ImportReport", target: Path) -> Path:
    rows = {r.number for p in report.planned if p.group.rejected for r in p.group.rows}
    notes: dict[int, list[str]] = defaultdict(list)
    for p in report.planned:
        if p.group.rejected:
            for problem in p.group.all_problems():
                notes[problem.row or p.group.first_row].append(str(problem))
    with Workbook(source) as book:
        sheet = book.sheet(options.sheet)
        columns, early = find_header(sheet.rows, options.mapping, file_name=source.name)

        def body():
            yield [*columns.headers, "问题"]
            start = early[-1][0] + 1 if early else columns.header_row + 1
            for number, cells in [*early, *enumerate(sheet.rows, start=start)]:
                if number in rows:
                    yield [text_cell(c) for c in cells] + ["；".join(notes.get(number, []))]

        write_book(target, [("未导入", body())])
    return target
