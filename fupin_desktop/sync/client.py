"""Talking to the county server: upload pending packages, fetch the acknowledgment.

Uploads are idempotent by package id, so a dropped connection is handled by sending the same
package again; retries back off exponentially. Fetching an acknowledgment is signed with the
device key; the acknowledgment itself is sealed to the device, so nobody else can read it.
"""

from __future__ import annotations

import secrets
import ssl
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import update

from ..errors import FupinError
from ..model import SyncOutbox
from ..sync_state import IN_FLIGHT, SyncState
from . import crypto
from .device import device_keys, pack_pending, pending_packages
from .transport import check_server_url, tls_verify

if TYPE_CHECKING:
    from ..store.store import Store
    from .receipts import AckResult

ACK_REQUEST_CONTEXT = b"fupin-ack-request/1\0"


class ServerUnreachable(FupinError):  # noqa: N818 (see errors.py)
    exit_code = 11


class ServerRefused(FupinError):  # noqa: N818 (see errors.py)
    exit_code = 11


@dataclass
class PushResult:
    sent: list[int] = field(default_factory=list)
    statuses: dict[int, str] = field(default_factory=dict)
    ack: AckResult | None = None


@dataclass
class Outgoing:
    """What an upload needs, read from the store on the database worker."""

    base: str
    device_id: str
    sign_private: bytes
    packages: list[tuple[str, int, bytes]]  # package id, number, sealed bytes
    ca_file: str = ""  # the county CA to trust for https ("" = the system's CAs)


@dataclass
class Sent:
    """What the server answered; recorded in the store afterwards, on the database worker."""

    answers: list[tuple[str, int, str, str]] = field(default_factory=list)  # id, number, status, message
    ack: bytes | None = None
    error: FupinError | None = None  # the upload stopped here; what was answered before still counts


def ack_request(device_id: str, sign_private: bytes) -> dict[str, str]:
    nonce = secrets.token_hex(16)
    signature = crypto.sign(sign_private, ACK_REQUEST_CONTEXT, f"{device_id}:{nonce}".encode())
    return {"device_id": device_id, "nonce": nonce, "signature": crypto.b64(signature)}


_TRY_AGAIN = (408, 429)  # too slow, or this device's other uploads still running: worth another go


def _refuse_if_untrusted(exc: httpx.TransportError) -> None:
    """A certificate that does not verify is not a network hiccup: say so at once, do not retry."""
    cause: BaseException | None = exc
    while cause is not None and not isinstance(cause, ssl.SSLCertVerificationError):
        cause = cause.__cause__ or cause.__context__
    if cause is not None:
        raise ServerRefused("县级服务器的证书无法验证，没有上传。",
                            hint="请在设置里选择县里发的 CA 证书，并确认服务器地址与证书上的一致。") from None


def retrying(call: Callable[[], httpx.Response], attempts: int, backoff: float) -> httpx.Response:
    for attempt in range(attempts):
        try:
            response = call()
            if response.status_code < 500:
                return response
        except httpx.TransportError as exc:
            _refuse_if_untrusted(exc)
        if attempt + 1 < attempts:
            time.sleep(backoff * 2 ** attempt)
    raise ServerUnreachable("连不上县里的服务器，这次没有上传。",
                            hint="变更包都还在本机，网络恢复后会重新上传；也可以用U盘导出。")


def prepare_push(store: "Store", url: str | None = None) -> Outgoing:
    pack_pending(store)
    with store.engine.connect() as conn:
        keys = device_keys(conn)
        items = pending_packages(conn)
    base, ca_file = server_address(store, keys.county.server_url, url)
    return Outgoing(base, store.device_id, keys.sign.private, [(i.package_id, i.number, i.data) for i in items],
                    ca_file)


def server_address(store: "Store", enrolled: str, url: str | None = None) -> tuple[str, str]:
    """The county server to talk to (given, else the settings, else the enrollment file) and its CA file."""
    from ..settings import for_store  # noqa: PLC0415

    settings = for_store(store)
    base = (url or settings.county_server_url or enrolled).rstrip("/")
    if not base:
        raise FupinError("没有县级服务器地址。", hint="入网文件里没有服务器地址；请在设置里填写，或用U盘导出。")
    check_server_url(base, allow_http=settings.county_server_allow_http)
    return base, settings.county_server_ca_file


