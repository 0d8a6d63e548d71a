"""Conflicts for review: list them side by side, keep one value; the decision travels back to the
devices as a county correction in their next acknowledgment."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from ..clock import format_hlc, parse as parse_hlc
from ..errors import InvalidInput, NotFound
from ..model.base import column_label
from .model import Conflict, Correction, Device, Record
from .revs import next_rev


def list_conflicts(engine: Engine, *, status: str = "open") -> list[dict[str, Any]]:
    with engine.connect() as conn:
        query = select(Conflict.__table__,
                       Device.label).join(Device, Device.id == Conflict.incoming_device, isouter=True)
        if status != "all":
            query = query.where(Conflict.status == status)
        rows = conn.execute(query.order_by(Conflict.id)).all()
        counties = {c.county_hlc.split(".", 2)[-1] for c in rows}
        labels = dict(conn.execute(select(Device.id, Device.label).where(Device.id.in_(counties))).all())
    out = []
    for c in rows:
        label = c.label
        other = c.county_hlc.split(".", 2)[-1]
        out.append({"id": c.id, "entity": c.entity, "entity_id": c.entity_id, "household_id": c.household_id,
                    "village_code": c.village_code, "field": c.field, "field_label": column_label(c.entity, c.field),
                    "county_value": json.loads(c.county_value), "county_device": labels.get(other, other[:8]),
                    "incoming_value": json.loads(c.incoming_value), "incoming_device": label or c.incoming_device[:8],
                    "base_value": json.loads(c.base_value), "status": c.status,
                    "decided_value": None if c.decided_value is None else json.loads(c.decided_value)})
    return out


def resolve_conflict(engine: Engine, conflict_id: int, *, keep: str, user: str) -> dict[str, Any]:
    """``keep`` is "county" (the value the county had) or "incoming" (the newly arrived one)."""
    if keep not in ("county", "incoming"):
        raise InvalidInput("请选择保留哪一个值：county（县里现有的）或 incoming（新到的）。")
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    from .apply import import_transaction  # noqa: PLC0415 (apply builds on merge, which this module sits beside)

    with import_transaction(engine) as conn:  # the decision takes a record revision: under the import lock
        c = conn.execute(select(Conflict).where(Conflict.id == conflict_id).with_for_update()).first()
        if c is None:
            raise NotFound(f"没有编号为 {conflict_id} 的冲突。")
        if c.status != "open":
            raise InvalidInput(f"冲突 {conflict_id} 已经处理过了。")
        chosen = c.county_value if keep == "county" else c.incoming_value
        rec = conn.execute(select(Record.data, Record.versions).where(
            Record.entity == c.entity, Record.entity_id == c.entity_id).with_for_update()).one()
        data, versions = json.loads(rec.data), json.loads(rec.versions)
        stale = versions.get(c.field) != c.county_hlc  # changed again since: never write back an older value
        if stale:
            conn.execute(update(Conflict).where(Conflict.id == conflict_id).values(
                status="obsolete", decided_by=user, decided_at=now))
        else:
            _decide(conn, c, data, versions, chosen, user, now)
    if stale:  # after the commit, so the conflict stays marked superseded
        raise InvalidInput(f"冲突 {conflict_id} 之后，这个字段又有了更新的修改（现在是“{data.get(c.field)}”），"
                           "冲突已作废。", hint="如需更正，请在设备上修改后再同步。")
    return {"id": conflict_id, "kept": keep, "value": json.loads(chosen)}


def _decide(conn: Connection, c: Any, data: dict[str, Any], versions: dict[str, str], chosen: str, user: str,
            now: str) -> None:
    data[c.field] = json.loads(chosen)
    # The decision is a county version newer than both edits; it belongs to no device, so a
    # device's next edit of the field merges only if it started from the decided value.
    wall, counter, _ = parse_hlc(max(versions.get(c.field, ""), c.county_hlc, c.incoming_hlc))
    versions[c.field] = format_hlc(wall, counter + 1, "county")
    conn.execute(update(Record).where(Record.entity == c.entity, Record.entity_id == c.entity_id).values(
        data=json.dumps(data, ensure_ascii=False), versions=json.dumps(versions), updated_at=now,
        rev=next_rev(conn)))
    conn.execute(update(Conflict).where(Conflict.id == c.id).values(
        status="resolved", decided_value=chosen, decided_by=user, decided_at=now))
    # Whichever device does not hold the chosen value is told to take it over.
    holders = {c.incoming_device: c.incoming_value, c.county_hlc.split(".", 2)[-1]: c.county_value}
    for device_id, value in holders.items():
        known = conn.execute(select(Device.id).where(Device.id == device_id)).scalar()
        if known and value != chosen:
            conn.execute(insert(Correction), {
                "device_id": device_id, "entity": c.entity, "entity_id": c.entity_id,
                "household_id": c.household_id, "field": c.field, "value": chosen, "conflict_id": c.id,
                "created_at": now})
