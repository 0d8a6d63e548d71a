"""Rows out of a spreadsheet file, streamed: .xlsx through openpyxl's read-only mode (visible
sheets only), .csv in UTF-8 (with or without BOM) or GBK/GB18030."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidInput
from .merged import merged_boxes, spread
from .problem import INFO, Problem

CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # GB18030 is a superset of GBK and GB2312


@dataclass
class Sheet:
    name: str
    rows: Iterator[tuple[Any, ...]]  # each row's cell values; number 1 is the sheet's first row


class Workbook:
    """An open spreadsheet file; close it (or use ``with``) to release the file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise InvalidInput(f"找不到文件：{self.path}")
        suffix = self.path.suffix.lower()
        self._book: Any = None
        if suffix == ".csv":
            self._text = _read_csv_text(self.path)
        elif suffix in (".xlsx", ".xlsm"):
            self._book = _open_xlsx(self.path)
        elif suffix == ".xls":
            raise InvalidInput(f"{self.path.name}：是旧版 Excel（.xls）文件，无法直接读取。",
                               hint="请在 Excel 或 WPS 中“另存为” .xlsx 后再导入。")
        else:
            raise InvalidInput(f"{self.path.name}：只能导入 .xlsx 或 .csv 文件。")

    def sheet_names(self) -> list[str]:
        if self._book is None:
            return [self.path.stem]
        return [ws.title for ws in self._book.worksheets if ws.sheet_state == "visible"]

    def skipped_sheets(self, read: list[str]) -> list[Problem]:
        """Every sheet not read, and why: hidden sheets are never read."""
        if self._book is None:
            return []
        return [Problem(0, "", f"工作表“{ws.title}”" + ("是隐藏的工作表，未导入" if ws.sheet_state != "visible"
                                                     else "未导入（只导入了选定的工作表）"), INFO)
                for ws in self._book.worksheets if ws.title not in read]

    def sheet(self, name: str | None = None) -> Sheet:
        if self._book is None:
            return Sheet(self.path.stem, (tuple(r) for r in csv.reader(io.StringIO(self._text))))
        names = self.sheet_names()
        if not names:
            raise InvalidInput(f"{self.path.name}：没有可见的工作表。")
        if name is not None and name not in names:
            raise InvalidInput(f"{self.path.name}：没有名为“{name}”的工作表。", hint=f"可选：{'、'.join(names)}。")
        ws = self._book[name or names[0]]
        return Sheet(ws.title, spread(ws.iter_rows(values_only=True), merged_boxes(ws)))

    def close(self) -> None:
        if self._book is not None:
            self._book.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _open_xlsx(path: Path) -> Any:
    import openpyxl  # noqa: PLC0415 (loaded only when a spreadsheet is opened)

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as err:
        raise InvalidInput(f"{path.name}：不是有效的 .xlsx 文件，或文件已损坏。",
                           hint=f"请用 Excel 或 WPS 打开确认后重新保存（{type(err).__name__}）。") from None


def _read_csv_text(path: Path) -> str:
    data = path.read_bytes()
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(f"{path.name}：无法识别文件的编码（既不是 UTF-8 也不是 GBK）。",
                       hint="请在 Excel 或 WPS 中另存为“CSV UTF-8”或 .xlsx。")
