"""Writing .xlsx files in openpyxl's streaming (write-only) mode."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import FupinError
from ..fsutil import commit_temp, try_remove

TEXT_FORMAT = "@"  # Excel's "text" number format: long digit strings keep every digit


@contextlib.contextmanager
def _temp_beside(target: Path) -> Iterator[None]:
    """openpyxl streams each sheet through a temporary file; keep it next to the output (which is
    where the person chose to put this data in clear) rather than in the shared system temp dir."""
    previous = tempfile.tempdir
    tempfile.tempdir = str(target.parent)
    try:
        yield
    finally:
        tempfile.tempdir = previous


def text_cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def write_book(target: Path, sheets: Iterable[tuple[str, Iterable[list[Any]], Iterable[int]]]) -> Path:
    """Write ``sheets`` (title, rows — the first row is the header —, the columns kept as text) to
    ``target`` atomically: a half-written file never replaces a good one."""
    # openpyxl loads only when a workbook is written (the CLI and the UI import this module early).
    import openpyxl  # noqa: PLC0415
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415
    from openpyxl.styles import Font  # noqa: PLC0415

    target = Path(target)
    if not target.parent.is_dir():
        raise FupinError(f"文件夹不存在：{target.parent}")
    partial = target.with_name(f".{target.name}.part")
    with _temp_beside(target):
        book = openpyxl.Workbook(write_only=True)
        for title, rows, text_columns in sheets:
            text_set = set(text_columns)
            ws = book.create_sheet(title)
            bold = Font(bold=True)
            for n, row in enumerate(rows):
                ws.append([_cell(ws, v, bold if n == 0 else None, n > 0 and i in text_set, WriteOnlyCell)
                           for i, v in enumerate(row)])
            ws.freeze_panes = "A2"
        try:
            book.save(partial)
            commit_temp(partial, target)  # a target open in WPS/Excel: retried, then FileHeldError
        except OSError as err:
            try_remove(partial)
            raise FupinError(f"无法写入文件 {target}：{err.strerror or err}") from None
    return target


def _cell(ws: Any, value: Any, font: Any, as_text: bool, cell_type: Any) -> Any:
    value = text_cell(value)
    if font is None and not as_text and not isinstance(value, (date, datetime)):
        return value
    cell = cell_type(ws, value=value)
    if font is not None:
        cell.font = font
    if as_text:
        cell.number_format = TEXT_FORMAT
    elif isinstance(value, (date, datetime)):
        cell.number_format = "yyyy-mm-dd"
    return cell
