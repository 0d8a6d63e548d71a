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
import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, insert, select, update

from ..fsutil import write_atomic
from ..model import Base
from ..sync import crypto
from ..sync.device import schema_revision
from ..sync.package import Kind, write_package
from .apply import now
from .keys import CountyKeys
from .model import Blob, Device, DownPackage, Record
from .refdata import values_after
from .scope import scope_of

# Records per package: a transaction on the laptop stays short (about a second) and a cut transfer loses
# little (about 3 MB). Not fewer: each package's commit writes (and encrypts) again every index page its
# records touch, and record ids are random; a township's first download applied in 84 s as packages of
# 5,000, 75 s of 10,000, 67 s of 20,000 (the laptop's peak memory 377 MB).
DOWN_RECORDS = int(os.environ.get("FUPIN_DOWN_RECORDS", "20000"))
DOWN_BYTES = 32 * 1024 * 1024  # before compression; the device refuses packages over 64 MiB
DOWN_SUFFIX = ".fupindown"
# zlib level 1 rather than 6: on the demo's records 2.4 times faster for packages 1.5 times larger
# (compressing was a third of a township's build; a package is still about 15 times smaller than its JSON)
DOWN_ZLIB_LEVEL = 1


@dataclass(frozen=True)
class Built:
    number: int
    data: bytes


def _in_scope(device: Any) -> Any:
    prefix = scope_of(device).prefix
    if len(prefix) == 12:  # a village: its own index (village, rev), whatever the planner's statistics say
        return Record.village_code == prefix
    return Record.village_code.startswith(prefix, autoescape=True)


def _rows(conn: Connection, device: Any) -> list[Any]:
    return list(conn.execute(select(Record).where(Record.rev > device.down_rev, _in_scope(device))
                             .order_by(Record.rev).limit(DOWN_RECORDS)).all())


@cache
def _references(entity: str) -> tuple[tuple[str, str], ...]:
    """(column, referenced table) of each foreign key of ``entity``."""
    table = Base.metadata.tables.get(entity)
    if table is None:
        return ()
    return tuple((c.name, next(iter(c.foreign_keys)).column.table.name) for c in table.c if c.foreign_keys)


@cache
def _targets() -> frozenset[str]:
    """The tables other records point to (households, members, measures…)."""
    return frozenset(target for table in Base.metadata.tables for _, target in _references(table))


def _parents(conn: Connection, device: Any, rows: list[Any], sent: set[tuple[str, str]]) -> list[Any]:
    """Records the package's rows point to that would only come in a later package (a household
    changed after its members): sent now too, so every package applies on its own. Sending a record
    twice is harmless; its later package carries the same or a newer state. ``sent``: records an
    earlier package of this run already carried (the device has them: no need to look)."""
    # looked up beside ``sent``, not merged with it: a township's run grows ``sent`` to 770,000 pairs,
    # and copying it for every package was a tenth of the build
    seen = {(r.entity, r.entity_id) for r in rows}
    rev_to, frontier, parents = rows[-1].rev, rows, list[Any]()
    while frontier:
        wanted: dict[str, set[str]] = {}
        for row in frontier:
            references = _references(row.entity)
            if not references:
                continue
            data = orjson.loads(row.data)
            for column, target in references:
                value = data.get(column)
                if isinstance(value, str) and (target, value) not in seen and (target, value) not in sent:
                    wanted.setdefault(target, set()).add(value)
        frontier = [r for entity, ids in wanted.items() for r in conn.execute(select(Record).where(
            Record.entity == entity, Record.entity_id.in_(ids), Record.rev > rev_to, _in_scope(device)))]
        seen |= {(entity, i) for entity, ids in wanted.items() for i in ids}
        parents = frontier + parents
    return parents


def _encode(conn: Connection, row: Any) -> bytes:
    doc: dict[str, Any] = {"type": "record", "entity": row.entity, "id": row.entity_id, "hh": row.household_id,
                           "village": row.village_code, "rev": row.rev, "deleted": bool(row.deleted)}
    # data and versions are already JSON in the county database: spliced in, not parsed and dumped again
    parts = [orjson.dumps(doc)[:-1], b',"data":', row.data.encode(), b',"versions":', row.versions.encode()]
    if row.entity == "attachment" and not row.deleted:
        data = conn.execute(select(Blob.data).where(Blob.entity_id == row.entity_id)).scalar()
        if data is not None:
            parts += [b',"blob":"', crypto.b64(data).encode(), b'"']
    parts.append(b"}")
    return b"".join(parts)


def _fitting(conn: Connection, rows: list[Any]) -> Iterator[tuple[Any, bytes]]:
    size = 0
    for i, row in enumerate(rows):
        record = _encode(conn, row)
        size += len(record)
        if i and size > DOWN_BYTES:
            return
        yield row, record


