"""Writing the monitoring procedure: starting one, recording its steps (with the signed 承诺授权书's
photo), closing it; and disposing of department warnings. Each function is a step inside a unit of
work that the caller opens (``households.unit_of_work``)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select

from ..errors import InvalidInput
from ..model import Attachment, DeptWarning, Household, Procedure, ProcedureStep
from ..procedure import CHANNELS, DISPOSITIONS, DONE, IDENTIFY, KINDS, OPEN, STEPS, STOPPED
from ..values import parse_date
from .households import MAX_PHOTO_BYTES
from .uow import UnitOfWork

Photo = tuple[str, bytes, str]  # file name, bytes, MIME type


def start_procedure(uow: UnitOfWork, household_id: str, kind: str, discovered_on: date | str, *,
                    channel: str | None = None, year: int | None = None, warning_id: str | None = None,
                    note: str | None = None) -> str:
    if kind not in KINDS:
        raise InvalidInput(f"程序类型只能是{'、'.join(KINDS)}，不能是“{kind}”。", field="程序类型")
    if kind == IDENTIFY and channel not in CHANNELS:
        raise InvalidInput(f"识别纳入须填写发现渠道（{'、'.join(CHANNELS)}）。", field="发现渠道")
    found = parse_date(discovered_on, "发现日期")
    if found is None:
        raise InvalidInput("请填写发现日期（识别纳入为发现风险线索之日，风险消除和退出为启动之日）。", field="发现日期")
    uow.get(Household, household_id)
    return uow.insert(Procedure, {"household_id": household_id, "year": year or found.year, "kind": kind,
                                  "channel": channel, "discovered_on": found, "warning_id": warning_id,
                                  "status": OPEN, "note": note})


def record_step(uow: UnitOfWork, procedure_id: str, step: str, done_on: date | str, *,
                photos: tuple[Photo, ...] = (), **fields: Any) -> str:
    """Add a step, or change the one already recorded; ``recorded_by`` is whoever saves it."""
    if step not in STEPS:
        raise InvalidInput(f"没有“{step}”这一环节（可选：{'、'.join(STEPS)}）。", field="环节")
    proc = uow.get(Procedure, procedure_id)
    values = {**fields, "step": step, "done_on": done_on, "recorded_by": uow.user}
    assert uow.conn is not None
    existing = uow.conn.execute(select(ProcedureStep.id).where(
        ProcedureStep.procedure_id == procedure_id, ProcedureStep.step == step)).scalar_one_or_none()
    if existing is None:
        step_id = uow.insert(ProcedureStep, {**values, "procedure_id": procedure_id,
                                             "household_id": proc["household_id"]})
    else:
        uow.update(ProcedureStep, existing, values)
        step_id = existing
    for photo in photos:
        add_step_photo(uow, step_id, photo, proc["household_id"])
    return step_id


def add_step_photo(uow: UnitOfWork, step_id: str, photo: Photo, household_id: str) -> str:
    filename, data, mime = photo
    if len(data) > MAX_PHOTO_BYTES:  # one photo travels in one sync package line
        raise InvalidInput(f"照片“{filename}”太大（{len(data) / 1024 / 1024:.1f} MB），每张最多 "
                           f"{MAX_PHOTO_BYTES // 1024 // 1024} MB。", hint="请缩小照片后再添加。")
    return uow.insert(Attachment, {
        "owner_table": "procedure_step", "owner_id": step_id, "kind": "签字表照片", "filename": filename,
        "mime": mime, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "data": data,
    }, household_id=household_id)


def remove_step(uow: UnitOfWork, step_id: str) -> None:
    """A step recorded by mistake (its photos go with it)."""
    assert uow.conn is not None
    household_id = uow.get(ProcedureStep, step_id)["household_id"]
    for photo_id in uow.conn.execute(select(Attachment.id).where(
            Attachment.owner_table == "procedure_step", Attachment.owner_id == step_id)).scalars().all():
        uow.delete(Attachment, photo_id, household_id=household_id)
    uow.delete(ProcedureStep, step_id)


def close_procedure(uow: UnitOfWork, procedure_id: str, result: str, *, stopped: bool = False) -> None:
    """已办结 with the county's result, or 已终止 (the household withdrew, the clue proved false)."""
    if not result:
        raise InvalidInput("请填写认定结果（或终止原因）。", field="认定结果")
    uow.update(Procedure, procedure_id, {"status": STOPPED if stopped else DONE, "result": result})


def dispose_warning(uow: UnitOfWork, warning_id: str, disposition: str, on: date | str, *,
                    reason: str | None = None, procedure_id: str | None = None) -> None:
    if disposition not in DISPOSITIONS:
        raise InvalidInput(f"处置结果只能是{'、'.join(DISPOSITIONS)}。", field="处置结果")
    if disposition == "核实不纳入" and not (reason or "").strip():
        raise InvalidInput("核实不纳入须写明理由。", field="不纳入理由")
    uow.update(DeptWarning, warning_id, {"disposition": disposition, "reason": reason, "disposed_on": on,
                                         "disposed_by": uow.user, "procedure_id": procedure_id})


def include_from_warning(uow: UnitOfWork, warning_id: str, on: date | str) -> str:
    """核实后纳入: the warning starts a 识别纳入 procedure (channel 部门筛查预警) and is disposed by it."""
    warning = uow.get(DeptWarning, warning_id)
    procedure_id = start_procedure(uow, warning["household_id"], IDENTIFY, warning["warned_on"],
                                   channel="部门筛查预警", warning_id=warning_id,
                                   note=f"{warning['department']}预警：{warning['warning']}")
    dispose_warning(uow, warning_id, "核实后纳入", on, procedure_id=procedure_id)
    return procedure_id


def add_warnings(uow: UnitOfWork, rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Matched rows of a department's list (``tabular.warnings`` reads and matches them)."""
    return uow.insert_many(DeptWarning, rows, household_ids=[r["household_id"] for r in rows])
