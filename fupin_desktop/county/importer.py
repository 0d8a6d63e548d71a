"""Importing sealed packages into the county database.

Order of checks, each refusing before the next: the frame and size limits; the device (enrolled,
not revoked) and its signature, before the header is read; the county the package is for; the
sequence (already imported → skipped, gap → held until the gap fills or staff release it). Then
the package is applied in one transaction: either all of it lands, with its report, or nothing.
"""

from __future__ import annotations

import gc
import hmac
import json
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Row, func, insert, select, text, update

from ..sync.enrollment import proof
from ..sync.package import Kind, Limits, PackageError, PackageReader
from .keys import CountyKeys
from .merge import Counts, Merger
from .model import Correction, Device, Enrollment, Package
from .report import ImportReport

_local_lock = threading.Lock()  # one importer at a time in this process; PostgreSQL adds a lock across processes
_ADVISORY_KEY = 0x66757069  # "fupi"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@contextmanager
def import_transaction(engine: Engine) -> Iterator[Connection]:
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


def import_files(engine: Engine, keys: CountyKeys, paths: list[Path],
                 limits: Limits | None = None) -> list[ImportReport]:
    reports: list[ImportReport] = []
    for path in paths:
        reports.extend(import_file(engine, keys, Path(path), limits))
    return reports


def import_file(engine: Engine, keys: CountyKeys, path: Path, limits: Limits | None = None) -> list[ImportReport]:
    """Import one package; returns its report, followed by those of held packages it released."""
    report = ImportReport(file=path.name)
    try:
        reader = PackageReader(path, limits)
        if reader.frame.kind != Kind.CHANGES:
            return [report.reject("NOT_CHANGES", f"这是一份回执，不是村里的变更包：{path.name}")]
        with import_transaction(engine) as conn:
            header = _authenticate(conn, keys, reader, report)
            if report.status == "rejected":
                return [report]
            result = _place(conn, keys, reader, header, report, release=False)
        return [result, *release_ready(engine, keys, header["device_id"], limits)]
    except (PackageError, ValueError, KeyError, TypeError) as err:
        # The transaction was rolled back: what it had reported (a device enrolled, entries merged) did not happen.
        # A signed package whose header or content still makes no sense is refused like any other bad package.
        report.messages, report.counts = [], Counts()
        if isinstance(err, PackageError):
            return [report.reject(err.code, err.message)]
        return [report.reject("BAD_PAYLOAD", f"变更包的内容无法理解，没有导入：{path.name}")]


def _authenticate(conn: Connection, keys: CountyKeys, reader: PackageReader, report: ImportReport) -> dict[str, Any]:
    frame = reader.frame
    report.device_id = frame.sender_id
    device = conn.execute(select(Device).where(Device.id == frame.sender_id)).first()
    if device is not None:
        if device.status == "revoked":
            report.reject("REVOKED_DEVICE", f"设备 {device.label} 已被注销，不接受它的变更包。")
            return {}
        if bytes.fromhex(device.sign_key) != frame.sender_public:
            report.reject("UNKNOWN_KEY", "变更包的设备密钥与登记的不一致，可能是伪造的。")
            return {}
    header = reader.verify(frame.sender_public)  # signature first; the header is parsed only after it
    if header.get("county_id") != keys.county_id:
        report.reject("WRONG_COUNTY", f"这个变更包是发给另一个县的，不是本县（{keys.county_name}）的。")
        return {}
    if header.get("device_id") != frame.sender_id or not isinstance(header.get("number"), int):
        report.reject("BAD_HEADER", "变更包头部信息不一致。")
        return {}
    report.package_id, report.number = header.get("package_id"), header["number"]
    report.village_code = header.get("village_code")
    if device is None:
        _register(conn, header, frame.sender_public, report)
    else:
        report.device_label = device.label
        if header.get("village_code") != device.village_code:
            report.reject("BAD_HEADER", "变更包的村代码与设备登记的不一致。")
    return header