def build_next(conn: Connection, keys: CountyKeys, device: Any, schema: str | None = None,
               sent: set[tuple[str, str]] | None = None) -> Built | None:
    """Seal the device's next package, or None when it has everything. The caller locks the device row.
    Reference values set since its last package (thresholds, rule parameters) come first in it.
    ``schema``: this program's schema revision, when the caller has read it (reading it is 25 ms).
    ``sent``: for a run of packages, the records that others point to which earlier ones carried;
    this package's are added (looking each parent up again was most of a township's build)."""
    pairs = list(_fitting(conn, _rows(conn, device)))
    refs = values_after(conn, device.ref_version)
    if not pairs and not refs:
        return None
    # the device's record cursor moves over these only
    first, last = (pairs[0][0].rev, pairs[-1][0].rev) if pairs else (device.down_rev, device.down_rev)
    parents = _parents(conn, device, [row for row, _ in pairs], sent if sent is not None else set()) if pairs else []
    if sent is not None:
        sent.update((row.entity, row.entity_id) for row in parents)
        sent.update((row.entity, row.entity_id) for row, _ in pairs if row.entity in _targets())
    records = [orjson.dumps(ref.as_record()) for ref in refs] + [_encode(conn, row) for row in parents] \
        + [record for _, record in pairs]
    number = device.down_number + 1
    previous = conn.execute(select(DownPackage.sha256).where(DownPackage.device_id == device.id,
                                                              DownPackage.number == device.down_number)).scalar()
    header = {"kind": "down", "county_id": keys.county_id, "device_id": device.id, "number": number,
              "prev_hash": previous or "", "schema": schema or schema_revision(), "scope": scope_of(device).prefix,
              "rev_from": first, "rev_to": last, "created": now(),
              "counts": {"records": len(records) - len(refs), "reference": len(refs)}}
    out = io.BytesIO()
    written = write_package(out, kind=Kind.DOWN, sender_id=keys.county_id, signing_private=keys.sign.private,
                            signing_public=keys.sign.public, recipient_public=bytes.fromhex(device.box_key),
                            header=header, records=records, level=DOWN_ZLIB_LEVEL)
    conn.execute(insert(DownPackage), {
        "device_id": device.id, "number": number, "rev_from": header["rev_from"], "rev_to": header["rev_to"],
        "records": len(records), "sha256": written.sha256, "created_at": header["created"], "data": out.getvalue()})
    conn.execute(update(Device).where(Device.id == device.id).values(
        down_number=number, down_rev=header["rev_to"], ref_version=refs[-1].version if refs else device.ref_version))
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


def build_all(engine: Engine, keys: CountyKeys, device_id: str, schema: str | None = None) -> Iterator[Built]:
    """Every package the device has not yet applied, building new ones until it has everything (USB).
    They are built in one transaction and then read back one at a time: a township's first download is
    150 packages, and holding all of their bytes at once is what kept the county's memory high."""
    schema = schema or schema_revision()
    with engine.begin() as conn:
        device, sent = _locked(conn, device_id), set[tuple[str, str]]()
        while device.status == "active" and build_next(conn, keys, device, schema, sent) is not None:
            device = conn.execute(select(Device).where(Device.id == device_id)).one()
        numbers = list(conn.execute(select(DownPackage.number).where(
            DownPackage.device_id == device_id, DownPackage.number > device.down_applied,
            DownPackage.data.is_not(None)).order_by(DownPackage.number)).scalars())
    for number in numbers:
        with engine.connect() as conn:
            data = conn.execute(select(DownPackage.data).where(DownPackage.device_id == device_id,
                                                                DownPackage.number == number)).scalar()
        if data is not None:
            yield Built(number, data)


def down_folder(device: Any) -> str:
    return f"{device.village_code}-{device.id[:8]}"


def export_down(engine: Engine, keys: CountyKeys, folder: Path, device_ids: list[str] | None = None) -> list[Path]:
    """Write each device's unapplied down packages into ``folder/<village>-<device>/`` for a USB stick."""
    with engine.connect() as conn:
        query = select(Device).where(Device.status == "active")
        devices = conn.execute(query if device_ids is None else query.where(Device.id.in_(device_ids))).all()
    paths: list[Path] = []
    schema = schema_revision()
    for device in devices:
        target = Path(folder) / down_folder(device)
        for built in build_all(engine, keys, device.id, schema):
            target.mkdir(parents=True, exist_ok=True)
            path = target / f"下发-{built.number:06d}{DOWN_SUFFIX}"
            write_atomic(path, built.data)
            paths.append(path)
    return paths


__all__ = ["Built", "build_all", "build_next", "export_down", "next_for"]
