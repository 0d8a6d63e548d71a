"""Down packages: the county sends each device the records of its scope that changed since its last
package (from any device, conflict decisions, corrections), sealed like every package: signed by the
county's key, encrypted to the device's box key, numbered per device, chained by hash.

A package carries record states (every field with its version), not log entries: a device that
missed nothing gets only what changed, a new device gets its whole scope as a run of packages, and
applying the same state twice changes nothing. Each built package is kept until the device has
applied a later one, so a retry or a second USB copy gets the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, select, update

from ..sync import crypto
from ..sync.device import schema_revision
from ..sync.package import Kind, canonical, write_package
from .apply import now
from .keys import CountyKeys
from .model import Blob, Device, DownPackage, Record
from .scope import scope_of

DOWN_RECORDS = 5000  # per package: a transaction on the laptop stays short, a cut transfer loses little
DOWN_BYTES = 32 * 1024 * 1024  # before compression; the device refuses packages over 64 MiB
DOWN_SUFFIX = ".fupindown"


@dataclass(frozen=True)
class Built:
    number: int
    data: bytes


def _rows(conn: Connection, device: Any) -> list[Any]:
    scope = scope_of(device)
    return conn.execute(select(Record).where(Record.rev > device.down_rev,
                                             Record.village_code.startswith(scope.prefix, autoescape=True))
                        .order_by(Record.rev).limit(DOWN_RECORDS)).all()


def _encode(conn: Connection, row: Any) -> bytes:
    doc: dict[str, Any] = {"type": "record", "entity": row.entity, "id": row.entity_id, "hh": row.household_id,
                           "village": row.village_code, "rev": row.rev, "deleted": bool(row.deleted)}
    # data and versions are already JSON in the county database: spliced in, not parsed and dumped again
    head = orjson.dumps(doc)[:-1]
    blob = b""
    if row.entity == "attachment" and not row.deleted:
        data = conn.execute(select(Blob.data).where(Blob.entity_id == row.entity_id)).scalar()
        blob = b',"blob":"' + crypto.b64(data).encode() + b'"' if data is not None else b""
    return head + b',"data":' + row.data.encode() + b',"versions":' + row.versions.encode() + blob + b"}"


def _fitting(conn: Connection, rows: list[Any]) -> Iterator[tuple[Any, bytes]]:
    size = 0
    for i, row in enumerate(rows):
        record = _encode(conn, row)
        size += len(record)
        if i and size > DOWN_BYTES:
            return
        yield row, record


def build_next(conn: Connection, keys: CountyKeys, device: Any) -> Built | None:
    """Seal the device's next package, or None when it has everything. The caller locks the device row."""
    pairs = list(_fitting(conn, _rows(conn, device)))
    if not pairs:
        return None
    number = device.down_number + 1
    previous = conn.execute(select(DownPackage.sha256).where(DownPackage.device_id == device.id,
                                                              DownPackage.number == device.down_number)).scalar()
    header = {"kind": "down", "county_id": keys.county_id, "device_id": device.id, "number": number,
              "prev_hash": previous or "", "schema": schema_revision(), "scope": scope_of(device).prefix,
              "rev_from": pairs[0][0].rev, "rev_to": pairs[-1][0].rev, "created": now(),
              "counts": {"records": len(pairs)}}
    out = io.BytesIO()
    written = write_package(out, kind=Kind.DOWN, sender_id=keys.county_id, signing_private=keys.sign.private,
                            signing_public=keys.sign.public, recipient_public=bytes.fromhex(device.box_key),
                            header=header, records=(r for _, r in pairs))
    conn.execute(DownPackage.__table__.insert(), {
        "device_id": device.id, "number": number, "rev_from": header["rev_from"], "rev_to": header["rev_to"],
        "records": len(pairs), "sha256": written.sha256, "created_at": header["created"], "data": out.getvalue()})
    conn.execute(update(Device).where(Device.id == device.id).values(down_number=number, down_rev=header["rev_to"]))
    return Built(number, out.getvalue())


def _locked(conn: Connection, device_id: str) -> Any:
    return conn.execute(select(Device).where(Device.id == device_id).with_for_update()).one()


def next_for(engine: Engine, keys: CountyKeys, device_id: str, applied: int) -> Built | None:
    """What a device that has applied down packages up to ``applied`` should get next (over HTTP)."""
    with engine.begin() as conn:
        device = _locked(conn, device_id)
        applied = min(max(applied, 0), device.down_number)
        _forget(conn, device, applied)
        kept = conn.execute(select(DownPackage.number, DownPackage.data).where(
            DownPackage.device_id == device_id, DownPackage.number == applied + 1)).first()
        if kept is not None and kept.data is not None:
            return Built(kept.number, kept.data)
        return build_next(conn, keys, device) if device.status == "active" else None


def _forget(conn: Connection, device: Any, applied: int) -> None:
    """The device has these: their bytes are no longer needed (the rows stay, for the chain and audit)."""
    if applied > device.down_applied:
        conn.execute(update(Device).where(Device.id == device.id).values(down_applied=applied))
    conn.execute(update(DownPackage).where(DownPackage.device_id == device.id, DownPackage.number <= applied)
                 .values(data=None))


def build_all(engine: Engine, keys: CountyKeys, device_id: str) -> list[Built]:
    """Every package the device has not yet applied, building new ones until it has everything (USB)."""
    with engine.begin() as conn:
        device = _locked(conn, device_id)
        while device.status == "active" and build_next(conn, keys, device) is not None:
            device = conn.execute(select(Device).where(Device.id == device_id)).one()
        rows = conn.execute(select(DownPackage.number, DownPackage.data).where(
            DownPackage.device_id == device_id, DownPackage.number > device.down_applied,
            DownPackage.data.is_not(None)).order_by(DownPackage.number)).all()
    return [Built(r.number, r.data) for r in rows]


def down_folder(device: Any) -> str:
    return f"{device.village_code}-{device.id[:8]}"


def export_down(engine: Engine, keys: CountyKeys, folder: Path, device_ids: list[str] | None = None) -> list[Path]:
    """Write each device's unapplied down packages into ``folder/<village>-<device>/`` for a USB stick."""
    from ..fsutil import write_atomic  # noqa: PLC0415

    with engine.connect() as conn:
        query = select(Device).where(Device.status == "active")
        devices = conn.execute(query if device_ids is None else query.where(Device.id.in_(device_ids))).all()
    paths: list[Path] = []
    for device in devices:
        target = Path(folder) / down_folder(device)
        for built in build_all(engine, keys, device.id):
            target.mkdir(parents=True, exist_ok=True)
            path = target / f"下发-{built.number:06d}{DOWN_SUFFIX}"
            write_atomic(path, built.data)
            paths.append(path)
    return paths


__all__ = ["Built", "build_all", "build_next", "export_down", "next_for"]