def _register(conn: Connection, header: dict[str, Any], sign_public: bytes, report: ImportReport) -> None:
    ref, given = header.get("enrollment_ref"), header.get("enrollment_proof")
    box_key = _box_key(header)
    if not isinstance(ref, str) or not isinstance(given, str) or box_key is None:
        report.reject("UNKNOWN_DEVICE", "发送这个变更包的设备没有在本县登记。")
        return
    enrollment = conn.execute(select(Enrollment).where(Enrollment.token_hash == ref)).first()
    if enrollment is None or (enrollment.device_id and enrollment.device_id != header["device_id"]) or \
            not hmac.compare_digest(proof(enrollment.token_key, header["device_id"], sign_public, box_key), given):
        report.reject("UNKNOWN_DEVICE", "设备的入网凭证无效或已被别的设备使用。")
        return
    if enrollment.expires < _now():
        report.reject("ENROLLMENT_EXPIRED", f"设备的入网文件已于 {enrollment.expires[:10]} 过期，请重新发放。")
        return
    if enrollment.village_code != header.get("village_code"):
        report.reject("BAD_HEADER", "变更包的村代码与入网文件的不一致。")
        return
    conn.execute(insert(Device), {
        "id": header["device_id"], "village_code": enrollment.village_code, "label": enrollment.label,
        "sign_key": sign_public.hex(), "box_key": box_key.hex(), "status": "active", "enrolled_at": _now(),
        "last_number": 0, "last_hash": "", "ack_number": 0, "acked_through": 0})
    conn.execute(update(Enrollment).where(Enrollment.token_hash == ref).values(device_id=header["device_id"]))
    report.device_label = enrollment.label
    report.messages.append({"code": "DEVICE_ENROLLED", "message": f"新设备“{enrollment.label}”已登记。"})


def _box_key(header: dict[str, Any]) -> bytes | None:
    from ..sync.crypto import unb64  # noqa: PLC0415

    try:
        key = unb64(header["device_box_key"])
    except (KeyError, ValueError, TypeError, AttributeError):
        return None
    return key if len(key) == 32 else None


def _place(conn: Connection, keys: CountyKeys, reader: PackageReader, header: dict[str, Any], report: ImportReport,
           *, release: bool) -> ImportReport:
    seen = conn.execute(select(Package.status).where(Package.package_id == header["package_id"])).scalar()
    device = conn.execute(select(Device).where(Device.id == header["device_id"])).one()
    conn.execute(update(Device).where(Device.id == device.id).values(last_seen=_now()))
    if seen == "imported":
        report.status = "already_imported"
        report.messages.append({"code": "ALREADY_IMPORTED", "message": "这个变更包以前已经导入过，没有做任何改动。"})
        return report
    number = header["number"]
    if number <= device.last_number:
        return report.reject("STALE_NUMBER", f"设备已导入到第 {device.last_number} 包，这个第 {number} 包编号重复。")
    if number > device.last_number + 1 and not release:
        if seen != "held":
            _hold(conn, reader, header)
        report.status = "held" if seen != "held" else "already_held"
        report.counts.held += 1
        first, last = device.last_number + 1, number - 1
        missing = f"第 {first} 包" if first == last else f"第 {first}–{last} 包"
        report.messages.append({"code": "HELD_GAP", "message": f"缺少{missing}，这个包先暂存，等前面的包到了再导入。"})
        return report
    return _apply(conn, keys, reader, header, report, device)


def _hold(conn: Connection, reader: PackageReader, header: dict[str, Any]) -> None:
    conn.execute(insert(Package), {**_package_row(reader, header), "status": "held",
                                   "data": reader.path.read_bytes()})


def _package_row(reader: PackageReader, header: dict[str, Any]) -> dict[str, Any]:
    return {"package_id": header["package_id"], "device_id": header["device_id"], "number": header["number"],
            "seq_from": int(header.get("seq_from", 0)), "seq_to": int(header.get("seq_to", 0)),
            "sha256": reader.digest.hex(), "entries": int(header.get("counts", {}).get("entries", 0)),
            "received_at": _now()}


