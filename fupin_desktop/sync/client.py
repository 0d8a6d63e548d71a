"""Talking to the county server: upload pending packages, fetch the acknowledgment.

Uploads are idempotent by package id, so a dropped connection is handled by sending the same
package again; retries back off exponentially. Fetching an acknowledgment is signed with the
device key; the acknowledgment itself is sealed to the device, so nobody else can read it.
"""

from __future__ import annotations

import secrets
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import update

from ..errors import FupinError
from ..model import SyncOutbox
from . import crypto
from .device import device_keys, pack_pending, pending_packages

if TYPE_CHECKING:
    from ..store.store import Store

ACK_REQUEST_CONTEXT = b"fupin-ack-request/1\0"


class ServerUnreachable(FupinError):
    exit_code = 11


@dataclass
class PushResult:
    sent: list[int] = field(default_factory=list)
    statuses: dict[int, str] = field(default_factory=dict)
    ack: Any = None


def ack_request(device_id: str, sign_private: bytes) -> dict[str, str]:
    nonce = secrets.token_hex(16)
    signature = crypto.sign(sign_private, ACK_REQUEST_CONTEXT, f"{device_id}:{nonce}".encode())
    return {"device_id": device_id, "nonce": nonce, "signature": crypto.b64(signature)}


def _retrying(call: Any, attempts: int, backoff: float) -> httpx.Response:
    for attempt in range(attempts):
        try:
            response = call()
            if response.status_code < 500:
                return response
        except httpx.TransportError:
            pass
        if attempt + 1 < attempts:
            time.sleep(backoff * 2 ** attempt)
    raise ServerUnreachable("连不上县里的服务器，这次没有上传。", hint="变更包都还在本机，网络恢复后会重新上传；也可以用U盘导出。")


def push(store: "Store", url: str | None = None, *, attempts: int = 4, backoff: float = 0.5,
         timeout: float = 30.0) -> PushResult:
    pack_pending(store)
    with store.engine.connect() as conn:
        keys = device_keys(conn)
        items = pending_packages(conn)
    from ..settings import for_store  # noqa: PLC0415

    base = (url or for_store(store).county_server_url or keys.county.server_url).rstrip("/")
    if not base:
        raise FupinError("没有县级服务器地址。", hint="入网文件里没有服务器地址；请在设置里填写，或用U盘导出。")
    result = PushResult()
    with httpx.Client(base_url=base, timeout=timeout) as client:
        for item in items:
            response = _retrying(lambda: client.post("/api/v1/packages", content=item.data,
                                                     headers={"Content-Type": "application/octet-stream"}),
                                 attempts, backoff)
            status = _status_of(response)
            result.statuses[item.number] = status
            if status in ("imported", "already_imported", "held", "already_held"):
                _mark(store, item.package_id, "已送达")
                result.sent.append(item.number)
            else:
                _mark(store, item.package_id, "被拒", response.text[:500])
        result.ack = fetch_ack(store, client, keys, attempts, backoff)
    return result


def _status_of(response: httpx.Response) -> str:
    try:
        return str(response.json().get("status", "rejected"))
    except ValueError:
        return "rejected"


def _mark(store: "Store", package_id: str, state: str, message: str | None = None) -> None:
    with store.engine.begin() as conn:
        conn.execute(update(SyncOutbox).where(SyncOutbox.package_id == package_id,
                                              SyncOutbox.state.in_(("已打包", "已送达"))).values(state=state, message=message))
        if state == "被拒":
            row = conn.execute(SyncOutbox.__table__.select().where(SyncOutbox.package_id == package_id)).first()
            conn.exec_driver_sql("UPDATE change_log SET sync_state = '被拒' WHERE device_id = ? AND seq BETWEEN ? AND ?",
                                 (store.device_id, row.seq_from, row.seq_to))
        elif state == "已送达":
            row = conn.execute(SyncOutbox.__table__.select().where(SyncOutbox.package_id == package_id)).first()
            conn.exec_driver_sql("UPDATE change_log SET sync_state = '已送达' WHERE device_id = ? AND seq BETWEEN ? "
                                 "AND ? AND sync_state = '已打包'", (store.device_id, row.seq_from, row.seq_to))


def fetch_ack(store: "Store", client: httpx.Client, keys: Any, attempts: int, backoff: float) -> Any:
    from .receipts import apply_ack  # noqa: PLC0415

    response = _retrying(lambda: client.post("/api/v1/acks", json=ack_request(store.device_id, keys.sign.private)),
                         attempts, backoff)
    if response.status_code != 200:
        return None
    with tempfile.TemporaryDirectory() as tmp:  # sealed to this device: nothing clear on disk
        path = Path(tmp) / "ack.fupinack"
        path.write_bytes(response.content)
        return apply_ack(store, path)
