"""A table of thousands of rows (a roster, a ledger) laid out in time linear in its rows.

ReportLab's Table, even LongTable, measures every remaining row (and rebuilds its span maps) each
time it splits at a page end: a 5,000-row ledger spends minutes doing so. ``PagedTable`` hands
ReportLab one block of rows at a time, a few more than the space left can hold even if every row
is a single line: ReportLab splits the block where the page ends (header repeated, as usual), and
the rows it did not place start the next block.
Styles are given as commands for the whole table and commands for single rows (subtotals), which
are moved to each block's own row numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reportlab.platypus import Flowable, Table, TableStyle
from reportlab.platypus.tables import CellStyle

BLOCK = 60  # below this many rows a plain Table is cheap enough
MIN_ROW = 14.0  # points: no row is shorter than one line of 8.5 pt text with its padding

Command = tuple[Any, ...]


def grid_table(data: list[list[Any]], widths: Sequence[float], commands: Sequence[Command],
               cells: type[CellStyle], **options: Any) -> Table:
    # One style object per cell: ReportLab changes a cell's style in place for commands naming it.
    return Table(data, colWidths=list(widths), style=TableStyle(list(commands)),
                 cellStyles=[[cells("") for _ in row] for row in data], **options)


def split_commands(commands: Sequence[Command]) -> tuple[list[Command], dict[int, list[Command]]]:
    """Commands on exactly one body row (e.g. a subtotal's SPAN) by that row; the rest apply to
    every block as they are (header row 0, whole columns, "-1" meaning the block's last row)."""
    table_wide: list[Command] = []
    by_row: dict[int, list[Command]] = {}
    for cmd in commands:
        (_c0, r0), (_c1, r1) = cmd[1], cmd[2]
        if r0 == r1 and r0 >= 1:
            by_row.setdefault(r0, []).append(cmd)
        else:
            table_wide.append(cmd)
    return table_wide, by_row


class PagedTable(Flowable):
    def __init__(self, header: list[Any], rows: list[list[Any]], widths: list[float], commands: Sequence[Command],
                 min_heights: list[float], cells: type[CellStyle], start: int = 0) -> None:
        super().__init__()
        self.header, self.rows, self.widths, self.min_heights = header, rows, widths, min_heights
        self.cells = cells
        self.table_wide, self.by_row = split_commands(commands)
        self.start = start
        self._block: Table | None = None
        self._made_for: tuple[float, float] | None = None

    def _make(self, start: int, end: int) -> Table:
        style = list(self.table_wide)
        for row in range(start + 1, end + 1):  # table row r holds body row r-1
            for name, (c0, _r0), (c1, _r1), *args in self.by_row.get(row, ()):
                style.append((name, (c0, row - start), (c1, row - start), *args))
        return grid_table([self.header] + self.rows[start:end], self.widths, style, self.cells, repeatRows=1,
                          minRowHeights=[self.min_heights[0]] + self.min_heights[1 + start:1 + end])

    def _rest(self, start: int) -> "PagedTable":
        rest = PagedTable(self.header, self.rows, self.widths, (), self.min_heights, self.cells, start)
        rest.table_wide, rest.by_row = self.table_wide, self.by_row  # shared, not copied
        return rest

    def _end(self, ah: float) -> int:
        return min(self.start + int(ah / MIN_ROW) + 2, len(self.rows))

    def _block_for(self, aw: float, ah: float) -> Table:
        # wrap and split are asked about the same space in turn: build and measure the block once.
        if self._block is None or self._made_for != (aw, ah):
            self._block, self._made_for = self._make(self.start, self._end(ah)), (aw, ah)
        return self._block

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        width, height = self._block_for(aw, ah).wrap(aw, ah)
        if self._end(ah) < len(self.rows):
            height = max(height, ah + 1)  # more rows follow this block: never "fits", always split
        return width, height

    def split(self, aw: float, ah: float) -> list[Flowable]:
        parts = self._block_for(aw, ah).split(aw, ah)
        if not parts:
            return []
        first = parts[0]
        # its header row is not a body row; _nrows is ReportLab's own (absent from types-reportlab)
        placed: int = first._nrows - 1  # type: ignore[attr-defined]
        if self.start + placed >= len(self.rows):
            return [first]
        return [first, self._rest(self.start + placed)]

    def draw(self) -> None:
        # Only reached when the last block fits where it stands.
        assert self._block is not None
        self._block.drawOn(self.canv, 0, 0)