def _apply(conn: Connection, keys: CountyKeys, reader: PackageReader, header: dict[str, Any], report: ImportReport,
           device: Any) -> ImportReport:
    if device.last_number and header.get("prev_hash") not in (device.last_hash, None):
        report.messages.append({"code": "CHAIN_GAP",
                                "message": "这个包与上一个导入的包不相接（中间的包被放行或丢失）。"})
    merger = Merger(conn, header["package_id"], device.id, device.village_code, _now())
    with _collector_paused():
        for entry in reader.records(keys.box.private):
            merger.add(entry)
        merger.flush()
    report.counts.add(merger.counts)
    report.messages.extend(merger.messages)
    report.status = "imported"
    row = {**_package_row(reader, header), "status": "imported", "imported_at": _now(),
           "report": json.dumps(report.as_dict(), ensure_ascii=False), "data": None}
    exists = conn.execute(select(Package.package_id).where(Package.package_id == header["package_id"])).scalar()
    if exists:
        conn.execute(update(Package).where(Package.package_id == header["package_id"]).values(**row))
    else:
        conn.execute(insert(Package), row)
    acked = min(int(header.get("acked_through", 0)), device.ack_number)
    conn.execute(update(Device).where(Device.id == device.id).values(
        last_number=header["number"], last_hash=reader.digest.hex(), acked_through=max(acked, device.acked_through)))
    return report


def release_ready(engine: Engine, keys: CountyKeys, device_id: str, limits: Limits | None = None) -> list[ImportReport]:
    """Apply held packages of ``device_id`` whose predecessor has now arrived, in order."""
    reports: list[ImportReport] = []
    while True:
        with engine.connect() as conn:
            last = conn.execute(select(Device.last_number).where(Device.id == device_id)).scalar()
            held = conn.execute(select(Package.package_id).where(
                Package.device_id == device_id, Package.status == "held", Package.number == (last or 0) + 1)).scalar()
        if held is None:
            return reports
        reports.append(release_held(engine, keys, held, limits, force=False))


def release_held(engine: Engine, keys: CountyKeys, package_id: str, limits: Limits | None = None, *,
                 force: bool = True) -> ImportReport:
    """Import a held package now. With ``force`` (staff decision) the missing ones are skipped over."""
    report = ImportReport(file=f"暂存包 {package_id[:8]}")
    with tempfile.TemporaryDirectory() as tmp:  # the bytes are still sealed to the county
        path = Path(tmp) / "held.fupinpkg"
        if not _held_to_file(engine, package_id, path):
            return report.reject("NOT_HELD", "暂存区里没有这个包。")
        try:
            reader = PackageReader(path, limits)
            with import_transaction(engine) as conn:
                device = conn.execute(select(Device).where(Device.id == reader.frame.sender_id)).one()
                header = reader.verify(bytes.fromhex(device.sign_key))
                report.package_id, report.number, report.device_id = package_id, header["number"], device.id
                report.village_code, report.device_label = device.village_code, device.label
                return _place(conn, keys, reader, header, report, release=force)
        except PackageError as err:
            return report.reject(err.code, err.message)


_SLICE = 4 * 1024 * 1024


def _held_to_file(engine: Engine, package_id: str, path: Path) -> bool:
    """Copy a held package out of the database a slice at a time (it may be as large as the package limit)."""
    where = (Package.package_id == package_id, Package.status == "held")
    with engine.connect() as conn:
        size = conn.execute(select(func.length(Package.data)).where(*where)).scalar()
        if size is None:
            return False
        with open(path, "wb") as fh:
            for offset in range(0, size, _SLICE):
                fh.write(conn.execute(select(func.substr(Package.data, offset + 1, _SLICE)).where(*where)).scalar_one())
    return True


def held_packages(conn: Connection) -> Sequence[Row[str, str, int, int, str, str, str, int]]:
    return conn.execute(select(Package.package_id, Package.device_id, Package.number, Package.entries,
                               Package.received_at, Device.label, Device.village_code, Device.last_number)
                        .join(Device, Device.id == Package.device_id)
                        .where(Package.status == "held").order_by(Package.device_id, Package.number)).all()


__all__ = ["import_file", "import_files", "release_held", "held_packages", "Correction"]
