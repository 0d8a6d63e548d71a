"""What an import did or would do: households created, updated, unchanged and left out, and every
problem with its row; a dry run's report is the same as the import's."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .plan import Planned
from .problem import ERROR, Problem


@dataclass
class ImportReport:
    file: str
    sheet: str
    header_row: int
    mapping: dict[str, str]
    planned: list[Planned] = field(default_factory=list)
    year: int = 0
    file_problems: list[Problem] = field(default_factory=list)  # of no household: skipped rows, sheets, columns
    applied: bool = False
    rejected_file: str | None = None
    partial: bool = False
    headers: dict[str, str] = field(default_factory=dict)  # field key → the file's header for it

    def count(self, action: str) -> int:
        return sum(1 for p in self.planned if not p.group.rejected and p.action == action)

    @property
    def problems(self) -> list[Problem]:
        found = self.file_problems + [x for p in self.planned for x in p.group.all_problems()]
        return sorted(found, key=lambda p: (p.row, p.column))

    @property
    def rejected(self) -> int:
        return sum(1 for p in self.planned if p.group.rejected)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def blocked(self) -> bool:
        """All-or-nothing and something is wrong: nothing was (or would be) written."""
        return bool(self.errors) and not self.partial

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "sheet": self.sheet, "header_row": self.header_row, "year": self.year,
                "applied": self.applied,
                "created": self.count("create"), "updated": self.count("update"),
                "unchanged": self.count("unchanged"), "rejected": self.rejected,
                "rejected_file": self.rejected_file, "mapping": self.mapping,
                "problems": [p.as_dict() for p in self.problems]}
