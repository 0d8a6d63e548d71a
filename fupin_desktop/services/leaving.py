"""Households leaving the register and coming back, and the one way a household is ever deleted.

注销 keeps the household in the file with a reason from the code table (户注销原因), a date and,
for 其他, a few words; 恢复 puts it back. Both are ordinary updates, so they are logged, packed and
merged at the county like any other edit. A household typed by mistake that never left this device
(every change-log entry of it still 未发送 here) can be removed outright: nobody else ever saw it, so
its rows and its log entries go together and no package will mention it.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import Connection, delete, func, select

from .. import drafts
from ..errors import InvalidInput, NotFound
from ..model import Base, ChangeLog, Household, Meta
from ..opchanges import OpChanges
from ..reference import CodeTables
from ..sync_state import SyncState
from ..values import clean_text, parse_date, tidy_text
from .households import ACTIVE, LEFT, unit_of_work

if TYPE_CHECKING:
    from ..store.store import Store

REASON_TABLE = "户注销原因"
OTHER = "其他"


def leave_reasons() -> list[str]:
    """The reasons a household may leave with, as the county's code table lists them."""
    return CodeTables.default().labels(REASON_TABLE)


def leave_household(store: "Store", household_id: str, reason: str, on: date | str, note: str = "") -> OpChanges:
    """注销: one unit of work, refused in Chinese (nothing written) when the reason, date or note is missing."""
    reason, note = clean_text(reason), tidy_text(note)
    if reason not in leave_reasons():
        raise InvalidInput(f"注销原因“{reason}”不在代码表中；请从 {'、'.join(leave_reasons())} 中选择。" if reason
                           else "请选择注销原因。", field="注销原因")
    day = parse_date(on, "注销日期")
    if day is None:
        raise InvalidInput("请填写注销日期。", field="注销日期")
    if day > date.today():
        raise InvalidInput(f"注销日期 {day} 晚于今天。", field="注销日期")
    if reason == OTHER and not note:
        raise InvalidInput("注销原因为“其他”时，请在注销说明中写明原因。", field="注销说明")
    with unit_of_work(store) as uow:
        current = uow.get(Household, household_id)
        if current["record_status"] != ACTIVE:
            raise InvalidInput(f"这一户已经注销（{current['left_reason'] or ''} {current['left_on'] or ''}）。")
        uow.update(Household, household_id, {"record_status": LEFT, "left_reason": reason, "left_on": day,
                                             "left_note": note or None})
    return uow.changes


def restore_household(store: "Store", household_id: str, on: date | None = None) -> OpChanges:
    """恢复: back on the register; the reason and date of leaving are cleared (the history keeps them)."""
    with unit_of_work(store) as uow:
        current = uow.get(Household, household_id)
        if current["record_status"] == ACTIVE:
            raise InvalidInput("这一户在册，不需要恢复。")
        uow.update(Household, household_id, {"record_status": ACTIVE, "left_reason": None, "left_on": None,
                                             "left_note": None, "restored_on": on or date.today()})
    return uow.changes


# ---- deleting a household that never left this device ----------------------------------------------
def why_not_deletable(conn: Connection, household_id: str, device_id: str) -> str | None:
    """None when the household can be deleted outright, else the reason in Chinese."""
    if conn.execute(select(Household.id).where(Household.id == household_id)).first() is None:
        raise NotFound("找不到这一户。")
    created_here = conn.execute(select(func.count()).select_from(ChangeLog).where(
        ChangeLog.entity == "household", ChangeLog.entity_id == household_id, ChangeLog.op == "insert",
        ChangeLog.device_id == device_id)).scalar_one()
    if not created_here:
        return "这一户不是在本机新建的（来自导入前的数据或县里下发），不能删除；如不应在册，请注销。"
    left = conn.execute(select(func.count()).select_from(ChangeLog).where(
        ChangeLog.household_id == household_id,
        (ChangeLog.sync_state != SyncState.UNSENT.value) | (ChangeLog.device_id != device_id))).scalar_one()
    if left:
        return ("这一户的修改已经打包或发送给县里，县里和其他电脑可能已有这一户，不能删除；"
                "如是误建，请注销，原因选“识别错误”。")
    return None


def delete_unsent_household(store: "Store", household_id: str) -> OpChanges:
    """Remove a household created here by mistake, with everything under it and its log entries."""
    with unit_of_work(store) as uow:
        assert uow.conn is not None
        reason = why_not_deletable(uow.conn, household_id, store.device_id)
        if reason is not None:
            raise InvalidInput(reason)
        logged = uow.conn.execute(select(ChangeLog.entity, ChangeLog.entity_id).where(
            ChangeLog.household_id == household_id)).all()
        by_table: dict[str, set[str]] = {}
        for entity, entity_id in logged:
            by_table.setdefault(entity, set()).add(entity_id)
        # Children before parents: the foreign keys are checked.
        for table in reversed(Base.metadata.sorted_tables):
            if ids := by_table.get(table.name):
                uow.conn.execute(delete(table).where(table.c.id.in_(sorted(ids))))
        uow.conn.execute(delete(ChangeLog).where(ChangeLog.household_id == household_id))
        uow.conn.execute(delete(Meta).where(Meta.key == drafts.DRAFT_PREFIX + household_id))
    return OpChanges(frozenset({household_id}), frozenset(by_table), sync_states=True, everything=True)
