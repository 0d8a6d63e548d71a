"""The history of a household from the change log: who changed what, when, old → new."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from ..model import Base, ChangeLog, column_label

TABLE_LABELS = {
    "household": "户基本情况", "household_year": "年度情况", "member": "家庭成员", "member_year": "成员年度情况",
    "work_record": "务工记录", "income_year": "收入核算", "income_line": "收入明细", "measure": "帮扶措施",
    "measure_loan": "小额信贷", "measure_housing": "危房改造", "measure_relocation": "易地搬迁",
    "measure_public_post": "公益岗位", "measure_education": "教育资助", "measure_health": "健康帮扶",
    "helper_assignment": "帮扶责任人", "visit": "走访记录", "plan": "帮扶计划", "assessment": "评议认定",
    "risk_flag": "比对预警", "attachment": "附件",
    "procedure": "监测程序", "procedure_step": "程序环节", "dept_warning": "部门预警",
}
OP_LABELS = {"insert": "新增", "update": "修改", "delete": "删除"}
# Links between records and list positions mean nothing to a reader of the history.
HIDDEN_COLUMNS = frozenset({"household_id", "member_id", "income_id", "helper_id", "team_id", "owner_id",
                            "owner_table", "sort", "seq", "procedure_id"})


def display(value: Any) -> str:
    if value is None or value == "":
        return "（空）"
    if value is True:
        return "是"
    if value is False:
        return "否"
    return str(value)


@dataclass(frozen=True)
class HistoryEntry:
    at: str  # wall time, display only
    hlc: str
    user: str
    op: str
    record: str  # Chinese table label
    entity_id: str
    field: str  # Chinese column label
    old: str
    new: str


def household_history(conn: Connection, household_id: str, limit: int = 2000) -> list[HistoryEntry]:
    rows = conn.execute(
        select(ChangeLog).where(ChangeLog.household_id == household_id).order_by(ChangeLog.hlc.desc()).limit(limit)
    ).mappings()
    entries: list[HistoryEntry] = []
    for row in rows:
        fields = json.loads(row["fields"])
        table = row["entity"]
        if table not in Base.metadata.tables:
            continue
        for column, (old, new) in fields.items():
            if column in HIDDEN_COLUMNS:
                continue
            entries.append(HistoryEntry(
                at=row["at"], hlc=row["hlc"], user=row["user"], op=OP_LABELS.get(row["op"], row["op"]),
                record=TABLE_LABELS.get(table, table), entity_id=row["entity_id"],
                field=column_label(table, column), old=display(old), new=display(new),
            ))
    return entries
