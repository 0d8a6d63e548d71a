"""A problem found in a file, with its row and column as the person sees them."""

from __future__ import annotations

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
