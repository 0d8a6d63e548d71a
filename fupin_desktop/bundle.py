"""A household with everything that belongs to it, as plain data.

The same shape is written by the bulk services (demo, import), read back by the loader, checked by
the validation rules and printed by the forms. Rows are dicts keyed by column name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]


@dataclass
class MemberData:
    fields: Row
    years: dict[int, Row] = field(default_factory=dict)
    work_records: list[Row] = field(default_factory=list)

    @property
    def active(self) -> bool:
        status: str = self.fields.get("record_status", "在册")
        return status == "在册"


@dataclass
class IncomeData:
    fields: Row
    lines: list[Row] = field(default_factory=list)


@dataclass
class MeasureData:
    fields: Row
    kind: str | None = None  # a key of model.MEASURE_DETAILS, or None
    detail: Row = field(default_factory=dict)


@dataclass
class HouseholdData:
    fields: Row
    years: dict[int, Row] = field(default_factory=dict)
    members: list[MemberData] = field(default_factory=list)
    incomes: dict[int, IncomeData] = field(default_factory=dict)
    measures: list[MeasureData] = field(default_factory=list)
    assignments: list[Row] = field(default_factory=list)
    visits: list[Row] = field(default_factory=list)
    plans: list[Row] = field(default_factory=list)
    assessments: list[Row] = field(default_factory=list)
    risk_flags: list[Row] = field(default_factory=list)
    procedures: list[Row] = field(default_factory=list)  # 识别纳入 / 风险消除 / 退出 (model/procedure.py)
    procedure_steps: list[Row] = field(default_factory=list)
    warnings: list[Row] = field(default_factory=list)  # department warnings matched to the household
    helpers: dict[str, Row] = field(default_factory=dict)  # read side: helpers named in assignments

    @property
    def id(self) -> str:
        id_: str = self.fields["id"]
        return id_

    def active_members(self) -> list[MemberData]:
        return [m for m in self.members if m.active]

    def head(self) -> MemberData | None:
        return next((m for m in self.active_members() if m.fields.get("relation") == "户主"), None)
