"""Enrollment files, the device register and revocation."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, update

from ..errors import InvalidInput, NotFound
from ..fsutil import write_atomic
from ..sync import crypto
from ..sync.enrollment import Enrollment as EnrollmentFile, token_key, token_ref
from .keys import CountyKeys
from .model import Device, Enrollment
from .scope import check_scope

ENROLLMENT_DAYS = 30


def issue_enrollment(engine: Engine, keys: CountyKeys, *, village_code: str, label: str, out: Path,
                     server_url: str = "", days: int = ENROLLMENT_DAYS, scope: str | None = None) -> EnrollmentFile:
    """``scope``: the village (default) or its township's 9-digit prefix, for a township clerk's laptop."""
    if not (village_code.isdigit() and len(village_code) == 12):
        raise InvalidInput(f"村代码应为12位数字，而不是“{village_code}”。", field="村代码")
    if not label.strip():
        raise InvalidInput("设备名称不能为空（例如“某某村第一书记笔记本”）。", field="设备名称")
    scope = check_scope(village_code, scope)
    now = datetime.now(timezone.utc)
    token = secrets.token_urlsafe(32)
    enrollment = EnrollmentFile(
        county_id=keys.county_id, county_name=keys.county_name, box_key=crypto.b64(keys.box.public),
        sign_key=crypto.b64(keys.sign.public), village_code=village_code, label=label.strip(),
        server_url=server_url, token=token, expires=(now + timedelta(days=days)).isoformat(timespec="seconds"),
        issued=now.isoformat(timespec="seconds"), scope=scope)
    with engine.begin() as conn:
        conn.execute(insert(Enrollment), {"token_hash": token_ref(token), "token_key": token_key(token),
                                          "village_code": village_code, "scope": scope, "label": enrollment.label,
                                          "issued": enrollment.issued, "expires": enrollment.expires})
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, enrollment.signed(keys.sign.private))
    return enrollment


def list_devices(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(Device).order_by(Device.village_code, Device.label)).all()
    return [{"id": r.id, "village_code": r.village_code, "scope": r.scope or r.village_code, "label": r.label,
             "status": r.status, "enrolled_at": r.enrolled_at, "last_seen": r.last_seen,
             "last_number": r.last_number} for r in rows]


def find_device(engine: Engine, ref: str) -> Any:
    """A device by its id or the first characters of it (as shown in lists)."""
    with engine.connect() as conn:
        prefix = Device.id.startswith(ref.strip().lower())
        rows = conn.execute(select(Device).where(prefix)).all() if ref.strip() else []
    if len(rows) != 1:
        raise NotFound(f"找不到设备“{ref}”。" if not rows else f"“{ref}”对应多台设备，请多写几位。",
                       hint="用 fupin county devices 查看设备编号。")
    return rows[0]


def revoke_device(engine: Engine, ref: str) -> Any:
    """Revoke a device and discard its held packages (under the import lock, so no release is half done)."""
    from .apply import import_transaction  # noqa: PLC0415
    from .held import discard_held  # noqa: PLC0415

    device = find_device(engine, ref)
    with import_transaction(engine) as conn:
        conn.execute(update(Device).where(Device.id == device.id).values(
            status="revoked", revoked_at=datetime.now(timezone.utc).isoformat(timespec="seconds")))
        discard_held(conn, device.id)
    return device