def send(out: Outgoing, *, attempts: int = 4, backoff: float = 0.5, timeout: float = 30.0) -> Sent:
    """Network only: upload each package, then ask for the acknowledgment. Touches no store."""
    sent = Sent()
    try:
        with httpx.Client(base_url=out.base, timeout=timeout, verify=tls_verify(out.ca_file)) as client:
            for package_id, number, data in out.packages:
                response = retrying(lambda: client.post("/api/v1/packages", content=data,
                                                         headers={"Content-Type": "application/octet-stream"}),
                                     attempts, backoff)
                status, message = _answer(response)
                sent.answers.append((package_id, number, status, message))
            response = retrying(lambda: client.post("/api/v1/acks", json=ack_request(out.device_id, out.sign_private)),
                                 attempts, backoff)
            if response.status_code == 200:
                sent.ack = response.content
    except FupinError as err:
        sent.error = err
    return sent


def record_push(store: "Store", sent: Sent) -> PushResult:
    """Database side of an upload: mark what the server took, apply its acknowledgment."""
    result = PushResult()
    for package_id, number, status, message in sent.answers:
        result.statuses[number] = status
        if status == "rejected":
            _mark(store, package_id, SyncState.REJECTED, message)
        else:
            _mark(store, package_id, SyncState.DELIVERED)
            result.sent.append(number)
    if sent.error is not None:
        raise sent.error
    if sent.ack is not None:
        result.ack = _apply_ack_bytes(store, sent.ack)
    return result


def push(store: "Store", url: str | None = None, *, attempts: int = 4, backoff: float = 0.5,
         timeout: float = 30.0) -> PushResult:
    return record_push(store, send(prepare_push(store, url), attempts=attempts, backoff=backoff, timeout=timeout))


_ACCEPTED = ("imported", "already_imported", "held", "already_held")


def _answer(response: httpx.Response) -> tuple[str, str]:
    """(status, message). Only our server's own refusal (400 with a code) marks a package 被拒;
    anything else (a wrong address, a proxy's page) stops the upload and leaves it to be sent again."""
    try:
        doc = response.json()
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        if response.status_code == 200 and doc.get("status") in _ACCEPTED:
            return str(doc["status"]), ""
        if response.status_code == 400 and isinstance(doc.get("code"), str):
            return "rejected", f"[{doc['code']}] {doc.get('message', '')}"[:500]
    raise ServerRefused(f"县里的服务器没有接受上传（HTTP {response.status_code}）。",
                        hint="请检查服务器地址是否正确；变更包都还在本机，可以稍后再传或用U盘导出。")


def _mark(store: "Store", package_id: str, state: SyncState, message: str | None = None) -> None:
    # A refusal covers every change of the package; a delivery only moves those still merely packed
    # (an acknowledgment may already have confirmed some of them).
    only = "" if state is SyncState.REJECTED else f" AND sync_state = '{SyncState.PACKED}'"
    with store.engine.begin() as conn:
        conn.execute(update(SyncOutbox).where(SyncOutbox.package_id == package_id,
                                              SyncOutbox.state.in_(IN_FLIGHT)).values(state=state, message=message))
        row = conn.execute(SyncOutbox.__table__.select().where(SyncOutbox.package_id == package_id)).one()
        conn.exec_driver_sql(f"UPDATE change_log SET sync_state = ? WHERE device_id = ? AND seq BETWEEN ? AND ?{only}",
                             (state.value, store.device_id, row.seq_from, row.seq_to))


def _apply_ack_bytes(store: "Store", data: bytes) -> AckResult:
    from .receipts import apply_ack  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as tmp:  # sealed to this device: nothing clear on disk
        path = Path(tmp) / "ack.fupinack"
        path.write_bytes(data)
        return apply_ack(store, path)
