"""Applying the county's acknowledgments on the device: confirm what landed, mark conflicts and
rejections on the changes they concern, take over county corrections, learn revocations."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, text, update

from ..errors import InvalidInput, NotFound
from ..model import Base, SyncOutbox
from ..services.households import unit_of_work
from ..services.uow import UnitOfWork
from ..store.backups import auto_backup
from ..sync_state import SyncState, sql_list
from ..values import from_json
from ..opchanges import OpChanges
from . import crypto
from .device import device_keys, get_meta, set_meta
from .down import CONFLICT_PREFIX
from .package import Kind, PackageError, PackageReader

if TYPE_CHECKING:
    from ..store.store import Store

# A confirmation or a hold moves what is on its way or in conflict, never an unsent or a refused change.
_UNSETTLED = (SyncState.PACKED, SyncState.DELIVERED, SyncState.CONFLICT)
_SET_STATE = text("UPDATE change_log SET sync_state = :state WHERE device_id = :device "
                  f"AND seq BETWEEN :a AND :b AND sync_state IN {sql_list(_UNSETTLED)}")
_MARK_ONE = text("UPDATE change_log SET sync_state = :state WHERE device_id = :device AND seq = :seq")


@dataclass
class AckResult:
    number: int
    confirmed: int = 0
    conflicts: int = 0
    corrections: int = 0
    refused: int = 0
    already: bool = False
    revoked: bool = False
    messages: list[str] = field(default_factory=list)
    changes: OpChanges = OpChanges()  # acknowledgments move sync states; corrections change records


def read_ack(store: "Store", path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    reader = PackageReader(Path(path))
    with store.engine.connect() as conn:
        keys = device_keys(conn)
    if reader.frame.kind != Kind.ACK:
        raise PackageError("NOT_ACK", f"这不是县里的回执文件：{Path(path).name}")
    frame = reader.frame
    if frame.sender_id != keys.county.county_id or frame.sender_public != crypto.unb64(keys.county.sign_key):
        raise PackageError("WRONG_COUNTY", f"这份回执不是本机所属的县发出的：{Path(path).name}")
    reader.verify(reader.frame.sender_public)
    records = list(reader.records(keys.box.private))  # an acknowledgment is small: statuses and corrections
    if not records or records[0].get("type") != "ack" or records[0].get("device_id") != store.device_id:
        raise PackageError("NOT_FOR_THIS_DEVICE", f"这份回执不是给本机的：{Path(path).name}")
    return records[0], records[1:]


def apply_ack(store: "Store", path: Path) -> AckResult:
    ack, rest = read_ack(store, path)
    corrections = [r for r in rest if r.get("type", "correction") == "correction"]
    refused = [r for r in rest if r.get("type") == "refused"]
    if corrections and int(ack["ack_number"]) > _last_ack(store):
        auto_backup(store, "import")  # county corrections change records: back up first, as for any import

    result = AckResult(number=int(ack["ack_number"]))
    with unit_of_work(store, user="县级更正", origin=f"county-{ack['county_id'][:8]}") as uow:
        conn = uow.conn
        assert conn is not None
        if result.number <= int(get_meta(conn, "sync.ack_number", "0") or 0):
            result.already = True
            return result
        _confirm(conn, store.device_id, ack, result)
        _settle_kept(uow, ack.get("conflicts", []), result)
        _refuse(conn, store.device_id, refused, result)
        last_applied = int(get_meta(conn, "sync.correction", "0") or 0)
        for c in corrections:
            if c["id"] > last_applied:
                _correct(uow, c, result)
                last_applied = c["id"]
        set_meta(conn, "sync.correction", str(last_applied))
        set_meta(conn, "sync.ack_number", str(result.number))
        set_meta(conn, "sync.registered", "1")
        set_meta(conn, "sync.revoked", json.dumps(ack.get("revoked", [])))
        if ack.get("you_are_revoked"):
            set_meta(conn, "sync.self_revoked", "1")
            result.revoked = True
            result.messages.append("县扶贫办已注销本机的同步资格，之后的变更包不会被接受。请联系县扶贫办。")
    result.changes = uow.changes | OpChanges(sync_states=True)
    return result


def _last_ack(store: "Store") -> int:
    with store.engine.connect() as conn:
        return int(get_meta(conn, "sync.ack_number", "0") or 0)


def _confirm(conn: Connection, device_id: str, ack: dict[str, Any], result: AckResult) -> None:
    for p in ack.get("packages", []):
        state = {"imported": SyncState.CONFIRMED, "held": SyncState.DELIVERED}.get(p["status"])
        if state is None:
            continue
        done = conn.execute(update(SyncOutbox).where(SyncOutbox.package_id == p["package_id"],
                                                     SyncOutbox.state != state).values(state=state))
        if done.rowcount:  # a held package's changes are delivered too, not still only packed
            marked = conn.execute(_SET_STATE, {"state": state, "device": device_id,
                                               "a": p["seq_from"], "b": p["seq_to"]}).rowcount
            result.confirmed += marked if state is SyncState.CONFIRMED else 0
    for c in ack.get("conflicts", []):
        state = SyncState.CONFLICT if c["status"] == "open" else SyncState.CONFIRMED
        conn.execute(_MARK_ONE, {"state": state, "device": device_id, "seq": c["incoming_seq"]})
        result.conflicts += c["status"] == "open"


def _settle_kept(uow: UnitOfWork, conflicts: list[dict[str, Any]], result: AckResult) -> None:
    """A field kept here against the county's value whose conflict the county has closed: decided (the
    decided value) or superseded by a later edit (the county's value last seen here) — taken over, so the
    device does not keep a value the county no longer holds when no later package carries the record."""
    assert uow.conn is not None
    for c in conflicts:
        key = f"{CONFLICT_PREFIX}{c.get('entity')}.{c.get('entity_id')}.{c.get('field')}"
        kept = get_meta(uow.conn, key) if c.get("status") != "open" else None
        table = Base.metadata.tables.get(str(c.get("entity")))
        if kept is None or table is None or str(c.get("field")) not in table.c:
            continue
        decided = c.get("decided_value") if c.get("status") == "resolved" else None
        value = json.loads(decided) if isinstance(decided, str) else json.loads(kept).get("county")
        try:
            uow.update(table, c["entity_id"], {c["field"]: from_json(table.c[c["field"]], value)},
                       household_id=c.get("household_id"))
        except (NotFound, InvalidInput) as err:
            result.messages.append(f"县里已处理的冲突无法在本机应用：{getattr(err, 'message', err)}")
            continue
        uow.conn.execute(text("DELETE FROM meta WHERE key = :k"), {"k": key})


def _refuse(conn: Connection, device_id: str, refused: list[dict[str, Any]], result: AckResult) -> None:
    """Entries the county did not apply (outside this device's scope, malformed): 被拒, with the reason
    kept beside them (meta ``sync.refused.<seq>``) so that nothing typed vanishes without a word."""
    for r in refused:
        seq = r.get("seq")
        if type(seq) is not int:
            continue
        conn.execute(_MARK_ONE, {"state": SyncState.REJECTED, "device": device_id, "seq": seq})
        set_meta(conn, f"sync.refused.{seq}", f"[{r.get('code')}] {r.get('message')}"[:500])
        result.refused += 1
    if refused:
        first = refused[0]
        result.messages.append(f"县里拒绝了本机的 {len(refused)} 条变更，已标为“被拒”。例如：{first.get('message')}")


def refusal_reason(conn: Connection, seq: int) -> str | None:
    """Why the county refused change ``seq`` of this device, if it did."""
    return get_meta(conn, f"sync.refused.{seq}")


def _correct(uow: UnitOfWork, correction: dict[str, Any], result: AckResult) -> None:
    table = Base.metadata.tables.get(correction["entity"])
    if table is None or correction["field"] not in table.c:
        result.messages.append(f"县级更正涉及未知字段，已跳过：{correction['entity']}.{correction['field']}")
        return
    value = from_json(table.c[correction["field"]], correction["value"])
    try:
        uow.update(table, correction["entity_id"], {correction["field"]: value}, household_id=correction.get("hh"))
        result.corrections += 1
        # The county's decision: a field kept here against its down package is settled too, even if no
        # later package carries the record (the decision may have come down before this device was told).
        assert uow.conn is not None
        uow.conn.execute(text("DELETE FROM meta WHERE key = :k"), {
            "k": f"{CONFLICT_PREFIX}{correction['entity']}.{correction['entity_id']}.{correction['field']}"})
    except NotFound:
        result.messages.append("县级更正涉及本机没有的记录，已跳过。")
    except InvalidInput as err:
        result.messages.append(f"县级更正无法应用：{err.message}")
