"""The history of a household from the change log: who changed what, when, old → new, and whose
record it was (a member's name, the year and item of an income line, the kind of a measure)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from ..model import Base, ChangeLog, Helper, Member, MemberYear, column_label

TABLE_LABELS = {
    "household": "户基本情况", "household_year": "年度情况", "member": "家庭成员", "member_year": "成员年度情况",
    "work_record": "务工记录", "income_year": "收入核算", "income_line": "收入明细", "measure": "帮扶措施",
    "measure_loan": "小额信贷", "measure_housing": "危房改造", "measure_relocation": "易地搬迁",
    "measure_public_post": "公益岗位", "measure_education": "教育资助", "measure_health": "健康帮扶",
    "helper_assignment": "帮扶责任人", "visit": "走访记录", "plan": "帮扶计划", "assessment": "评议认定",
    "risk_flag": "比对预警", "attachment": "附件",
    "procedure": "监测程序", "procedure_step": "程序环节", "dept_warning": "部门预警",
}
OP_LABELS = {"insert": "新增", "update": "修改", "delete": "删除", "snapshot": "从县里下载"}
# A first download's records are logged as one entry per household and package (sync/snapshot.py).
SNAPSHOT = "snapshot"
# Links between records and list positions mean nothing to a reader of the history.
HIDDEN_COLUMNS = frozenset({"household_id", "member_id", "income_id", "helper_id", "team_id", "owner_id",
                            "owner_table", "sort", "seq", "procedure_id"})
# A past value of these is put back only through their own job (注销/恢复, a member leaving), which
# checks the reason and date; income totals follow from the lines.
NOT_PUT_BACK = frozenset({"record_status", "left_reason", "left_on", "left_note", "restored_on"})
PUT_BACK_TABLES = frozenset({"household", "household_year", "member", "member_year", "work_record", "income_year",
                             "income_line", "measure", "measure_loan", "measure_housing", "measure_relocation",
                             "measure_public_post", "measure_education", "measure_health", "visit", "plan"})
MEASURE_DETAILS = frozenset(t for t in TABLE_LABELS if t.startswith("measure_"))


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
    subject: str = ""  # whose record: "张小明 2024年", "2024年 务工收入", "本户"
    person: str = ""  # the member's name when the record is a member's, for filtering
    table: str = ""
    column: str = ""
    old_value: Any = None  # as logged (JSON), for putting it back
    restorable: bool = False  # an old value that can be put back as a new change


class _Records:
    """What the log (oldest first) says about each record, so that a record removed since can still be named.
    Rows stored before any logging (or written by another path) are named from the tables."""

    def __init__(self, conn: Connection, household_id: str, rows: list[Any]) -> None:
        self.fields: dict[str, dict[str, Any]] = {}
        self.gone: set[tuple[str, str]] = set()  # (table, id): a measure and its detail row share the id
        for row in rows:
            if row["op"] == SNAPSHOT:
                continue
            known = self.fields.setdefault(row["entity_id"], {})
            for column, (old, new) in json.loads(row["fields"]).items():
                known[column] = old if row["op"] == "delete" else new
            if row["op"] == "delete":
                self.gone.add((row["entity"], row["entity_id"]))
            elif row["op"] == "insert":
                self.gone.discard((row["entity"], row["entity_id"]))
        members = conn.execute(select(Member.id, Member.name).where(Member.household_id == household_id)).all()
        for member_id, name in members:
            self.fields.setdefault(member_id, {}).setdefault("name", name)
        years = conn.execute(select(MemberYear.id, MemberYear.member_id, MemberYear.year)
                             .where(MemberYear.member_id.in_([m for m, _n in members]))).all()
        for row_id, member_id, year in years:
            known = self.fields.setdefault(row_id, {})
            known.setdefault("member_id", member_id)
            known.setdefault("year", year)
        helper_ids = {f.get("helper_id") for f in self.fields.values() if f.get("helper_id")}
        self.helpers = dict(conn.execute(select(Helper.id, Helper.name).where(Helper.id.in_(helper_ids))).all())

    def get(self, entity_id: str | None) -> dict[str, Any]:
        return self.fields.get(entity_id or "", {})

    def person(self, table: str, entity_id: str) -> str:
        f = self.get(entity_id)
        if table == "member":
            return str(f.get("name") or "")
        member_id = f.get("member_id")
        return str(self.get(member_id).get("name") or "（未填姓名）") if member_id else ""

    def subject(self, table: str, entity_id: str, person: str) -> str:
        f = self.get(entity_id)
        year = f"{f['year']}年" if f.get("year") else ""
        if table == "household":
            return "本户"
        if table in ("member", "work_record"):
            return person
        if table == "member_year":
            return " ".join(p for p in (person, year) if p)
        if table == "income_line":
            owner = self.get(f.get("income_id"))
            return " ".join(p for p in (f"{owner['year']}年" if owner.get("year") else "", f.get("item") or "") if p)
        if table == "measure" or table in MEASURE_DETAILS:
            parts = (year, f.get("category") or "", f.get("name") or "", person)
            return " ".join(str(p) for p in parts if p)
        if table == "helper_assignment":
            return str(self.helpers.get(str(f.get("helper_id")), ""))
        if table == "visit":
            return f"{f['visited_on']} 走访" if f.get("visited_on") else ""
        if table == "attachment":
            return str(f.get("filename") or "")
        return " ".join(p for p in (year, str(f.get("kind") or f.get("flag_type") or "")) if p)


def household_history(conn: Connection, household_id: str, limit: int = 2000) -> list[HistoryEntry]:
    """Newest first, at most ``limit`` log rows; the names come from the whole log of the household."""
    rows = list(conn.execute(
        select(ChangeLog).where(ChangeLog.household_id == household_id).order_by(ChangeLog.hlc)
    ).mappings())
    records = _Records(conn, household_id, rows)
    entries: list[HistoryEntry] = []
    for row in reversed(rows[-limit:]):
        table = row["entity"]
        if table not in Base.metadata.tables:
            continue
        entity_id = row["entity_id"]
        if row["op"] == SNAPSHOT:
            entries.append(_snapshot_entry(row))
            continue
        person = records.person(table, entity_id)
        subject = records.subject(table, entity_id, person)
        for column, (old, new) in json.loads(row["fields"]).items():
            if column in HIDDEN_COLUMNS:
                continue
            current = records.get(entity_id).get(column)
            restorable = (row["op"] == "update" and table in PUT_BACK_TABLES and column not in NOT_PUT_BACK
                          and (table, entity_id) not in records.gone and current != old)
            entries.append(HistoryEntry(
                at=row["at"], hlc=row["hlc"], user=row["user"], op=OP_LABELS.get(row["op"], row["op"]),
                record=TABLE_LABELS.get(table, table), entity_id=entity_id,
                field=column_label(table, column), old=display(old), new=display(new), subject=subject,
                person=person, table=table, column=column, old_value=old, restorable=restorable,
            ))
    return entries


def _snapshot_entry(row: Any) -> HistoryEntry:
    """Where a first download's records came from: the county's package and what it brought."""
    fields = json.loads(row["fields"])
    brought = "，".join(f"{TABLE_LABELS.get(name, name)} {n} 条" for name, n in fields.get("records", {}).items())
    return HistoryEntry(at=row["at"], hlc=row["hlc"], user=row["user"], op=OP_LABELS[SNAPSHOT], record="本户档案",
                        entity_id=row["entity_id"], field=f"县里发来的第 {fields.get('package', '?')} 个下发包",
                        old="", new=brought, subject="本户", table=row["entity"])
