"""Merged cells, read as their value on every row and column they cover. openpyxl's streaming
reader gives only the top-left cell of a merge (the rest read as blank), and has no list of the
merges; the list sits in the sheet's XML after the rows, so it is found by one byte scan of the
sheet part, without building the sheet."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from openpyxl.utils.cell import range_boundaries

_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+\d+:[A-Z]+\d+)"')
CHUNK = 1 << 20
OVERLAP = 64  # longer than one mergeCell element, so none is cut in two between chunks

Box = tuple[int, int, int, int]  # first column, first row, last column, last row (1-based)


def merged_boxes(ws: Any) -> list[Box]:
    """The merges of a read-only worksheet (``[]`` for any other kind of sheet)."""
    source = getattr(ws, "_get_source", None)
    if source is None:
        return []
    found: set[bytes] = set()
    tail = b""
    with source() as fh:
        while chunk := fh.read(CHUNK):
            block = tail + chunk
            found.update(m[1] for m in _MERGE.finditer(block))
            tail = block[-OVERLAP:]
    return sorted(_box(ref.decode()) for ref in found)


def _box(ref: str) -> Box:
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    return int(min_col or 1), int(min_row or 1), int(max_col or 1), int(max_row or 1)


def spread(rows: Iterator[tuple[Any, ...]], boxes: list[Box]) -> Iterator[tuple[Any, ...]]:
    """The rows with each merge's value copied into every cell it covers."""
    if not boxes:
        yield from rows
        return
    starting: dict[int, list[Box]] = {}
    for box in boxes:
        starting.setdefault(box[1], []).append(box)
    open_boxes: list[tuple[Box, Any]] = []
    for number, cells in enumerate(rows, start=1):
        row = list(cells)
        open_boxes = [(b, v) for b, v in open_boxes if b[3] >= number]
        open_boxes += [(b, row[b[0] - 1] if b[0] - 1 < len(row) else None) for b in starting.get(number, [])]
        for box, value in open_boxes:
            _fill(row, box, value)
        yield tuple(row)


def _fill(row: list[Any], box: Box, value: Any) -> None:
    if len(row) < box[2]:
        row.extend([None] * (box[2] - len(row)))
    for col in range(box[0] - 1, box[2]):
        row[col] = value
