"""Importing sealed packages into the county database.

Order of checks, each refusing before the next: the frame and size limits; the device (enrolled,
not revoked) and its signature, before the header is read; every header field, typed and bounded
(county/header.py); the county the package is for; the sequence, per device (already imported →
skipped, gap → held until the gap fills or staff release it). Then the package is applied in one
transaction: either all of it lands, with its report, or nothing. Each entry is applied only
inside the device's scope (county/scope.py); past a cap (county/caps.py) the package is held.
"""

from __future__ import annotations

import hmac
from pathlib import Path

from sqlalchemy import Connection, Engine, insert, select, update

from ..sync.enrollment import proof
from ..sync.package import Kind, Limits, PackageError, PackageReader
from .apply import import_transaction, now, place
from .caps import CapExceededError, load_caps
from .header import ChangesHeader, parse_changes_header
from .held import held_packages, hold_over_cap, release_held, release_ready, release_upgraded
from .keys import CountyKeys
from .model import Correction, Device, Enrollment
from .report import ImportReport


def import_files(engine: Engine, keys: CountyKeys, paths: list[Path],
                 limits: Limits | None = None) -> list[ImportReport]:
    reports = release_upgraded(engine, keys, limits)  # held for a schema this program may now know
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
        report = _import(engine, keys, reader, report)
    except PackageError as err:  # rolled back: what the report said had happened did not
        return [ImportReport(file=path.name).reject(err.code, err.message)]
    except (ValueError, KeyError, TypeError):  # a signed package whose content still makes no sense
        return [ImportReport(file=path.name).reject("BAD_PAYLOAD", f"变更包的内容无法理解，没有导入：{path.name}")]
    if report.status == "rejected" or report.device_id is None:
        return [report]
    # The package itself is committed: whatever happens to the ones it frees is their own report.
    return [report, *release_ready(engine, keys, report.device_id, limits)]


def _import(engine: Engine, keys: CountyKeys, reader: PackageReader, report: ImportReport) -> ImportReport:
    try:
        with import_transaction(engine) as conn:
            header = _authenticate(conn, keys, reader, report)
            return report if header is None else place(conn, keys, reader, header, report, caps=load_caps(conn))
    except CapExceededError as cap:  # nothing of the package was kept: hold it whole, with the reason
        report = ImportReport(file=report.file)
        with import_transaction(engine) as conn:
            header = _authenticate(conn, keys, reader, report)
            return report if header is None else hold_over_cap(conn, reader, report, cap)


def _authenticate(conn: Connection, keys: CountyKeys, reader: PackageReader,
                  report: ImportReport) -> ChangesHeader | None:
    frame = reader.frame
    report.device_id = frame.sender_id
    device = conn.execute(select(Device).where(Device.id == frame.sender_id)).first()
    if device is not None:
        if device.status == "revoked":
            report.reject("REVOKED_DEVICE", f"设备 {device.label} 已被注销，不接受它的变更包。")
            return None
        if bytes.fromhex(device.sign_key) != frame.sender_public:
            report.reject("UNKNOWN_KEY", "变更包的设备密钥与登记的不一致，可能是伪造的。")
            return None
    # Signature first; the header is parsed, typed and bounded only after it.
    header = parse_changes_header(reader.verify(frame.sender_public), reader.path.name)
    if header.county_id != keys.county_id:
        report.reject("WRONG_COUNTY", f"这个变更包是发给另一个县的，不是本县（{keys.county_name}）的。")
        return None
    if header.device_id != frame.sender_id:
        report.reject("BAD_HEADER", "变更包头部信息不一致。")
        return None
    report.package_id, report.number, report.village_code = header.package_id, header.number, header.village_code
    if device is None:
        return header if _register(conn, header, frame.sender_public, report) else None
    report.device_label = device.label
    if header.village_code != device.village_code:
        report.reject("BAD_HEADER", "变更包的村代码与设备登记的不一致。")
        return None
    return header


def _register(conn: Connection, header: ChangesHeader, sign_public: bytes, report: ImportReport) -> bool:
    ref, given, box_key = header.enrollment_ref, header.enrollment_proof, _box_key(header)
    if ref is None or given is None or box_key is None:
        report.reject("UNKNOWN_DEVICE", "发送这个变更包的设备没有在本县登记。")
        return False
    enrollment = conn.execute(select(Enrollment).where(Enrollment.token_hash == ref)).first()
    if enrollment is None or (enrollment.device_id and enrollment.device_id != header.device_id) or \
            not hmac.compare_digest(proof(enrollment.token_key, header.device_id, sign_public, box_key), given):
        report.reject("UNKNOWN_DEVICE", "设备的入网凭证无效或已被别的设备使用。")
        return False
    if enrollment.expires < now():
        report.reject("ENROLLMENT_EXPIRED", f"设备的入网文件已于 {enrollment.expires[:10]} 过期，请重新发放。")
        return False
    if enrollment.village_code != header.village_code:
        report.reject("BAD_HEADER", "变更包的村代码与入网文件的不一致。")
        return False
    conn.execute(insert(Device), {
        "id": header.device_id, "village_code": enrollment.village_code, "label": enrollment.label,
        "scope": enrollment.scope or enrollment.village_code, "down_number": 0, "down_rev": 0, "down_applied": 0,
        "sign_key": sign_public.hex(), "box_key": box_key.hex(), "status": "active", "enrolled_at": now(),
        "last_number": 0, "last_hash": "", "ack_number": 0, "acked_through": 0})
    conn.execute(update(Enrollment).where(Enrollment.token_hash == ref).values(device_id=header.device_id))
    report.device_label = enrollment.label
    report.messages.append({"code": "DEVICE_ENROLLED", "message": f"新设备“{enrollment.label}”已登记。"})
    return True


def _box_key(header: ChangesHeader) -> bytes | None:
    from ..sync.crypto import unb64  # noqa: PLC0415

    try:
        key = unb64(header.device_box_key or "")
    except (ValueError, TypeError):
        return None
    return key if len(key) == 32 else None


__all__ = ["Correction", "held_packages", "import_file", "import_files", "release_held", "release_ready"]
