"""Signed acknowledgments from the county to one device: which packages landed, which of its
changes are in conflict (and how conflicts were decided), county corrections to apply, and which
devices of the county are revoked. Sealed to the device's own key, like packages to the county."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, or_, select, update

from ..sync import crypto
from ..sync.package import Kind, canonical, seal_to_file, write_package
from .keys import CountyKeys
from .model import Conflict, Correction, Device, Package, RefusedEntry

ACK_PACKAGES = 500  # the newest ones; older confirmations were carried by earlier acknowledgments


def _ack_records(conn: Connection, keys: CountyKeys, device: Any, number: int) -> list[bytes]:
    packages = conn.execute(select(Package.package_id, Package.number, Package.status, Package.seq_from,
                                   Package.seq_to).where(Package.device_id == device.id)
                            .order_by(Package.number.desc()).limit(ACK_PACKAGES)).all()
    conflicts = conn.execute(select(Conflict.id, Conflict.entity, Conflict.entity_id, Conflict.household_id,
                                    Conflict.field, Conflict.incoming_seq, Conflict.status, Conflict.decided_value)
                             .where(Conflict.incoming_device == device.id)).all()
    corrections = conn.execute(select(Correction).where(
        Correction.device_id == device.id,
        or_(Correction.first_ack.is_(None), Correction.first_ack > device.acked_through)).order_by(Correction.id)).all()
    revoked = conn.execute(select(Device.id).where(Device.status == "revoked")).scalars().all()
    ack = {"type": "ack", "county_id": keys.county_id, "device_id": device.id, "ack_number": number,
           "last_number": device.last_number, "you_are_revoked": device.status == "revoked", "revoked": list(revoked),
           "packages": [dict(p._mapping) for p in packages], "conflicts": [dict(c._mapping) for c in conflicts]}
    records = [canonical(ack)]
    records += _refusals(conn, device, number)
    records += [canonical({"type": "correction", "id": c.id, "entity": c.entity, "entity_id": c.entity_id,
                           "hh": c.household_id, "field": c.field, "value": json.loads(c.value)}) for c in corrections]
    conn.execute(update(Correction).where(Correction.device_id == device.id, Correction.first_ack.is_(None))
                 .values(first_ack=number))
    return records


def _refusals(conn: Connection, device: Any, number: int) -> list[bytes]:
    """Entries the county did not apply, until the device says it has applied an acknowledgment
    carrying them: it marks each one 被拒 with the reason (sync/receipts.py)."""
    pending = (RefusedEntry.device_id == device.id, RefusedEntry.seq.is_not(None),
               or_(RefusedEntry.first_ack.is_(None), RefusedEntry.first_ack > device.acked_through))
    rows = conn.execute(select(RefusedEntry.seq, RefusedEntry.code, RefusedEntry.message, RefusedEntry.number)
                        .where(*pending).order_by(RefusedEntry.id)).all()
    conn.execute(update(RefusedEntry).where(RefusedEntry.device_id == device.id, RefusedEntry.first_ack.is_(None))
                 .values(first_ack=number))
    return [canonical({"type": "refused", "seq": r.seq, "code": r.code, "message": r.message, "number": r.number})
            for r in rows]


def build_ack(engine: Engine, keys: CountyKeys, device_id: str) -> bytes:
    """A fresh acknowledgment for ``device_id`` (numbered; the device ignores older ones)."""
    with engine.begin() as conn:
        device = conn.execute(select(Device).where(Device.id == device_id).with_for_update()).one()
        number = device.ack_number + 1
        conn.execute(update(Device).where(Device.id == device_id).values(ack_number=number))
        records = _ack_records(conn, keys, device, number)
        out = io.BytesIO()
        write_package(out, kind=Kind.ACK, sender_id=keys.county_id, signing_private=keys.sign.private,
                      signing_public=keys.sign.public, recipient_public=bytes.fromhex(device.box_key),
                      header={"kind": "ack", "county_id": keys.county_id, "device_id": device_id, "number": number},
                      records=records)
    return out.getvalue()


def ack_filename(device: Any) -> str:
    return f"回执-{device.village_code}-{device.id[:8]}.fupinack"


def write_acks(engine: Engine, keys: CountyKeys, device_ids: set[str], folder: Path) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for device_id in sorted(device_ids):
        with engine.connect() as conn:
            device = conn.execute(select(Device).where(Device.id == device_id)).one()
        data = build_ack(engine, keys, device_id)
        path = folder / ack_filename(device)
        from ..fsutil import write_atomic  # noqa: PLC0415

        write_atomic(path, data)
        paths.append(path)
    return paths


__all__ = ["build_ack", "write_acks", "seal_to_file", "crypto"]
