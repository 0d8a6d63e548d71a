"""A problem found in a file, with its row and column as the person sees them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# "error" keeps the household out of the import; the others are reported only ("missing": a field
# the store's check wants and the file left blank).
ERROR, WARNING, INFO, MISSING = "error", "warning", "info", "missing"
LABELS = {ERROR: "错误", WARNING: "提示", INFO: "说明", MISSING: "待补"}


@dataclass(frozen=True, slots=True)  # a large file's report holds one for each finding
class Problem:
    row: int
    column: str
    message: str
    severity: str = ERROR
    sheet: str = ""  # named only when the import reads several sheets (a 户 sheet and a 人 sheet)

    def __str__(self) -> str:
        where = f"第{self.row}行" if self.row else "文件"
        where = f"工作表“{self.sheet}”{where}" if self.sheet else where
        return f"{where} {self.column}：{self.message}" if self.column else f"{where}：{self.message}"

    @property
    def place(self) -> tuple[str, int]:
        return self.sheet, self.row

    def as_dict(self) -> dict[str, Any]:
        found = {"row": self.row, "column": self.column, "message": self.message, "severity": self.severity}
        return {**found, "sheet": self.sheet} if self.sheet else found


class Places:
    """A set of (sheet, row number) pairs held as one byte a row per sheet: an import marks each of
    a quarter of a million linked rows written or not, and a set of tuples would hold ~20 MB for it."""

    __slots__ = ("_rows",)

    def __init__(self) -> None:
        self._rows: dict[str, bytearray] = {}

    def add(self, place: tuple[str, int]) -> None:
        sheet, row = place
        marks = self._rows.setdefault(sheet, bytearray())
        if row >= len(marks):
            marks.extend(bytes(max(row + 1 - len(marks), len(marks))))  # grown by doubling
        marks[row] = 1

    def update(self, places: Iterable[tuple[str, int]]) -> None:
        for place in places:
            self.add(place)

    def __contains__(self, place: object) -> bool:
        if not isinstance(place, tuple) or len(place) != 2:
            return False
        marks = self._rows.get(place[0])
        return marks is not None and 0 <= place[1] < len(marks) and marks[place[1]] == 1

    def __len__(self) -> int:
        return sum(marks.count(1) for marks in self._rows.values())
