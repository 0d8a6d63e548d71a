"""Placing an authenticated package: already imported, held (a gap before it, or past a cap), or
applied in the caller's transaction. Packages are keyed by (device, number), the device being the
one whose registered key signed the package, so no device can reach another device's packages."""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, text, update

from ..sync.device import known_revision
from ..sync.package import PackageError, PackageReader
from ..sync.schema_map import entry_steps, forward_entries
from .caps import CapExceededError, Caps
from .header import ChangesHeader
from .keys import CountyKeys
from .merge import Merger
from .model import Device, Package
from .report import ImportReport
from .scope import scope_of

_local_lock = threading.Lock()  # one importer at a time in this process; PostgreSQL adds a lock across processes
_ADVISORY_KEY = 0x66757069  # "fupi"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@contextmanager
def import_transaction(engine: Engine) -> Iterator[Connection]:
    """Every import and every release runs under this lock, from reading the package row to commit:
    two uploads releasing the same held package take turns, and the second finds it imported."""
    with _local_lock, engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_KEY})
        yield conn


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A batch of entries is thousands of live dicts that form no cycles; letting the cycle collector
    walk them again and again cost about a sixth of an import (measured, bench/sync_bench.py)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def package_row(conn: Connection, device_id: str, number: int) -> Any:
    return conn.execute(select(Package.status, Package.sha256, Package.hold_code).where(
        Package.device_id == device_id, Package.number == number)).first()


def place(conn: Connection, keys: CountyKeys, reader: PackageReader, header: ChangesHeader, report: ImportReport,
          *, caps: Caps | None, force: bool = False, from_held: bool = False) -> ImportReport:
    """``force``: a person released it (gaps skipped, ``caps`` None); ``from_held``: it comes out of the held store."""
    device = conn.execute(select(Device).where(Device.id == header.device_id)).one()
    conn.execute(update(Device).where(Device.id == device.id).values(last_seen=now()))
    row = package_row(conn, device.id, header.number)
    same = row is not None and row.sha256 == reader.digest.hex()
    if row is not None and row.status == "imported" and same:
        report.status = "already_imported"
        report.messages.append({"code": "ALREADY_IMPORTED", "message": "这个变更包以前已经导入过，没有做任何改动。"})
        return report
    if header.number <= device.last_number or (row is not None and row.status == "imported"):
        return report.reject("STALE_NUMBER",
                             f"设备已导入到第 {device.last_number} 包，这个第 {header.number} 包编号重复。")
    if row is not None and row.status == "held" and not from_held:
        return _again_held(report, row, same, header.number)
    if header.number > device.last_number + 1 and not force:
        return hold(conn, reader, header, report, "HELD_GAP", _gap(device.last_number, header.number))
    if not known_revision(header.schema):  # fields this county cannot store: keep the package whole
        return hold(conn, reader, header, report, HELD_SCHEMA, schema_reason(header.schema))
    if caps is not None and header.entries > caps.entries_per_package:
        # the header's word, checked again below
        raise CapExceededError("entries_per_package", caps.entries_per_package)
    return _apply(conn, keys, reader, header, report, device, caps)


HELD_SCHEMA = "HELD_SCHEMA"


def schema_reason(revision: str | None) -> str:
    return (f"县级程序版本较旧，请升级：这个包来自更新的程序（数据结构版本 {revision}），"
            "先暂存，升级后再导入，内容不会丢失。")


def _again_held(report: ImportReport, row: Any, same: bool, number: int) -> ImportReport:
    if not same:
        return report.reject("DUPLICATE_NUMBER", f"本设备的第 {number} 包已在暂存区，内容却不同；没有导入。")
    report.status = "already_held"
    report.messages.append({"code": row.hold_code or "HELD_GAP", "message": "这个包已在暂存区，等待导入。"})
    return report


def _gap(last: int, number: int) -> str:
    first, final = last + 1, number - 1
    missing = f"第 {first} 包" if first == final else f"第 {first}–{final} 包"
    return f"缺少{missing}，这个包先暂存，等前面的包到了再导入。"


def hold(conn: Connection, reader: PackageReader, header: ChangesHeader, report: ImportReport, code: str,
         reason: str) -> ImportReport:
    """Keep the sealed package in the county database with the reason, for later or for a person."""
    values = {"status": "held", "hold_code": code, "hold_reason": reason}
    if package_row(conn, header.device_id, header.number) is None:
        conn.execute(insert(Package), {**_package_values(reader, header), **values, "data": reader.path.read_bytes()})
    else:
        conn.execute(update(Package).where(Package.device_id == header.device_id, Package.number == header.number)
                     .values(**values))
    return report.hold(code, reason)


def _package_values(reader: PackageReader, header: ChangesHeader) -> dict[str, Any]:
    return {"device_id": header.device_id, "number": header.number, "package_id": header.package_id,
            "seq_from": header.seq_from, "seq_to": header.seq_to, "sha256": reader.digest.hex(),
            "entries": header.entries, "received_at": now()}


def _read_entries(reader: PackageReader, keys: CountyKeys, merger: Merger, caps: Caps | None,
                  schema: str | None) -> None:
    steps = entry_steps(schema)  # an older device's fields, mapped forward through the migrations
    if caps is not None and caps.record_bytes < reader.limits.record_bytes:  # stop reading at the cap, not past it
        reader.limits = replace(reader.limits, record_bytes=caps.record_bytes)
    try:
        for entry in reader.records(keys.box.private):
            if steps:
                for n, forwarded in enumerate(forward_entries(entry, steps)):
                    merger.add(forwarded, part=n > 0)
            else:
                merger.add(entry)
    except PackageError as err:
        if err.code == "RECORD_TOO_LARGE" and caps is not None and reader.limits.record_bytes == caps.record_bytes:
            raise CapExceededError("record_bytes", caps.record_bytes) from None
        raise
    merger.flush()


def _apply(conn: Connection, keys: CountyKeys, reader: PackageReader, header: ChangesHeader, report: ImportReport,
           device: Any, caps: Caps | None) -> ImportReport:
    if device.last_number and header.prev_hash not in (device.last_hash, None):
        report.messages.append({"code": "CHAIN_GAP",
                                "message": "这个包与上一个导入的包不相接（中间的包被放行或丢失）。"})
    merger = Merger(conn, header.package_id, device.id, scope_of(device), now(), number=header.number, caps=caps,
                    schema=header.schema)
    with _collector_paused():
        _read_entries(reader, keys, merger, caps, header.schema)
    report.counts.add(merger.counts)
    report.messages.extend(merger.messages)
    report.status = "imported"
    values = {**_package_values(reader, header), "status": "imported", "imported_at": now(), "data": None,
              "hold_code": None, "hold_reason": None, "report": json.dumps(report.as_dict(), ensure_ascii=False)}
    if package_row(conn, device.id, header.number) is None:
        conn.execute(insert(Package), values)
    else:
        conn.execute(update(Package).where(Package.device_id == device.id, Package.number == header.number)
                     .values(**values))
    acked = min(header.acked_through, device.ack_number)
    down_applied = max(min(header.down_applied, device.down_number), device.down_applied)
    conn.execute(update(Device).where(Device.id == device.id).values(
        last_number=header.number, last_hash=reader.digest.hex(), acked_through=max(acked, device.acked_through),
        down_applied=down_applied))
    return report
