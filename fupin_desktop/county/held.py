"""Held packages: those that arrived before their predecessor (HELD_GAP, released by themselves when
the gap fills), those from a newer device program (HELD_SCHEMA, released by themselves once the county
program is upgraded and knows their schema: at the device's next import, or ``release_upgraded``)
and those past a cap (HELD_CAP, released only by a person). A release runs entirely
under the import lock, from reading the held row to commit, so two releases of one package take
turns and the second finds it imported. A revoked device's held packages are discarded."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, select, update

from ..sync.package import Limits, PackageError, PackageReader
from .apply import HELD_SCHEMA, hold, import_transaction, package_row, place
from .caps import CapExceededError, load_caps
from .header import parse_changes_header
from .keys import CountyKeys
from .model import Device, Package
from .report import ImportReport

_SLICE = 4 * 1024 * 1024


def release_ready(engine: Engine, keys: CountyKeys, device_id: str, limits: Limits | None = None) -> list[ImportReport]:
    """Apply gap-held packages of ``device_id`` whose predecessor has now arrived, in order."""
    reports: list[ImportReport] = []
    while (number := _next_ready(engine, device_id)) is not None:
        report = release_held(engine, keys, device_id, number, limits, force=False)
        if report.status == "held" and report.messages and report.messages[-1]["code"] == HELD_SCHEMA:
            return reports  # this program still does not know its schema: it waits, as it was
        if report.status != "already_imported":  # another upload released it first: nothing to say
            reports.append(report)
        if report.status != "imported":
            return reports
    return reports


def release_upgraded(engine: Engine, keys: CountyKeys, limits: Limits | None = None) -> list[ImportReport]:
    """After the county program is upgraded: the packages held for a newer schema that it now knows,
    and those of the same devices that waited behind them."""
    with engine.connect() as conn:
        devices = conn.execute(select(Package.device_id).where(
            Package.status == "held", Package.hold_code == HELD_SCHEMA).distinct()).scalars().all()
    return [report for device_id in sorted(devices) for report in release_ready(engine, keys, device_id, limits)]


def release_by_person(engine: Engine, keys: CountyKeys, device_id: str, number: int) -> list[ImportReport]:
    """A person's release, then the device's packages that were waiting only for this one."""
    report = release_held(engine, keys, device_id, number)
    return [report, *release_ready(engine, keys, device_id)] if report.status == "imported" else [report]


def _next_ready(engine: Engine, device_id: str) -> int | None:
    with engine.connect() as conn:
        last = conn.execute(select(Device.last_number)
                            .where(Device.id == device_id, Device.status == "active")).scalar()
        if last is None:
            return None
        found = conn.execute(select(Package.number).where(
            Package.device_id == device_id, Package.status == "held", Package.hold_code.in_(("HELD_GAP", HELD_SCHEMA)),
            Package.number == last + 1)).scalar()
    return int(found) if found is not None else None


def release_held(engine: Engine, keys: CountyKeys, device_id: str, number: int, limits: Limits | None = None, *,
                 force: bool = True) -> ImportReport:
    """Import a held package now. With ``force`` (a person's decision) missing packages are skipped over
    and the caps do not apply to this package."""
    report = ImportReport(file=f"暂存包 {device_id[:8]} 第 {number} 包", device_id=device_id, number=number)
    with tempfile.TemporaryDirectory() as tmp:  # the bytes are still sealed to the county
        try:
            return _release(engine, keys, report, Path(tmp) / "held.fupinpkg", limits, force)
        except CapExceededError as cap:
            with import_transaction(engine) as conn:
                conn.execute(update(Package).where(Package.device_id == device_id, Package.number == number)
                             .values(hold_code="HELD_CAP", hold_reason=cap.reason))
            return _fresh(report).hold("HELD_CAP", cap.reason)
        except PackageError as err:
            return _fresh(report).reject(err.code, err.message)
        except (ValueError, KeyError, TypeError):
            return _fresh(report).reject("BAD_PAYLOAD", "暂存包的内容无法理解，没有导入。")


def _fresh(report: ImportReport) -> ImportReport:
    """The transaction was rolled back: what the report said had happened did not."""
    return ImportReport(file=report.file, device_id=report.device_id, number=report.number,
                        device_label=report.device_label, village_code=report.village_code,
                        package_id=report.package_id)


def _release(engine: Engine, keys: CountyKeys, report: ImportReport, path: Path, limits: Limits | None,
             force: bool) -> ImportReport:
    device_id, number = str(report.device_id), int(report.number or 0)
    with import_transaction(engine) as conn:
        device = conn.execute(select(Device).where(Device.id == device_id)).first()
        row = package_row(conn, device_id, number)
        if device is None or row is None or row.status not in ("held", "imported", "discarded"):
            return report.reject("NOT_HELD", "暂存区里没有这个包。")
        report.device_label, report.village_code = device.label, device.village_code
        if row.status == "imported":
            report.status = "already_imported"
            report.messages.append({"code": "ALREADY_IMPORTED", "message": "这个包已经导入了。"})
            return report
        if device.status == "revoked" or row.status == "discarded":
            discard_held(conn, device_id)
            return report.reject("REVOKED_DEVICE", f"设备“{device.label}”已被注销，它暂存的包已作废，不能放行。")
        _held_to_file(conn, device_id, number, path)
        reader = PackageReader(path, limits)
        header = parse_changes_header(reader.verify(bytes.fromhex(device.sign_key)), report.file)
        if header.device_id != device_id or header.number != number:
            return report.reject("BAD_HEADER", "暂存包的头部与它的登记不一致。")
        report.package_id = header.package_id
        return place(conn, keys, reader, header, report, caps=None if force else load_caps(conn), force=force,
                     from_held=True)


def hold_over_cap(conn: Connection, reader: PackageReader, report: ImportReport, cap: CapExceededError) -> ImportReport:
    """After an import was rolled back at a cap: keep the package for a person (header already checked)."""
    header = parse_changes_header(reader.frame.header, reader.path.name)
    return hold(conn, reader, header, report, "HELD_CAP", cap.reason)


def discard_held(conn: Connection, device_id: str) -> int:
    """Revocation: a revoked device's held packages are never imported; their sealed bytes are dropped."""
    return conn.execute(update(Package).where(Package.device_id == device_id, Package.status == "held").values(
        status="discarded", data=None, hold_code="REVOKED_DEVICE",
        hold_reason="设备已被注销，暂存的包已作废。")).rowcount


def _held_to_file(conn: Connection, device_id: str, number: int, path: Path) -> None:
    """Copy a held package out of the database a slice at a time (it may be as large as the package limit)."""
    where = (Package.device_id == device_id, Package.number == number, Package.status == "held")
    size = conn.execute(select(func.length(Package.data)).where(*where)).scalar() or 0
    with open(path, "wb") as fh:
        fh.writelines(conn.execute(select(func.substr(Package.data, offset + 1, _SLICE)).where(*where)).scalar_one()
                      for offset in range(0, size, _SLICE))


def held_packages(conn: Connection) -> list[Any]:
    query = select(Package.package_id, Package.device_id, Package.number, Package.entries, Package.received_at,
                   Package.hold_code, Package.hold_reason, Device.label, Device.village_code, Device.last_number,
                   Device.status.label("device_status"))
    return list(conn.execute(query.join(Device, Device.id == Package.device_id)
                             .where(Package.status == "held").order_by(Package.device_id, Package.number)).all())


def find_held(conn: Connection, ref: str) -> list[Any]:
    """Held (or discarded) packages matching ``ref``: "device-prefix:number" (unique) or a package-id prefix."""
    device, _, number = ref.strip().partition(":")
    query = select(Package.device_id, Package.number, Package.package_id, Package.status).where(
        Package.status.in_(("held", "discarded")))
    if number:
        query = query.where(Package.device_id.startswith(device.lower()), Package.number == _as_int(number))
    else:
        query = query.where(Package.package_id.startswith(device))
    return list(conn.execute(query).all()) if device else []


def _as_int(text: str) -> int:
    return int(text) if text.isdigit() and len(text) < 10 else -1
